"""English topics on a labelled corpus, per article language: does each article match exactly its labelled topics?

Usage: python bench/topics_eval.py [--corpus DIR]...

Each corpus (default ../shared/corpus-uk-ru; give --corpus several times to pool them) is stored through the real
store path (language detected when stored), then every English topic of its `topic_vocabulary` is matched by the
one topic service (analysis/topics.py: people's spellings, the bundled lexicon's Ukrainian and Russian equivalents
in every grammatical form), as alerts, /latest and digests match. An (article, topic) pair counts as predicted when
the topic matches the article and as labelled when the article's `topics` list it. Reported per article language
(labels' `language`, else the detected one): precision, recall and F1 of the pairs, with every missed or extra pair
printed. Ends with a RESULT line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from diplobot.analysis.topics import Topics
from diplobot.enrichment.corpus import StoredArticles
from diplobot.ingest.files import read_path
from diplobot.pipeline import to_row
from diplobot.store.articles import insert_article
from diplobot.store.db import open_database

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def evaluate(corpora: list[Path]) -> dict[str, list[int]]:
    """Per language [true positives, false positives, false negatives]; prints each error."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "topics.db")
        vocabulary: dict[str, None] = {}
        labelled: dict[int, tuple[str, set[str], str]] = {}
        for corpus in corpora:
            labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
            vocabulary.update(dict.fromkeys(labels["topic_vocabulary"]))
            for item in labels["articles"]:
                for draft in read_path(corpus / "articles" / item["file"]):
                    with db.atomic():
                        row = to_row(draft, source_id=None, now=datetime.now(UTC).isoformat())
                        article_id = insert_article(db, replace(row, content_hash=f"{item['file']}:{row.content_hash}"))
                    if article_id is not None:
                        language = item.get("language") or row.lang or "unknown"
                        labelled[article_id] = (item["file"], set(item["topics"]), language)
        service = Topics(StoredArticles(db))
        topics = list(vocabulary)
        queries = {number: service.parse(topic) for number, topic in enumerate(topics)}
        matched: dict[int, set[str]] = defaultdict(set)
        for hit in service.find(queries, cap=100_000).hits:
            matched[hit.article["id"]].update(topics[number] for number in hit.matches)
        db.close()
    for article_id, (file, wanted, language) in sorted(labelled.items()):
        found = matched.get(article_id, set())
        tally = counts[language]
        tally[0] += len(found & wanted)
        tally[1] += len(found - wanted)
        tally[2] += len(wanted - found)
        for topic in sorted(found - wanted):
            print(f"  {file}: matched {topic!r}, not labelled")
        for topic in sorted(wanted - found):
            print(f"  {file}: missed {topic!r}")
    return counts


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, action="append")
    args = parser.parse_args()
    corpora = args.corpus or [SHARED / "corpus-uk-ru"]
    counts = evaluate(corpora)
    figures = []
    total = [0, 0, 0]
    for language in sorted(counts):
        tp, fp, fn = counts[language]
        total = [total[0] + tp, total[1] + fp, total[2] + fn]
        p, r, f = _prf(tp, fp, fn)
        print(f"{language}: {tp} right, {fp} extra, {fn} missed: precision {p:.3f} recall {r:.3f} F1 {f:.3f}")
        figures.append(f"{language}_p={p:.3f} {language}_r={r:.3f}")
    p, r, f = _prf(*total)
    print(f"RESULT topic_precision={p:.3f} topic_recall={r:.3f} topic_f1={f:.3f} " + " ".join(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
