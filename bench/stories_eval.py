"""Story grouping on a labelled corpus: pair precision, recall and F1.

Usage: python bench/stories_eval.py [--corpus DIR] [--margins]

Groups DIR/articles/*.txt twice: with the pure `group_articles`, and through the real store path (a temporary
SQLite database, articles inserted in date order, `assign_story` after each insert, so the FTS5 candidate
retrieval is what is measured). A pair of articles counts as predicted when both land in one story and as
labelled when `duplicate_of` links them (directly or through a chain). The RESULT line reports the store path;
the pure figures are printed too, since they differ only if candidate retrieval misses a copy.
`--margins` prints the score distribution that the threshold in analysis/stories.py is justified by.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from diplobot.analysis.stories import (
    MAX_GAP_DAYS,
    THRESHOLD,
    extract_features,
    group_articles,
    smoothed_idf,
    story_signals,
)
from diplobot.enrichment.stories import assign_story
from diplobot.store.db import open_database

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "corpus"
_DATE = re.compile(r"date (\d{4}-\d{2}-\d{2})")


def read_article(path: Path) -> dict:
    """Line 1 `date YYYY-MM-DD` (maybe a caption after it, maybe a leading space), line 2 the title, then text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    date = _DATE.search(lines[0])
    published_at = datetime.fromisoformat(date.group(1)).replace(tzinfo=UTC) if date else None
    body = "\n".join(lines[2:]).strip()
    return {"file": path.name, "title": lines[1].strip(), "body": body, "published_at": published_at}


def read_corpus(corpus: Path) -> tuple[list[dict], dict[str, str | None]]:
    """The articles in file order and, per file, the file it is a rewrite of."""
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    duplicate_of = {item["file"]: item.get("duplicate_of") for item in labels["articles"]}
    articles = [read_article(path) for path in sorted((corpus / "articles").glob("*.txt"))]
    return articles, duplicate_of


def labelled_stories(articles: list[dict], duplicate_of: dict[str, str | None]) -> list[str]:
    """Each article's labelled story: the file at the root of its `duplicate_of` chain."""

    def root(name: str) -> str:
        seen = set()
        while duplicate_of.get(name) and name not in seen:
            seen.add(name)
            name = duplicate_of[name]
        return name

    return [root(article["file"]) for article in articles]


def same_story_pairs(stories: list) -> set[tuple[int, int]]:
    return {(i, j) for i, j in itertools.combinations(range(len(stories)), 2) if stories[i] == stories[j]}


def pair_scores(predicted: list, labelled: list) -> dict[str, float]:
    found, truth = same_story_pairs(predicted), same_story_pairs(labelled)
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pair_precision": precision, "pair_recall": recall, "pair_f1": f1}


def group_through_store(articles: list[dict]) -> list[int]:
    """Insert in date order into a fresh database, calling assign_story after each insert like ingest does."""
    order = sorted(
        range(len(articles)), key=lambda i: (articles[i]["published_at"] is None, articles[i]["published_at"] or 0, i)
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "stories.db")
        story_of_row: dict[int, int] = {}
        row_of_index: dict[int, int] = {}
        for index in order:
            article = articles[index]
            published = article["published_at"].isoformat() if article["published_at"] else None
            with db.conn:
                row_id = (
                    db["articles"]
                    .insert(
                        {
                            "title": article["title"],
                            "body": article["body"],
                            "published_at": published,
                            "fetched_at": published or datetime.now(UTC).isoformat(),
                            "content_hash": hashlib.sha256(article["body"].encode()).hexdigest(),
                        }
                    )
                    .last_pk
                )
                story_of_row[row_id] = assign_story(db, row_id)
            row_of_index[index] = row_id
        db.close()
    return [story_of_row[row_of_index[i]] for i in range(len(articles))]


def print_margins(articles: list[dict], labelled: list[str]) -> None:
    """Per signal: lowest same-story value vs highest different-story value, within the window and at any gap.

    IDF comes from the articles seen so far (as in the store) and, as the worst case for a young store, from the
    two articles alone.
    """
    order = sorted(range(len(articles)), key=lambda i: articles[i]["published_at"])
    features = [extract_features(a["title"], a["body"], a["published_at"]) for a in articles]
    for regime in ("seen-so-far", "two-document"):
        pairs = []
        for position, later in enumerate(order):
            for earlier in order[:position]:
                pool = order[: position + 1] if regime == "seen-so-far" else [earlier, later]
                frequency = Counter(t for i in pool for t in features[i].terms)
                signals = story_signals(features[earlier], features[later], smoothed_idf(frequency, len(pool)))
                pairs.append((signals, labelled[earlier] == labelled[later], earlier, later))
        print(f"[IDF from {regime} articles]")
        for name, value in (
            ("content", lambda s: s.content),
            ("names", lambda s: s.names),
            ("combined before time", lambda s: replace(s, gap_days=0.0).score),
            ("final score", lambda s: s.score),
        ):
            same = min(((value(p[0]), p) for p in pairs if p[1]), key=lambda v: v[0])
            near = max(
                ((value(p[0]), p) for p in pairs if not p[1] and p[0].gap_days <= MAX_GAP_DAYS), key=lambda v: v[0]
            )
            far = max(((value(p[0]), p) for p in pairs if not p[1]), key=lambda v: v[0])
            print(
                f"  {name:>20}: same story >= {same[0]:.3f}; different within {MAX_GAP_DAYS:.0f} days "
                f"<= {near[0]:.3f} ({_pair_name(articles, near[1])}); any gap <= {far[0]:.3f} "
                f"({_pair_name(articles, far[1])})"
            )
    print(f"threshold {THRESHOLD}")


def _pair_name(articles: list[dict], pair: tuple) -> str:
    signals, _, earlier, later = pair
    return f"{articles[earlier]['file'][:24]} / {articles[later]['file'][:24]}, {signals.gap_days:.0f} d"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--margins", action="store_true", help="print the score margins around the threshold")
    args = parser.parse_args(argv)
    articles, duplicate_of = read_corpus(args.corpus)
    labelled = labelled_stories(articles, duplicate_of)
    if args.margins:
        print_margins(articles, labelled)
    pure = pair_scores(group_articles(articles), labelled)
    stored = pair_scores(group_through_store(articles), labelled)
    print(f"{len(articles)} articles, {len(same_story_pairs(labelled))} labelled same-story pairs")
    for name, scores in (("group_articles", pure), ("store + assign_story", stored)):
        print(f"{name}: " + " ".join(f"{k}={v:.3f}" for k, v in scores.items()))
    print("RESULT " + " ".join(f"{k}={v:.3f}" for k, v in stored.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
