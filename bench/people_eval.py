"""People and roles on a labelled corpus: person precision/recall/F1, role accuracy, variant-merge accuracy.

Usage: python bench/people_eval.py [--corpus DIR] [--verbose]
       python bench/people_eval.py --conll FILE [--verbose]
       python bench/people_eval.py --scale N

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

With --conll FILE (CoNLL-2003 columns: token first, NER tag last, IOB; `-DOCSTART-` between documents; e.g.
../shared/conll2003/eng.testa, read in place: the Reuters text must not be copied into this repository) each
document becomes an article (its first sentence the title, one paragraph per sentence) that goes through the same
store path, one database for all, in file order. Per document, the distinct person names labelled (PER spans)
are compared with the distinct surfaces of the people stored for it: strict (same string) and last-name (same
last word, case-folded) precision/recall/F1, summed over documents, for all documents and for the non-sports
ones (sports: the first line names a sport, or more than 30% of the tokens are numbers). docs_per_s is the
number of documents over the time `index_article_people` took (clock; docs_per_cpu_s the same in CPU time).
With --scale N it times extraction of N and 2N made-up names in one text: near-linear gives a ratio near 2.
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
from diplobot.analysis.people import extract_people, lexicon, role_key
from diplobot.enrichment.people import index_article_people
from diplobot.ingest.files import read_path
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import to_row
from diplobot.store.articles import insert_article
from diplobot.store.db import open_database
from diplobot.store.people import iter_article_people

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"
DEFAULT_CORPUS = SHARED if (SHARED / "labels.json").exists() else ROOT / "tests" / "fixtures" / "corpus"


def extract_corpus(corpus: Path) -> tuple[dict[str, list[dict]], float]:
    """Per file, the people stored for it; and the mean time of `index_article_people` per article in ms.

    Files are read by ingest's own reader (the photo caption after the date is dropped, as in ingest) and
    stored in date order, each indexed right after its insert, as the enrichment stage does.
    """
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    drafts = [
        (item["file"], draft) for item in labels["articles"] for draft in read_path(corpus / "articles" / item["file"])
    ]
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
        same_person(s, m) for s in predicted["surfaces"] for m in labelled["mentions"]
    )


def role_correct(predicted: str | None, predicted_state: str | None, labelled: str | None, country: str | None) -> bool:
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
                scores.problems.append(
                    f"{item['file']}: role of {person['name']}: {first['role_text']!r} (labelled {person['role']!r})"
                )
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
            scores.problems.append(
                f"merge: {name} -> stored persons {sorted(ids)} "
                f"({', '.join(sorted(n for i in ids for n in owners[i]))})"
            )
    return right / max(len(scores.stored_of), 1), false_merges


# --- CoNLL-2003 ----------------------------------------------------------------------------------------------

SPORTS = frozenset(
    {
        "soccer",
        "football",
        "cricket",
        "tennis",
        "golf",
        "rugby",
        "baseball",
        "basketball",
        "athletics",
        "cycling",
        "boxing",
        "hockey",
        "skiing",
        "swimming",
        "badminton",
        "squash",
        "racing",
        "motor",
        "motorcycling",
        "rowing",
        "sailing",
        "yachting",
        "volleyball",
        "handball",
        "nfl",
        "nba",
        "nhl",
        "olympics",
        "formula",
        "horse",
        "judo",
        "wrestling",
        "snooker",
        "darts",
        "chess",
        "triathlon",
        "marathon",
        "sport",
        "sports",
        "bobsleigh",
        "polo",
        "skating",
        "canoeing",
        "equestrianism",
        "fencing",
        "gymnastics",
        "weightlifting",
        "shooting",
        "archery",
    }
)
_NO_SPACE_BEFORE = frozenset(
    {",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "'S", "n't", "'re", "'ve", "'ll", "'d", "'m", "'"}
)
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "$"})


@dataclass
class ConllDoc:
    """One CoNLL document: its sentences (tokens, tags) and the person names it labels."""

    sentences: list[list[tuple[str, str]]]

    def lines(self) -> list[str]:
        return [detokenize([tok for tok, _ in sentence]) for sentence in self.sentences]

    def persons(self) -> set[str]:
        """The distinct person names labelled in the document, spelled as `detokenize` writes them."""
        names: set[str] = set()
        for sentence in self.sentences:
            span: list[str] = []
            for tok, tag in [*sentence, ("", "O")]:
                if span and (not tag.endswith("-PER") or tag.startswith("B-")):
                    names.add(detokenize(span))
                    span = []
                if tag.endswith("-PER"):
                    span.append(tok)
        return names

    def is_sports(self) -> bool:
        """A sports report: the first line names a sport, or more than 30% of the tokens are numbers."""
        first = {tok.casefold() for tok, _ in self.sentences[0]} if self.sentences else set()
        toks = [tok for sentence in self.sentences for tok, _ in sentence]
        numbers = sum(1 for tok in toks if tok[:1].isdigit() or (tok[:1] in "+-" and tok[1:2].isdigit()))
        return bool(first & SPORTS) or numbers > 0.3 * max(len(toks), 1)


def detokenize(tokens: list[str]) -> str:
    """Tokens back into text: no space before closing punctuation and clitics, quotes hug what they quote."""
    out: list[str] = []
    open_quote = False
    glue = True
    for tok in tokens:
        if tok == '"':
            if open_quote:
                out.append(tok)
            else:
                out.append(tok if glue else " " + tok)
            open_quote = not open_quote
            glue = open_quote
            continue
        space = not (glue or tok in _NO_SPACE_BEFORE)
        out.append(" " + tok if space else tok)
        glue = tok in _NO_SPACE_AFTER
    return "".join(out)


def read_conll(path: Path) -> list[ConllDoc]:
    """Documents of a CoNLL file: token first, NER tag last on each line, `-DOCSTART-` between documents."""
    docs: list[ConllDoc] = []
    sentence: list[tuple[str, str]] = []
    current: list[list[tuple[str, str]]] = []

    def close_sentence() -> None:
        nonlocal sentence
        if sentence:
            current.append(sentence)
            sentence = []

    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if not fields:
            close_sentence()
        elif fields[0] == "-DOCSTART-":
            close_sentence()
            if current:
                docs.append(ConllDoc(current))
            current = []
        else:
            sentence.append((fields[0], fields[-1]))
    close_sentence()
    if current:
        docs.append(ConllDoc(current))
    return docs


def extract_conll(docs: list[ConllDoc]) -> tuple[list[set[str]], float, float]:
    """Per document, the distinct surfaces of the people stored for it; and the seconds `index_article_people`
    took (extraction and the people's SQL, as in the enrichment stage; the article's own insert is not counted),
    by the clock and in CPU time (steadier on a shared machine).

    Each document becomes an article (first sentence the title, one paragraph per sentence after it), stored and
    indexed in file order in one database, as ingest and the enrichment stage would.
    """
    lexicon()
    found: list[set[str]] = []
    spent = cpu = 0.0
    now = datetime.now(UTC).isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "conll.db")
        for number, doc in enumerate(docs):
            lines = doc.lines()
            draft = ArticleDraft(title=lines[0], body="\n\n".join(lines[1:]), url=f"https://conll.example/{number}")
            with db.atomic():
                article_id = insert_article(
                    db, replace(to_row(draft, source_id=None, now=now), content_hash=f"conll:{number}")
                )
                assert article_id is not None
                started, started_cpu = time.perf_counter(), time.process_time()
                index_article_people(db, article_id)
                spent += time.perf_counter() - started
                cpu += time.process_time() - started_cpu
            found.append({s for person in iter_article_people(db, article_id) for s in person["surfaces"]})
        db.close()
    return found, spent, cpu


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: set[str], predicted: set[str]) -> None:
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    def prf(self) -> tuple[float, float, float]:
        precision = self.tp / max(self.tp + self.fp, 1)
        recall = self.tp / max(self.tp + self.fn, 1)
        return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def _last_names(names: set[str]) -> set[str]:
    return {name.split()[-1].casefold() for name in names if name.split()}


def conll_main(path: Path, verbose: bool) -> int:
    if not path.exists():
        print(f"{path}: not found; CoNLL evaluation skipped")
        return 0
    docs = read_conll(path)
    found, seconds, cpu = extract_conll(docs)
    counts = {key: Counts() for key in ("strict", "last", "ns_strict", "ns_last")}
    problems: list[str] = []
    sports = 0
    for number, (doc, predicted) in enumerate(zip(docs, found, strict=True)):
        gold = doc.persons()
        is_sports = doc.is_sports()
        sports += is_sports
        pairs = [("strict", gold, predicted), ("last", _last_names(gold), _last_names(predicted))]
        for key, wanted, got in pairs:
            counts[key].add(wanted, got)
            if not is_sports:
                counts["ns_" + key].add(wanted, got)
        if gold != predicted:
            tag = "sports" if is_sports else "news"
            problems.append(
                f"doc {number} ({tag}) {doc.lines()[0][:50]!r}: missed {sorted(gold - predicted)} "
                f"extra {sorted(predicted - gold)}"
            )
    for problem in problems if verbose else problems[:20]:
        print("  " + problem)
    figures = [
        f"docs={len(docs)}",
        f"non_sports_docs={len(docs) - sports}",
        f"docs_per_s={len(docs) / max(seconds, 1e-9):.0f}",
        f"docs_per_cpu_s={len(docs) / max(cpu, 1e-9):.0f}",
    ]
    for key, label in (("strict", "strict"), ("last", "last"), ("ns_strict", "ns_strict"), ("ns_last", "ns_last")):
        precision, recall, f1 = counts[key].prf()
        figures += [f"{label}_p={precision:.3f}", f"{label}_r={recall:.3f}", f"{label}_f1={f1:.3f}"]
    print(
        f"conll: {path} ({len(docs)} documents, {sports} sports); {seconds:.2f} s in the store path ({cpu:.2f} s CPU)"
    )
    print("RESULT " + " ".join(figures))
    return 0


# --- scaling -----------------------------------------------------------------------------------------------


def synthetic_listing(count: int) -> str:
    """One text naming `count` distinct made-up people ("Minister Anna Bakedo spoke.")."""
    given = ("Anna", "Mario", "Olga", "Pierre", "Fatima", "Kenji", "Carlos", "Ingrid", "Tomas", "Amina")
    syllables = [c + v for c in "bdfklmnprst" for v in "aeiou"]
    n = len(syllables)
    return " ".join(
        f"Minister {given[i % len(given)]} "
        f"{(syllables[i % n] + syllables[(i // n) % n] + syllables[(i // n // n) % n]).capitalize()} spoke."
        for i in range(count)
    )


def scale_main(count: int) -> int:
    """Extraction time for N and 2N names in one text, input bound lifted: about 2x when near-linear, 4x when
    every name is compared with every other."""
    lexicon()
    times = []
    for size in (count, 2 * count):
        text = synthetic_listing(size)
        started = time.perf_counter()
        extract_people("Talks", text, limit=None)
        times.append(time.perf_counter() - started)
    print(f"scale: {count} names in {times[0]:.2f} s, {2 * count} names in {times[1]:.2f} s")
    print(f"RESULT names={count} seconds={times[0]:.3f} seconds_2x={times[1]:.3f} ratio={times[1] / times[0]:.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--conll", type=Path, help="Score person names on a CoNLL-2003 file instead (eng.testa).")
    parser.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help="Time extraction of N and 2N made-up names in one text (near-linear: ratio about 2).",
    )
    parser.add_argument("--verbose", action="store_true", help="List every miss, extra person and wrong role.")
    args = parser.parse_args(argv)
    if args.scale:
        return scale_main(args.scale)
    if args.conll is not None:
        return conll_main(args.conll, args.verbose)
    labels = json.loads((args.corpus / "labels.json").read_text(encoding="utf-8"))
    found, ms_per_article = extract_corpus(args.corpus)
    scores = score(labels, found)
    merge_accuracy, false_merges = merge_figures(scores)
    precision = scores.tp / max(scores.tp + scores.fp, 1)
    recall = scores.tp / max(scores.tp + scores.fn, 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    role_accuracy = scores.roles_right / max(scores.roles_total, 1)
    print(f"corpus: {args.corpus} ({len(labels['articles'])} articles)")
    print(
        f"persons: {scores.tp} found, {scores.fp} extra, {scores.fn} missed; roles right "
        f"{scores.roles_right}/{scores.roles_total}; labelled people {len(scores.stored_of)}"
    )
    print(f"indexing: {ms_per_article:.2f} ms per article (extraction + store, in the enrichment stage)")
    for problem in scores.problems if args.verbose else scores.problems[:20]:
        print("  " + problem)
    print(
        f"RESULT person_precision={precision:.3f} person_recall={recall:.3f} person_f1={f1:.3f} "
        f"role_accuracy={role_accuracy:.3f} merge_accuracy={merge_accuracy:.3f} false_merges={false_merges}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
