"""Stories: put each newly stored article into the story of an earlier copy of the same report.

Candidates come from the FTS5 index: the new article's most specific shared terms, OR-ed, ranked by bm25, among
articles stored before it and published within `MAX_GAP_DAYS` of it. The rowid range of that time window bounds the
ranked query, so its cost follows the few days' articles rather than the whole table (perf-notes: ranking cost
grows with the hit count). The decision itself is `analysis.stories.best_match`, the same one the evaluation's
`group_articles` uses. Document frequencies for IDF live in `story_terms`, counted once per article, because the
FTS5 vocabulary holds porter stems that the Python side does not reproduce.

Measured on synthetic 500-word articles, 500 a day: `assign_story` takes a median 76 ms with 20k stored
articles and 87 ms with 200k, mostly the Python features of the 20 candidates (cached across calls).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlite_utils import Database

from diplobot.analysis.stories import (
    MAX_GAP_DAYS,
    Idf,
    StoryFeatures,
    best_match,
    extract_features,
    smoothed_idf,
)
from diplobot.clock import from_iso, iso

QUERY_TERMS = 12
CANDIDATES = 20
_DOCUMENTS_KEY = "story_documents"


def assign_story(db: Database, article_id: int) -> int:
    """Set and return the article's story id: an earlier copy's story, or the article's own id.

    Call it right after inserting the article, in the same transaction. Calling it again changes nothing.
    """
    row = db.execute(
        "select title, summary, body, coalesce(published_at, fetched_at) from articles where id = ?",
        [article_id],
    ).fetchone()
    if row is None:
        raise ValueError(f"no article with id {article_id}")
    title, summary, body, when = row
    features = extract_features(title, body or summary, _parse_time(when))
    _count_document(db, article_id, features.terms)
    candidates = _candidates(db, article_id, features)
    idf = _idf(db, [features.terms, *(c.terms for _, c in candidates)])
    match = best_match(features, candidates, idf)
    story_id = article_id if match is None else match
    db.execute("update articles set story_id = ? where id = ?", [story_id, article_id])
    return story_id


def _parse_time(value: str | None) -> datetime | None:
    return from_iso(value) if value else None


def _count_document(db: Database, article_id: int, terms: Mapping[str, int]) -> None:
    """Add the article's terms to the document frequencies, once per article."""
    if db.execute("insert or ignore into story_documents (article_id) values (?)", [article_id]).rowcount == 0:
        return
    db.execute(
        """insert into story_terms (term, documents) select value, 1 from json_each(?) where true
           on conflict (term) do update set documents = documents + 1""",
        [json.dumps(list(terms))],
    )
    db.execute(
        """insert into meta (key, value) values (?, '1')
           on conflict (key) do update set value = cast(value as integer) + 1""",
        [_DOCUMENTS_KEY],
    )


def _document_frequencies(db: Database, terms: Iterable[str]) -> tuple[dict[str, int], int]:
    """Stored document frequency of each term, and how many documents were counted."""
    rows = db.execute(
        "select term, documents from story_terms where term in (select value from json_each(?))",
        [json.dumps(sorted(set(terms)))],
    ).fetchall()
    documents = db.execute("select value from meta where key = ?", [_DOCUMENTS_KEY]).fetchone()
    return dict(rows), int(documents[0]) if documents else 0


def _idf(db: Database, term_counts: Iterable[Mapping[str, int]]) -> Idf:
    """Smoothed IDF over the stored document frequencies of the given articles' terms."""
    return smoothed_idf(*_document_frequencies(db, (term for counts in term_counts for term in counts)))


def _query_terms(db: Database, terms: Mapping[str, int]) -> list[str]:
    """The new article's most specific terms that some other stored article also has.

    Ranked by tf times the unsmoothed IDF, which is 0 for a term in every document: such terms would make the
    ranked FTS query score most of the window (measured: 200 ms instead of a few at 200k articles).
    """
    frequency, documents = _document_frequencies(db, terms)
    shared = [term for term in terms if frequency.get(term, 0) >= 2]

    def specificity(term: str) -> float:
        return terms[term] * math.log((documents + 1) / (frequency[term] + 1))
    return sorted(shared, key=lambda term: (-specificity(term), term))[:QUERY_TERMS]


def _candidates(db: Database, article_id: int, features: StoryFeatures) -> list[tuple[int, StoryFeatures]]:
    """(story id, features) of earlier-stored articles near in time that share the new article's top terms."""
    if features.published_at is None:
        return []
    window = timedelta(days=MAX_GAP_DAYS)
    start, end = iso(features.published_at - window), iso(features.published_at + window)
    first_id = db.execute(
        "select min(id) from articles where published_at between ? and ?", [start, end]
    ).fetchone()[0]
    top = _query_terms(db, features.terms)
    if first_id is None or first_id >= article_id or not top:
        return []
    query = " OR ".join('"{}"'.format(term.replace('"', '""')) for term in top)
    rows = db.execute(
        """select coalesce(a.story_id, a.id), a.title, a.summary, a.body,
               coalesce(a.published_at, a.fetched_at)
           from articles_fts join articles a on a.id = articles_fts.rowid
           where articles_fts match ? and articles_fts.rowid >= ? and articles_fts.rowid < ?
               and coalesce(a.published_at, a.fetched_at) between ? and ?
           order by rank limit ?""",
        [query, first_id, article_id, start, end, CANDIDATES],
    ).fetchall()
    return [(story_id, extract_features(title, body or summary, _parse_time(when)))
            for story_id, title, summary, body, when in rows]
