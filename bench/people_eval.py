"""People and roles on a labelled corpus: person precision/recall/F1, role accuracy, variant-merge accuracy.

Usage: python bench/people_eval.py [--corpus DIR] [--verbose]

DIR holds labels.json and articles/ in the format of ../shared/corpus (see its README); the default is
../shared/corpus when it exists, else the copy in tests/fixtures/corpus. The articles go through the real store
path: ingest's file reader, a temporary SQLite database, articles inserted in date order with
`index_article_people` after each insert (so names are merged across articles exactly as in ingest), then the
stored mentions are compared with the labels.

Definitions (per article, summed over the corpus):

* a predicted person (one stored person named in the article) matches a labelled one when one of the surfaces
  it was found under is one of the labelled mentions, or its name is `same_person` as the labelled name;
  person precision = matched predicted / predicted, recall = matched labelled / labelled, F1 their harmonic mean;
* role accuracy, over matched pairs: the first role the article gives the person (the words of the text) against
  the labelled role after normalization (`analysis.people.role_key`): case and diacritics folded, articles and
  possessive pronouns dropped, adviser = advisor, defence = defense, PM = prime minister, plurals singular,
  "<body> head" = "head of <body>", "Office of the President" = "Presidential Office", and the words naming a
  state (demonym, country, capital: "British", "Ukraine's", "Washington's") taken out and compared separately:
  when the extracted role names a state it must be the labelled country. No role on both sides also counts;
* merge accuracy: a labelled person (canonical name) is merged right when every article that names them has
  them on one and the same stored person, and no other labelled person is on that stored person;
  false_merges counts stored persons that carry two or more labelled people.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from diplobot.analysis.names import same_person
from diplobot.analysis.people import lexicon, role_key
from diplobot.ingest.files import read_path
from diplobot.pipeline import to_row
from diplobot.store.articles import insert_article
from diplobot.store.db import open_database
from diplobot.store.people import index_article_people, iter_article_people

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"
DEFAULT_CORPUS = SHARED if (SHARED / "labels.json").exists() else ROOT / "tests" / "fixtures" / "corpus"


def extract_corpus(corpus: Path) -> tuple[dict[str, list[dict]], float]:
    """Per file, the people stored for it; and the mean time of `index_article_people` per article in ms.

    Files are read by ingest's own reader (the photo caption after the date is dropped, as in ingest) and
    stored in date order, each indexed right after its insert, as the enrichment stage does.
    """
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    drafts = [(item["file"], draft) for item in labels["articles"]
              for draft in read_path(corpus / "articles" / item["file"])]
    drafts.sort(key=lambda fd: (fd[1].published_at or datetime.min.replace(tzinfo=UTC), fd[0]))
    lexicon()  # load the gazetteers before timing
    found: dict[str, list[dict]] = {}
    spent = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "people.db")
        for file, draft in drafts:
            with db.atomic():
                row = to_row(draft, source_id=None, now=datetime.now(UTC).isoformat())
                article_id = insert_article(db, replace(row, content_hash=f"{file}:{row.content_hash}"))
                started = time.perf_counter()
                index_article_people(db, article_id)
                spent += time.perf_counter() - started
            found[file] = list(iter_article_people(db, article_id))
        db.close()
    return found, 1000 * spent / max(len(drafts), 1)


def _matches(predicted: dict, labelled: dict) -> bool:
    if set(predicted["surfaces"]) & set(labelled["mentions"]):
        return True
    return same_person(predicted["name"], labelled["name"]) and any(
        same_person(s, m) for s in predicted["surfaces"] for m in labelled["mentions"])


def role_correct(predicted: str | None, predicted_state: str | None, labelled: str | None,
                 country: str | None) -> bool:
    if not predicted or not labelled:
        return not predicted and not labelled
    key, state = role_key(predicted)
    wanted, _ = role_key(labelled)
    return key == wanted and (state is None or country is None or state == country)


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    roles_right: int = 0
    roles_total: int = 0
    stored_of: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    problems: list[str] = field(default_factory=list)


def score(labels: dict, found: dict[str, list[dict]]) -> Scores:
    scores = Scores()
    for item in labels["articles"]:
        predicted = found.get(item["file"], [])
        used: set[int] = set()
        for person in item["persons"]:
            hits = [p for p in predicted if _matches(p, person)]
            if not hits:
                scores.fn += 1
                scores.problems.append(f"{item['file']}: missed {person['name']}")
                continue
            scores.tp += 1
            used.update(p["id"] for p in hits)
            for p in hits:
                scores.stored_of[person["name"]].add(p["id"])
            first = hits[0]
            scores.roles_total += 1
            if role_correct(first["role_text"], first["state"], person["role"], person.get("country")):
                scores.roles_right += 1
            else:
                scores.problems.append(f"{item['file']}: role of {person['name']}: {first['role_text']!r} "
                                       f"(labelled {person['role']!r})")
        for p in predicted:
            if p["id"] not in used:
                scores.fp += 1
                scores.problems.append(f"{item['file']}: not a labelled person: {p['name']} {p['surfaces']}")
    return scores


def merge_figures(scores: Scores) -> tuple[float, int]:
    owners: dict[int, set[str]] = defaultdict(set)
    for name, ids in scores.stored_of.items():
        for stored in ids:
            owners[stored].add(name)
    false_merges = sum(1 for names in owners.values() if len(names) > 1)
    right = 0
    for name, ids in scores.stored_of.items():
        if len(ids) == 1 and len(owners[next(iter(ids))]) == 1:
            right += 1
        else:
            scores.problems.append(f"merge: {name} -> stored persons {sorted(ids)} "
                                   f"({', '.join(sorted(n for i in ids for n in owners[i]))})")
    return right / max(len(scores.stored_of), 1), false_merges


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--verbose", action="store_true", help="List every miss, extra person and wrong role.")
    args = parser.parse_args(argv)
    labels = json.loads((args.corpus / "labels.json").read_text(encoding="utf-8"))
    found, ms_per_article = extract_corpus(args.corpus)
    scores = score(labels, found)
    merge_accuracy, false_merges = merge_figures(scores)
    precision = scores.tp / max(scores.tp + scores.fp, 1)
    recall = scores.tp / max(scores.tp + scores.fn, 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    role_accuracy = scores.roles_right / max(scores.roles_total, 1)
    print(f"corpus: {args.corpus} ({len(labels['articles'])} articles)")
    print(f"persons: {scores.tp} found, {scores.fp} extra, {scores.fn} missed; roles right "
          f"{scores.roles_right}/{scores.roles_total}; labelled people {len(scores.stored_of)}")
    print(f"indexing: {ms_per_article:.2f} ms per article (extraction + store, in the enrichment stage)")
    for problem in scores.problems if args.verbose else scores.problems[:20]:
        print("  " + problem)
    print(f"RESULT person_precision={precision:.3f} person_recall={recall:.3f} person_f1={f1:.3f} "
          f"role_accuracy={role_accuracy:.3f} merge_accuracy={merge_accuracy:.3f} false_merges={false_merges}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
