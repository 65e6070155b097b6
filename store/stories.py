"""Stories: put each enriched article into the story of an earlier copy of the same report.

Candidates come from the FTS5 index: the new article's most specific shared terms, OR-ed, ranked by bm25, among
articles stored before it and published within `MAX_GAP_DAYS` of it. The rowid range of that time window bounds the
ranked query, so its cost follows the few days' articles rather than the whole table (perf-notes: ranking cost
grows with the hit count); the ranking reads the FTS5 index alone, and only the few best rows are read from the
tables. The decision itself is `analysis.stories.best_match`, the same one the evaluation's `group_articles` uses.

What is kept per article, so that no candidate's text is read or tokenised again:

* `story_vectors`: its story features (term counts and names, as JSON), written when it is enriched;
* `story_terms`: document frequencies of those terms for IDF, counted once per article (`story_documents` records
  which), because the FTS5 vocabulary holds porter stems that the Python side does not reproduce. A copy of the
  frequencies read so far stays in memory while no other connection counts (`_Frequencies`).

`CANDIDATES`: the copy that wins is nearly always bm25's first candidate. On bench/ingest.py's synthetic articles
(4,000, 30% rewrites) the winner was first 1,098 times, second 44 times, third 4 times, and keeping only the first
three would have changed no decision; several copies of a story share its id, which adds slack. 8 leaves room.

Cost: bench/ingest.py reports it (`story_ms`, and `story_last_ms` with 19k-20k articles stored): 7.7 ms an
article on average and a median 8.5 ms at 19k-20k stored, on the shared 2-vCPU development VM while it ran at
about 0.8x the speed of perf-notes' VM (the bench prints that calibration). It was a median 76 ms at 20k before
the stored vectors, the frequency cache, the FTS-only ranking and 8 instead of 20 candidates. What remains is
spread evenly: the FTS5 query, counting the article's terms, its features, the candidates' JSON and the scores.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from sqlite_utils import Database

from diplobot.analysis.stories import (
    MAX_GAP_DAYS,
    StoryFeatures,
    best_match,
    extract_features,
    idf_table,
)
from diplobot.clock import from_iso, iso

QUERY_TERMS = 12
CANDIDATES = 8
_RANKED = 2 * CANDIDATES  # best FTS5 rows read, of which those in the time window become candidates
_DOCUMENTS_KEY = "story_documents"
_CACHED_TERMS = 200_000  # about 20 MB of frequencies; beyond, the cache starts over


def assign_story(db: Database, article_id: int) -> int:
    """Set and return the article's story id: an earlier copy's story, or the article's own id.

    Articles are assigned in id order (the enrichment stage does that), each after the ones stored before it.
    Calling it again changes nothing.
    """
    row = db.execute(
        "select title, summary, body, coalesce(published_at, fetched_at) from articles where id = ?",
        [article_id],
    ).fetchone()
    if row is None:
        raise ValueError(f"no article with id {article_id}")
    title, summary, body, when = row
    features = extract_features(title, body or summary, _parse_time(when))
    _save_vector(db, article_id, features)
    frequencies = _frequencies(db)
    _count_document(db, article_id, features.terms, frequencies)
    frequencies.read(db, set(features.terms))
    candidates = _candidates(db, article_id, features, frequencies)
    frequencies.read(db, {term for candidate_id, _, candidate, vector in candidates
                          if not vector or candidate_id < frequencies.complete_from for term in candidate.terms})
    terms = set(features.terms)
    for _, _, candidate, _ in candidates:
        terms.update(candidate.terms)
    match = best_match(features, [(story_id, candidate) for _, story_id, candidate, _ in candidates],
                       idf_table(frequencies.known, frequencies.documents, terms))
    story_id = article_id if match is None else match
    db.execute("update articles set story_id = ? where id = ?", [story_id, article_id])
    return story_id


def _parse_time(value: str | None) -> datetime | None:
    return from_iso(value) if value else None


def _save_vector(db: Database, article_id: int, features: StoryFeatures) -> None:
    db.execute(
        "insert or replace into story_vectors (article_id, features) values (?, ?)",
        [article_id, json.dumps([features.terms, sorted(features.names)], separators=(",", ":"))],
    )


def _load_vector(stored: str, published_at: datetime | None) -> StoryFeatures:
    terms, names = json.loads(stored)
    return StoryFeatures(terms=terms, names=frozenset(names), published_at=published_at)


class _Frequencies:
    """Stored document frequencies read so far, for a count of documents and the last article counted.

    Valid while the store still has that count and last article: then nothing but this connection's own
    `_count_document` calls, which update the copy, counted anything. Another process counting, or the rollback
    of a count, changes the pair, and the copy starts over. It saves reading a few thousand frequencies per
    article: each new article's candidates were mostly the previous articles' candidates too.
    """

    def __init__(self) -> None:
        self.documents = 0
        self.last = 0
        self.known: dict[str, int] = {}
        # Candidates with a vector and an id from here on were counted while this copy was valid, so all their
        # terms are known: they need no look-up.
        self.complete_from = math.inf
        self.first_ids: dict[tuple[str, str], int] = {}  # see _first_id

    def check(self, documents: int, last: int) -> None:
        if (documents, last) != (self.documents, self.last) or len(self.known) > _CACHED_TERMS:
            self.documents, self.last = documents, last
            self.known.clear()
            self.complete_from = math.inf

    def counted(self, article_id: int, frequencies: Iterable[tuple[str, int]]) -> None:
        self.documents += 1
        self.last = max(self.last, article_id)
        self.known.update(frequencies)
        if self.complete_from == math.inf:  # ids grow: the articles counted from now on
            self.complete_from = article_id

    def read(self, db: Database, terms: set[str]) -> None:
        """Make sure the stored frequency of each term is known (0 for a term no document has)."""
        missing = terms.difference(self.known)  # C-level: a set against a dict checks each set member
        if not missing:
            return
        rows = db.execute(
            "select term, documents from story_terms where term in (select value from json_each(?))",
            [json.dumps(list(missing))],
        ).fetchall()
        self.known.update(dict.fromkeys(missing, 0))
        self.known.update(rows)


_CACHES: WeakKeyDictionary[Database, _Frequencies] = WeakKeyDictionary()


def _frequencies(db: Database) -> _Frequencies:
    """This connection's frequency cache, checked against the store."""
    documents, last = db.execute(
        "select (select value from meta where key = ?), (select max(article_id) from story_documents)",
        [_DOCUMENTS_KEY],
    ).fetchone()
    cache = _CACHES.get(db)
    if cache is None:
        cache = _CACHES[db] = _Frequencies()
    cache.check(int(documents or 0), last or 0)
    return cache


def _count_document(db: Database, article_id: int, terms: Mapping[str, int], cache: _Frequencies) -> None:
    """Add the article's terms to the document frequencies, once per article."""
    if db.execute("insert or ignore into story_documents (article_id) values (?)", [article_id]).rowcount == 0:
        return
    counted = db.execute(
        """insert into story_terms (term, documents) select value, 1 from json_each(?) where true
           on conflict (term) do update set documents = documents + 1 returning term, documents""",
        [json.dumps(list(terms))],
    ).fetchall()
    db.execute(
        """insert into meta (key, value) values (?, '1')
           on conflict (key) do update set value = cast(value as integer) + 1""",
        [_DOCUMENTS_KEY],
    )
    cache.counted(article_id, counted)


def _query_terms(terms: Mapping[str, int], frequency: Mapping[str, int], documents: int) -> list[str]:
    """The new article's most specific terms that some other stored article also has.

    Ranked by tf times the unsmoothed IDF, which is 0 for a term in every document: such terms would make the
    ranked FTS query score most of the window (measured: 200 ms instead of a few at 200k articles).
    """
    log, total = math.log, documents + 1
    ranked = sorted((-count * log(total / (df + 1)), term) for term, count in terms.items()
                    if (df := frequency.get(term, 0)) >= 2)
    return [term for _, term in ranked[:QUERY_TERMS]]


def _candidates(db: Database, article_id: int, features: StoryFeatures,
                frequencies: _Frequencies) -> list[tuple[int, int, StoryFeatures, bool]]:
    """(id, story id, features, whether from a stored vector) of earlier-stored articles near in time that share
    the new article's top terms.

    The ranking reads only the FTS5 index; the articles table is read for the `_RANKED` best rows alone, because
    its story and time columns sit behind the body's overflow pages.
    """
    if features.published_at is None:
        return []
    window = timedelta(days=MAX_GAP_DAYS)
    start, end = iso(features.published_at - window), iso(features.published_at + window)
    first_id = _first_id(db, frequencies, features.published_at - window, features.published_at + window)
    top = _query_terms(features.terms, frequencies.known, frequencies.documents)
    if first_id is None or first_id >= article_id or not top:
        return []
    query = " OR ".join('"{}"'.format(term.replace('"', '""')) for term in top)
    ranked = [rowid for (rowid,) in db.execute(
        """select rowid from articles_fts where articles_fts match ? and rowid >= ? and rowid < ?
           order by rank limit ?""",
        [query, first_id, article_id, _RANKED],
    ).fetchall()]
    rows = {row[0]: row[1:] for row in db.execute(
        """select a.id, coalesce(a.story_id, a.id), coalesce(a.published_at, a.fetched_at), v.features
           from articles a left join story_vectors v on v.article_id = a.id
           where a.id in (select value from json_each(?)) and coalesce(a.published_at, a.fetched_at) between ? and ?""",
        [json.dumps(ranked), start, end],
    ).fetchall()}
    candidates = []
    for candidate_id in [rowid for rowid in ranked if rowid in rows][:CANDIDATES]:
        story_id, when, stored = rows[candidate_id]
        if stored is not None:
            candidates.append((candidate_id, story_id, _load_vector(stored, _parse_time(when)), True))
        else:
            candidates.append((candidate_id, story_id, _features_from_text(db, candidate_id), False))
    return candidates


def _first_id(db: Database, cache: _Frequencies, start: datetime, end: datetime) -> int | None:
    """A lower bound of the ids of the articles published from `start` to `end`: the least id in the whole hours.

    Remembered per hour range: new articles get larger ids, so a range's least id never falls, and a remembered one
    stays a valid bound (it saves scanning a few days of the published-time index per article).
    """
    hours = (iso(start.replace(minute=0, second=0, microsecond=0)),
             iso(end.replace(minute=59, second=59, microsecond=999_999)))
    first_id = cache.first_ids.get(hours)
    if first_id is None:
        first_id = db.execute("select min(id) from articles where published_at between ? and ?", hours).fetchone()[0]
        if len(cache.first_ids) > 10_000:
            cache.first_ids.clear()
        if first_id is not None:
            cache.first_ids[hours] = first_id
    return first_id


def _features_from_text(db: Database, article_id: int) -> StoryFeatures:
    """Features of an article without a stored vector: enriched before vectors existed, or not enriched."""
    title, summary, body, when = db.execute(
        "select title, summary, body, coalesce(published_at, fetched_at) from articles where id = ?", [article_id]
    ).fetchone()
    return extract_features(title, body or summary, _parse_time(when))
