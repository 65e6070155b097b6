"""Across languages: Ukrainian and Russian articles in one store with English ones, through the real store path.

Usage: python bench/crosslang_eval.py [--corpus DIR] [--also DIR]

Stores the English corpus (--corpus, default ../shared/corpus) and the Ukrainian/Russian one (--also, default
../shared/corpus-uk-ru) together in date order, as ingest does (language detected when stored, stories assigned and
people indexed in the enrichment stage), then reports:

* stories: which Ukrainian/Russian articles joined the story of an English article (printed for review), whether
  the labelled cross-language pairs joined (a `same_story_as` list in the second corpus's labels, if any, plus the
  Paris meeting that the development corpus labels "the seed's event in Ukrainian"), and whether the English
  corpus's own stories are exactly what they are without the other articles (false joins would change them);
* people: of the persons labelled in the second corpus, how many are one stored person with their English
  mentions (merged), how many are split, and false merges (a stored person carrying two labelled people).

Ends with a RESULT line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from diplobot.ingest.files import read_path
from diplobot.pipeline import enrich_pending, to_row
from diplobot.store.articles import insert_article
from diplobot.store.db import open_database
from diplobot.store.people import iter_article_people

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED_PAIRS = [("2025-09-04-uk-paryzh-radnyky.txt", "2025-09-03-paris-yermak-umerov-witkoff-advisers.txt")]


def load(corpora: list[Path]) -> tuple[dict[str, dict], dict[str, int], dict[str, int], dict[str, list[dict]]]:
    """Labels per file, story per file, language-of-corpus index per file, people per file."""
    items: list[tuple[int, dict, object]] = []
    labels: dict[str, dict] = {}
    for number, corpus in enumerate(corpora):
        data = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
        for item in data["articles"]:
            labels[item["file"]] = item
            items.extend((number, item, draft) for draft in read_path(corpus / "articles" / item["file"]))
    items.sort(key=lambda x: (x[2].published_at or datetime.min.replace(tzinfo=UTC), x[1]["file"]))
    corpus_of: dict[str, int] = {}
    ids: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "crosslang.db")
        for number, item, draft in items:
            with db.atomic():
                row = to_row(draft, source_id=None, now=datetime.now(UTC).isoformat())
                ids[item["file"]] = insert_article(db, replace(row, content_hash=f"{item['file']}:{row.content_hash}"))
            enrich_pending(db)
            corpus_of[item["file"]] = number
        story = {
            file: db.execute("select story_id from articles where id = ?", [i]).fetchone()[0] for file, i in ids.items()
        }
        people = {file: list(iter_article_people(db, i)) for file, i in ids.items()}
        db.close()
    return labels, story, corpus_of, people


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--also", type=Path, default=SHARED / "corpus-uk-ru")
    args = parser.parse_args()
    labels, story, corpus_of, people = load([args.corpus, args.also])
    _, alone, _, _ = load([args.corpus])
    english = [f for f in story if corpus_of[f] == 0]
    other = [f for f in story if corpus_of[f] == 1]
    joined = [(f, e) for f in other for e in english if story[f] == story[e]]
    for f, e in joined:
        print(f"joined: {f} -> story of {e}")
    for f in other:
        if not any(f == g for g, _ in joined):
            print(f"own story: {f}")
    wanted = [(a, b) for a, b in SEED_PAIRS if a in story and b in story]
    wanted += [
        (item["file"], other_file)
        for item in labels.values()
        for other_file in item.get("same_story_as", [])
        if item["file"] in story and other_file in story
    ]
    pairs_joined = sum(story[a] == story[b] for a, b in wanted)
    same_pairs = lambda stories: {(a, b) for a in english for b in english if a < b and stories[a] == stories[b]}  # noqa: E731
    english_unchanged = same_pairs(story) == same_pairs(alone)
    owners: dict[int, set[str]] = {}
    stored: dict[str, set[int]] = {}
    for file, found in people.items():
        for person in labels[file]["persons"]:
            for p in found:
                if set(p["surfaces"]) & set(person["mentions"]):
                    stored.setdefault(person["name"], set()).add(p["id"])
                    owners.setdefault(p["id"], set()).add(person["name"])
    names = {p["name"] for f in other for p in labels[f]["persons"]}
    merged = sum(1 for name in names if len(stored.get(name, ())) == 1 and len(owners[next(iter(stored[name]))]) == 1)
    for name in sorted(names):
        if len(stored.get(name, ())) != 1:
            print(f"people: {name} is {len(stored.get(name, ()))} stored persons")
    false_merges = sum(1 for holders in owners.values() if len(holders) > 1)
    print(
        f"RESULT cross_pairs_joined={pairs_joined}/{len(wanted)} cross_joins={len(joined)} "
        f"english_stories_unchanged={english_unchanged} people_merged_with_english={merged / max(len(names), 1):.3f} "
        f"false_merges={false_merges}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
