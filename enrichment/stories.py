"""Stories: put each enriched article into the story of an earlier copy of the same report.

Candidates are the articles stored before the new one, published within `MAX_GAP_DAYS` of it, that the FTS5 index
ranks best for the new article's most specific shared terms (store.stories.ranked_ids), plus the window's newest
Ukrainian and Russian articles. The decision itself is `analysis.stories.best_match`, the same one the evaluation's
`group_articles` uses. Term frequencies for IDF are counted per article in the store (store/stories.py); a copy of
those read so far, and of the stories this connection assigned, stays in memory; what another connection (another
worker) counted since is added to it, and anything else starts it over (`_Cache`).

Two halves, so that the enrichment stage can do most of the work in parallel worker processes and hold the write
lock only for the decisions:

* `prepare` needs no write lock and depends on no other article's decision: the features, and the candidates
  ranked for the query terms the article would get if it were counted now (with their stored features and the
  name spellings they share with it). Workers run it for several articles at once.
* `StoryAssigner.assign`, in the write transaction, in id order: counts the article, works out the query terms
  from the exact frequencies of that moment, uses the prepared candidates only if their query terms and time
  window are exactly those (else ranks afresh: an article of the same batch changed the frequencies), takes the
  candidates' stories (an earlier article of the same batch included) and decides. The frequencies it counts are
  written once per transaction (`flush`), not once per article: most terms recur within a batch.

`CANDIDATES`: the copy that wins is nearly always bm25's first candidate and on bench/ingest.py's synthetic
rewrites never ranked below the third; several copies of a story share its id, which adds slack. 8 leaves room.

Cost: bench/ingest.py reports it (`story_ms` for the in-process path, in which `assign` prepares for itself).
"""

from __future__ import annotations

import json
import math
import operator
from collections import Counter
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import compress, repeat
from typing import Any
from weakref import WeakKeyDictionary

from sqlite_utils import Database

from diplobot.analysis.stories import (
    MAX_GAP_DAYS,
    StoryFeatures,
    best_match,
    extract_features,
    idf_table,
    spelling_map,
)
from diplobot.clock import from_iso, iso
from diplobot.store import stories as stored

QUERY_TERMS = 12
CANDIDATES = 8
_RANKED = 2 * CANDIDATES  # best FTS5 rows read, of which those in the time window become candidates
_CACHED_TERMS = 200_000  # about 20 MB of frequencies; beyond, the cache starts over
_CACHED_STORIES = 100_000  # article -> story of the articles this connection assigned, a few MB
_RECENT_FEATURES = 256  # features of the last articles assigned here: the candidates within the same batch
_PARSED_VECTORS = 4096  # stored vectors parsed here: the recent articles are the candidates of many new ones
_CATCH_UP = 500  # articles another connection counted that the cache catches up with (beyond, it starts over)
_OTHER_LANGUAGE = 10  # Cyrillic articles of the window that are candidates besides the ranked ones


@dataclass(frozen=True)
class Candidate:
    """An earlier-stored article near in time that shares the new article's top terms."""

    article_id: int
    features: StoryFeatures | None  # from its stored vector; None when it had none when prepared
    spelling: dict[str, str] | None  # spelling_map(new names, its names), worked out with `features`


@dataclass(frozen=True)
class Prepared:
    """All of one article's story work that needs neither the write lock nor another article's decision.

    Picklable: a worker process returns it. `query` and `first_id` are what `candidates` were ranked for.
    """

    article_id: int
    features: StoryFeatures
    vector: str
    query: tuple[str, ...] = ()
    first_id: int | None = None
    candidates: tuple[Candidate, ...] | None = None  # None: not ranked yet
    terms: frozenset[str] = frozenset()  # its own and its candidates' terms: those IDF is needed for

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled light, as a worker process returns it and the pipeline hands it to the writing one: the features
        as their vector, the candidates without their features (the writer takes them from what its connection
        parsed, else reads them) and no `terms`; pickling the term counts of every candidate would cost more than
        the work prepared."""
        candidates = None if self.candidates is None else tuple((c.article_id, c.spelling) for c in self.candidates)
        state = (self.article_id, self.vector, self.features.published_at, self.query, self.first_id, candidates)
        return _unpickle_prepared, (state,)


_LightPrepared = tuple[
    int, str, datetime | None, tuple[str, ...], int | None, tuple[tuple[int, dict[str, str] | None], ...] | None
]


def _unpickle_prepared(state: _LightPrepared) -> Prepared:
    article_id, vector, published_at, query, first_id, candidates = state
    light = None if candidates is None else tuple(Candidate(i, None, spelling) for i, spelling in candidates)
    return Prepared(article_id, _load_vector(vector, published_at), vector, query, first_id, light)


def assign_story(db: Database, article_id: int) -> int:
    """Set and return the article's story id: an earlier copy's story, or the article's own id.

    Articles are assigned in id order (the enrichment stage does that), each after the ones stored before it.
    Calling it again changes nothing. One article in its own transaction (or a savepoint of the caller's);
    the enrichment stage assigns a batch with one `StoryAssigner`.
    """
    with db.atomic():
        assigner = StoryAssigner(db)
        story_id = assigner.assign(article_id)
        assigner.flush()
    return story_id


def prepare(db: Database, article_id: int, *, rank: bool = True) -> Prepared:
    """The article's features and, with `rank`, its candidates as they stand now; reads only.

    The query terms are those the article gets if it is counted next: its own terms count once more, as
    `StoryAssigner.assign` will count them. Outside a transaction, the reads share one snapshot (a read transaction):
    the connection's frequency cache must never mix counts from before and after another connection's commit.
    """
    with stored.snapshot(db):
        return _prepare(db, article_id, rank=rank)


def _prepare(db: Database, article_id: int, *, rank: bool) -> Prepared:
    source = stored.story_source(db, article_id)
    if source is None:
        raise ValueError(f"no article with id {article_id}")
    features = extract_features(source.title, source.body or source.summary, _parse_time(source.when))
    vector = json.dumps([features.terms, sorted(features.names)], separators=(",", ":"))
    prepared = Prepared(article_id, features, vector)
    if not rank or features.published_at is None:
        return prepared
    cache = _cache(db)  # a worker's: kept up with what the others counted (_Cache.check), so few terms are read
    cache.check(db)
    cache.read(db, set(features.terms))
    frequency = dict(
        zip(features.terms, map((1).__add__, map(cache.known.get, features.terms, repeat(0))), strict=True)
    )
    top = _query_terms(features.terms, frequency, cache.documents + 1)
    first_id = _first_id(db, cache, features.published_at)
    ranked = _ranked(db, article_id, top, first_id)
    others = _other_language(db, article_id, first_id)
    candidates = tuple(
        Candidate(candidate_id, loaded, None if loaded is None else spelling_map(features.names, loaded.names))
        for candidate_id, loaded in _candidate_rows(db, cache, features, ranked, others=others)
    )
    terms = frozenset(features.terms).union(*(c.features.terms for c in candidates if c.features is not None))
    return replace(prepared, query=tuple(sorted(top)), first_id=first_id, candidates=candidates, terms=terms)


class StoryAssigner:
    """Assigns stories to articles in id order within the caller's write transaction; `flush` before it commits.

    Frequencies counted are kept in memory (and used) until `flush` writes them in one statement.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.cache = _cache(db)
        self.cache.check(db)
        self.pending: Counter[str] = Counter()
        self.counted = 0

    def assign(self, article_id: int, prepared: Prepared | None = None) -> int:
        """Decide, store and return the article's story id; `prepared` is `prepare`'s work for it, if done."""
        db, cache = self.db, self.cache
        if prepared is None:
            prepared = prepare(db, article_id, rank=False)
        features = prepared.features
        with db.atomic():  # a savepoint: an error leaves nothing of this article behind ...
            stored.save_vector(db, article_id, prepared.vector)
            counted = stored.count_document(db, article_id)
            cache.read(db, set(features.terms))
            before = cache.state()
            if counted:
                cache.count(article_id, features.terms)
            try:
                story_id = self._decide(article_id, prepared)
                stored.set_story(db, article_id, story_id)
            except BaseException:  # ... and nothing in memory either
                if counted:
                    cache.uncount(features.terms, before)
                raise
        if counted:
            self.pending.update(features.terms.keys())
            self.counted += 1
        cache.assigned(article_id, story_id, features)
        return story_id

    def flush(self) -> None:
        """Write the frequencies counted since the last flush."""
        stored.add_frequencies(self.db, self.pending, self.counted)
        self.pending.clear()
        self.counted = 0

    def _decide(self, article_id: int, prepared: Prepared) -> int:
        db, cache, features = self.db, self.cache, prepared.features
        if features.published_at is None:
            return article_id
        top = _query_terms(features.terms, cache.known, cache.documents)
        first_id = _first_id(db, cache, features.published_at)
        candidates = prepared.candidates
        if candidates is None or (prepared.query, prepared.first_id) != (tuple(sorted(top)), first_id):
            ranked = _ranked(db, article_id, top, first_id)
            others = _other_language(db, article_id, first_id)
            rows = _candidate_rows(db, cache, features, ranked, skip=cache.recent, others=others)
            candidates = tuple(Candidate(candidate_id, loaded, None) for candidate_id, loaded in rows)
        stories = self._stories([c.article_id for c in candidates])
        features_of = _candidate_features(db, cache, candidates)
        chosen = [(stories[c.article_id], features_of[c.article_id], c.spelling) for c in candidates]
        if candidates is prepared.candidates and prepared.terms and all(c.features is not None for c in candidates):
            terms = prepared.terms
        else:
            terms = frozenset(features.terms).union(*(loaded.terms for _, loaded, _ in chosen))
        cache.read(db, terms)
        match = best_match(
            features,
            [(story_id, loaded) for story_id, loaded, _ in chosen],
            idf_table(cache.known, cache.documents, terms),
            [spelling for *_, spelling in chosen],
        )
        return article_id if match is None else match

    def _stories(self, article_ids: list[int]) -> dict[int, int]:
        """Each candidate's story: remembered when assigned here, else stored."""
        known = self.cache.stories
        stories = {article_id: known[article_id] for article_id in article_ids if article_id in known}
        missing = [article_id for article_id in article_ids if article_id not in stories]
        if missing:
            stories.update(stored.story_ids(self.db, missing))
        return stories


def _parse_time(value: str | None) -> datetime | None:
    return from_iso(value) if value else None


def _load_vector(vector: str, published_at: datetime | None) -> StoryFeatures:
    terms, names = json.loads(vector)
    return StoryFeatures(terms=terms, names=frozenset(names), published_at=published_at)


class _Cache:
    """What one connection read or worked out so far: frequencies, assigned stories, recent features.

    Valid while the store still has the count of documents and the last article counted that this copy has: then
    nothing but this connection's own counting, which updates the copy, counted anything. Another process counting,
    or the rollback of a count, changes the pair, and the copy starts over. It saves reading a few thousand
    frequencies per article: each new article's candidates were mostly the previous articles' candidates too.
    """

    def __init__(self) -> None:
        self.documents = 0
        self.last = 0
        self.known: dict[str, int] = {}
        self.stories: dict[int, int] = {}
        self.recent: dict[int, StoryFeatures] = {}
        self.vectors: dict[int, StoryFeatures] = {}  # see `parsed`
        self.first_ids: dict[tuple[str, str], int] = {}  # see _first_id

    def check(self, db: Database) -> None:
        """Keep the copy if the store counted nothing else since, catch up if another connection counted later
        articles (another worker), else start over."""
        documents, last = stored.stored_documents(db), stored.last_counted(db)
        unchanged = (documents, last) == (self.documents, self.last)
        if len(self.known) > _CACHED_TERMS or not (unchanged or self._catch_up(db, documents, last)):
            self._reset(documents, last)

    def _reset(self, documents: int, last: int) -> None:
        self.documents, self.last = documents, last
        self.known.clear()
        self.stories.clear()
        self.recent.clear()
        self.vectors.clear()

    def _catch_up(self, db: Database, documents: int, last: int) -> bool:
        """Count what another connection counted since, if that was only articles after `last`, each with its vector.

        The store's count then grew by exactly the number of those articles (its counts are never taken back but
        by a rollback, after which the pipeline calls `forget`).
        """
        if not self.known or documents <= self.documents or last <= self.last or documents - self.documents > _CATCH_UP:
            return False
        rows = stored.counted_after(db, self.last)
        if len(rows) != documents - self.documents:
            return False
        known = self.known
        for article_id, vector, story_id in rows:
            for term in json.loads(vector)[0]:
                if term in known:
                    known[term] += 1
            self.stories[article_id] = story_id
        self.documents, self.last = documents, last
        return True

    def state(self) -> tuple[int, int]:
        return self.documents, self.last

    def count(self, article_id: int, terms: Iterable[str]) -> None:
        """Count one more document with these terms (all of them known: `read` them first)."""
        known = self.known
        for term in terms:
            known[term] += 1
        self.documents += 1
        self.last = max(self.last, article_id)

    def uncount(self, terms: Iterable[str], state: tuple[int, int]) -> None:
        known = self.known
        for term in terms:
            known[term] -= 1
        self.documents, self.last = state

    def assigned(self, article_id: int, story_id: int, features: StoryFeatures) -> None:
        if len(self.stories) >= _CACHED_STORIES:
            self.stories.clear()
        self.stories[article_id] = story_id
        self.recent[article_id] = features
        if len(self.recent) > _RECENT_FEATURES:
            del self.recent[next(iter(self.recent))]

    def parsed(self, article_id: int, vector: str, when: str | None) -> StoryFeatures:
        """A candidate's stored vector as features, parsed once per connection (an article's vector is written once,
        from its text, and candidates recur from one new article to the next)."""
        features = self.vectors.get(article_id)
        if features is None:
            if len(self.vectors) >= _PARSED_VECTORS:
                self.vectors.clear()  # not one by one: deleting a dict's oldest entries makes finding the next slow
            features = self.vectors[article_id] = _load_vector(vector, _parse_time(when))
        return features

    def read(self, db: Database, terms: set[str] | frozenset[str]) -> None:
        """Make sure the stored frequency of each term is known (0 for a term no document has)."""
        missing = terms.difference(self.known)  # C-level: a set against a dict checks each set member
        if not missing:
            return
        rows = stored.stored_frequencies(db, missing)
        self.known.update(dict.fromkeys(missing, 0))
        self.known.update(rows)


_CACHES: WeakKeyDictionary[Database, _Cache] = WeakKeyDictionary()


def _cache(db: Database) -> _Cache:
    cache = _CACHES.get(db)
    if cache is None:
        cache = _CACHES[db] = _Cache()
    return cache


def forget(db: Database) -> None:
    """Drop what this connection remembers (after a rolled-back transaction that assigned stories)."""
    _CACHES.pop(db, None)


def _query_terms(terms: Mapping[str, int], frequency: Mapping[str, int], documents: int) -> list[str]:
    """The new article's most specific terms that some other stored article also has.

    Ranked by tf times the unsmoothed IDF, which is 0 for a term in every document: such terms would make the
    ranked FTS query score most of the window, which on a large store is the slow part of assigning a story.
    """
    counts, frequencies = list(terms.values()), list(map(frequency.get, terms, repeat(0)))
    weights = map(math.log, map(operator.truediv, repeat(documents + 1), map((1).__add__, frequencies)))
    scores = map(operator.mul, map(operator.neg, counts), weights)
    ranked = sorted(compress(zip(scores, terms, strict=True), map((2).__le__, frequencies)))
    return [term for _, term in ranked[:QUERY_TERMS]]


def _window(features: StoryFeatures) -> tuple[str, str]:
    assert features.published_at is not None
    window = timedelta(days=MAX_GAP_DAYS)
    return iso(features.published_at - window), iso(features.published_at + window)


def _ranked(db: Database, article_id: int, top: list[str], first_id: int | None) -> list[int]:
    """The best FTS5 rows for the query terms among the articles stored before this one, from `first_id` on.

    The ranking depends on the set of terms alone, so work prepared for the same set is reused even when the
    frequencies of the moment rank the terms in another order.
    """
    if first_id is None or first_id >= article_id or not top:
        return []
    return stored.ranked_ids(db, top, first_id, article_id, _RANKED)


def _other_language(db: Database, article_id: int, first_id: int | None) -> list[int]:
    """The newest Ukrainian and Russian articles stored before this one, from `first_id` on. They are compared
    through their English gloss (analysis/crosslang.py), which their indexed text does not hold, so the FTS5
    ranking cannot find them for an English article."""
    if first_id is None or first_id >= article_id:
        return []
    return stored.other_language_ids(db, first_id, article_id, _OTHER_LANGUAGE)


def _candidate_rows(
    db: Database,
    cache: _Cache,
    features: StoryFeatures,
    ranked: list[int],
    *,
    skip: Container[int] = (),
    others: list[int] | None = None,
) -> list[tuple[int, StoryFeatures | None]]:
    """(id, stored features or None) of the first `CANDIDATES` ranked rows published in the window, then those of
    `others` (other-language articles, see `_other_language`) in the window.

    The features of those in `skip` are not parsed (None): the caller has them.
    """
    others = [other for other in others or () if other not in ranked]
    if not ranked and not others:
        return []
    start, end = _window(features)
    rows = stored.window_rows(db, ranked + others, start, end)
    chosen: list[tuple[int, StoryFeatures | None]] = []
    for candidate_id in [rowid for rowid in ranked if rowid in rows][:CANDIDATES] + [o for o in others if o in rows]:
        when, vector = rows[candidate_id]
        parse = vector is not None and candidate_id not in skip
        chosen.append((candidate_id, cache.parsed(candidate_id, vector, when) if parse and vector else None))
    return chosen


def _first_id(db: Database, cache: _Cache, published_at: datetime) -> int | None:
    """A lower bound of the ids of the articles published within the window around `published_at`: the least id
    in the whole hours.

    Remembered per hour range: new articles get larger ids, so a range's least id never falls, and a remembered one
    stays a valid bound (it saves scanning a few days of the published-time index per article).
    """
    window = timedelta(days=MAX_GAP_DAYS)
    start, end = published_at - window, published_at + window
    hours = (
        iso(start.replace(minute=0, second=0, microsecond=0)),
        iso(end.replace(minute=59, second=59, microsecond=999_999)),
    )
    first_id = cache.first_ids.get(hours)
    if first_id is None:
        first_id = stored.first_published_id(db, *hours)
        if len(cache.first_ids) > 10_000:
            cache.first_ids.clear()
        if first_id is not None:
            cache.first_ids[hours] = first_id
    return first_id


def _candidate_features(db: Database, cache: _Cache, candidates: tuple[Candidate, ...]) -> dict[int, StoryFeatures]:
    """Each candidate's features: as prepared, assigned here, parsed here before, else read (in one query)."""
    found: dict[int, StoryFeatures] = {}
    missing = []
    for candidate in candidates:
        loaded = candidate.features or cache.recent.get(candidate.article_id) or cache.vectors.get(candidate.article_id)
        if loaded is None:
            missing.append(candidate.article_id)
        else:
            found[candidate.article_id] = loaded
    if missing:
        rows = stored.vectors_of(db, missing)
        for article_id in missing:
            when, vector = rows.get(article_id, (None, None))
            found[article_id] = (
                cache.parsed(article_id, vector, when) if vector is not None else _stored_features(db, article_id)
            )
    return found


def _stored_features(db: Database, article_id: int) -> StoryFeatures:
    """A candidate's features: its stored vector, or from its text (enriched before vectors existed, or not yet)."""
    source, vector = stored.stored_vector(db, article_id)
    if vector is not None:
        return _load_vector(vector, _parse_time(source.when))
    return extract_features(source.title, source.body or source.summary, _parse_time(source.when))
