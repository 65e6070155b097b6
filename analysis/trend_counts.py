"""Counting matching stories per day for trend charts, through the one topic service (analysis/topics.py).

What is counted is what alerts, /latest and digests match: the FTS5 prefilter of `Topics` narrows the articles of the
period down (a superset), and the topic's `Matcher` decides each candidate exactly. A story counts once, on the
local day of its earliest matching article, if that falls in the period (see `LOOKBACK`); the day's biggest story
is the one with the most articles that pass the prefilter (its copies by other outlets), and its headline is the
title of the article that counted it.

Why verdicts are remembered. Deciding a candidate means reading and scanning its whole text, which costs far more
than the SQL that lists the candidates (an index on the publication date makes that cheap: store/trends.py). The
verdict for one article and one topic never changes (stored text is never rewritten, only pruned by retention,
and the verdict from the full text is the one alerts saw), so `Verdicts` keeps it, per topic fingerprint (its
normalised identity and every key the matcher uses, people's spellings included: a new spelling is a new
fingerprint), as two bitmaps by article id. A chart asked again, or another period of a topic already charted,
only decides the articles it has not seen. Articles are never deleted, so an id never names another article.

Why the first chart of a topic decides as few articles as it can. With nothing remembered, deciding is nearly all of
the count's time (each undecided candidate's body is read and scanned), so only what can change the count is
decided: a story's candidates in order until one matches (one batch takes a story's earliest undecided candidate
only, and more only once its candidates turn out not to match), and no candidate of a story that has none in the
period (its first match, if any, would be before the period and not counted). For a query without exclusions the
title and summary are scanned alone first, saving the body, but only for candidates whose title or summary pass
the FTS5 prefilter on their own (a cheap index query): the others cannot match there, and scanning them twice
would cost more than it saves. Which articles are scanned how never changes a verdict: it is always the matcher's
on the article's text.

The seam with the matching service is `_Decider`: the FTS5 expression and the matcher, both from `Topics`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from collections.abc import Hashable, Sequence
from datetime import date, datetime, time, timedelta
from itertools import islice
from operator import itemgetter
from typing import Protocol
from zoneinfo import ZoneInfo

from diplobot.analysis.query import AllOf, AnyOf, Node, Not, Query, terms
from diplobot.analysis.topics import Topics, topic_key
from diplobot.analysis.trend import DayStories
from diplobot.clock import iso

CHUNK = 200
"""Candidates whose text is read and matched at once."""
TOPICS_REMEMBERED = 64
LOOKBACK = timedelta(days=7)
"""Stories are followed this far back before the period: one whose first matching article came before the period is
not counted in it (else every story still running when the period starts would pile up on its first day)."""


class TrendCorpus(Protocol):
    """What counting needs from the store (store/trends.py implements it)."""

    def candidates(self, fts: str | None, since: str, until: str) -> list[tuple[int, int, str]]:
        """(article id, story id, when) of the articles that pass the FTS5 expression (all when None) and were
        published in [since, until) (the publication date, never later than the fetch date), oldest first."""
        ...

    def texts(self, ids: Sequence[int], *, body: bool = True) -> list[tuple[int, str, str, str]]:
        """(id, title, summary, body) of these articles; the body '' when not asked for (cheaper to read)."""
        ...

    def titles(self, ids: Sequence[int]) -> dict[int, str]:
        """The titles of these articles by id."""
        ...

    def headline_matches(self, fts: str, first_id: int, last_id: int) -> set[int]:
        """The ids from `first_id` to `last_id` whose title or summary alone passes the FTS5 expression."""
        ...


class _Bits:
    """Which article ids were decided, and which of them matched: two growable bitmaps."""

    __slots__ = ("decided", "hits")

    def __init__(self) -> None:
        self.decided = bytearray()
        self.hits = bytearray()

    def get(self, article_id: int) -> bool | None:
        byte, bit = article_id >> 3, 1 << (article_id & 7)
        if byte >= len(self.decided) or not self.decided[byte] & bit:
            return None
        return bool(self.hits[byte] & bit)

    def put(self, article_id: int, hit: bool) -> None:
        byte, bit = article_id >> 3, 1 << (article_id & 7)
        if byte >= len(self.decided):
            grow = byte + 1 - len(self.decided) + len(self.decided) // 2
            self.decided.extend(bytes(grow))
            self.hits.extend(bytes(grow))
        self.decided[byte] |= bit
        if hit:
            self.hits[byte] |= bit


class Verdicts:
    """Remembered verdicts (did article N match topic T?) for the most recently charted topics."""

    def __init__(self, topics: int = TOPICS_REMEMBERED) -> None:
        self.size = topics
        self._topics: OrderedDict[Hashable, _Bits] = OrderedDict()

    def of(self, fingerprint: Hashable) -> _Bits:
        bits = self._topics.pop(fingerprint, None) or _Bits()
        self._topics[fingerprint] = bits
        while len(self._topics) > self.size:
            self._topics.popitem(last=False)
        return bits


class _Decider:
    """The matching service's part: the FTS5 prefilter and the exact matcher of one query.

    `monotone`: the query excludes nothing, so a match in the title and summary alone is a match of the whole
    article (more text can only add terms; fields never join into one phrase), and the long body need not be read.
    """

    def __init__(self, topics: Topics, query: Query) -> None:
        self.fts = topics.prefilter([query])
        self.matcher = topics.matcher({0: query})
        keys = sorted({key for term in terms(query.expr) for key in topics.keys(term)})
        self.fingerprint = (topic_key(query), tuple(keys))
        self.monotone = not _excludes(query.expr)

    def matches(self, title: str, summary: str, body: str) -> bool:
        return bool(self.matcher.match(title, summary, body))


class MatchedStoryCounts:
    """`StoryCounts` over a store's articles, matched by the topic service, verdicts remembered in `verdicts`."""

    def __init__(self, corpus: TrendCorpus, topics: Topics, verdicts: Verdicts | None = None) -> None:
        self.corpus = corpus
        self.topics = topics
        self.verdicts = verdicts if verdicts is not None else Verdicts()

    def stories_per_day(self, query: Query, since: datetime, until: datetime, tz: str) -> list[DayStories]:
        decider = _Decider(self.topics, query)
        rows = self.corpus.candidates(decider.fts, iso(since - LOOKBACK), iso(until))
        start = iso(since)
        sizes = Counter(map(itemgetter(1), rows))
        counted = self._first_matches(_in_period(rows, sizes, start), decider, self.verdicts.of(decider.fingerprint))
        zone = ZoneInfo(tz)
        first = since.astimezone(zone).date()
        bounds = _midnights(first, until.astimezone(zone).date() + timedelta(days=1), zone)
        per_day: dict[int, list[tuple[int, int, int]]] = {}
        for story, (article_id, when) in counted.items():
            if when >= start:  # a story that began in the look-back is old news, not a first-day spike
                per_day.setdefault(bisect_right(bounds, when) - 1, []).append((sizes[story], -article_id, story))
        tops = {n: max(stories) for n, stories in per_day.items()}
        titles = self.corpus.titles([-top[1] for top in tops.values()])
        return [
            DayStories(first + timedelta(days=n), len(per_day[n]), titles.get(-top[1], ""), top[0])
            for n, top in sorted(tops.items())
        ]

    def _first_matches(
        self, rows: list[tuple[int, int, str]], decider: _Decider, bits: _Bits
    ) -> dict[int, tuple[int, str]]:
        """Per story, its earliest matching candidate (id, when); candidates of a story already counted are
        never read. Undecided candidates are decided up to CHUNK at a time (see `_pending`), and remembered."""
        counted: dict[int, tuple[int, str]] = {}
        misses: Counter[int] = Counter()
        headlines: set[int] | None = None
        at = _scan(rows, 0, bits, counted)
        while at < len(rows):
            if headlines is None and decider.monotone and decider.fts is not None:
                headlines = self.corpus.headline_matches(decider.fts, min(r[0] for r in rows), max(r[0] for r in rows))
            pending = _pending(rows, at, bits, counted, misses)
            self._decide([article_id for article_id, _ in pending], decider, bits, headlines)
            misses.update(story for article_id, story in pending if not bits.get(article_id))
            at = _scan(rows, at, bits, counted)
        return counted

    def _decide(self, pending: list[int], decider: _Decider, bits: _Bits, headlines: set[int] | None) -> None:
        """Decide `pending` and remember the verdicts. Without exclusions, the candidates whose title or summary
        pass the prefilter alone (`headlines`; None: every one) are first matched on those, without the body."""
        found = set()
        if decider.monotone:
            heads = pending if headlines is None else [i for i in pending if i in headlines]
            for article_id, title, summary, _ in self.corpus.texts(heads, body=False) if heads else []:
                if decider.matches(title, summary, ""):
                    found.add(article_id)
                    bits.put(article_id, True)
        for article_id, title, summary, body in self.corpus.texts([i for i in pending if i not in found]):
            found.add(article_id)
            bits.put(article_id, decider.matches(title, summary, body))
        for article_id in pending:
            if article_id not in found:  # gone meanwhile: it matches nothing
                bits.put(article_id, False)


def _pending(
    rows: list[tuple[int, int, str]], at: int, bits: _Bits, counted: dict[int, tuple[int, str]], misses: Counter[int]
) -> list[tuple[int, int]]:
    """Up to CHUNK undecided candidates (id, story) from `rows[at]` on that may count. A story's later candidate
    is needed only if the earlier ones do not match, so a batch takes only a story's earliest undecided one, none
    after a known match, and more only for a story whose candidates did not match in this count: one more than
    have not matched, doubling each time (so that a story with many candidates that do not match takes a few
    batches, not one each)."""
    pending: list[tuple[int, int]] = []
    room: dict[int, int] = {}  # per story met so far, how many more of its candidates this batch may take
    for article_id, story, _ in islice(rows, at, None):
        if story in counted:
            continue
        left = room.get(story)
        if left is None:
            left = misses[story] + 1
        if not left:
            continue
        verdict = bits.get(article_id)
        if verdict is None:
            pending.append((article_id, story))
            if len(pending) == CHUNK:
                break
            left -= 1
        elif verdict:
            left = 0
        room[story] = left
    return pending


def _in_period(rows: list[tuple[int, int, str]], sizes: Counter[int], start: str) -> list[tuple[int, int, str]]:
    """`rows` (oldest first) without the look-back candidates of stories that have none from `start` on."""
    at = bisect_left(rows, start, key=itemgetter(2))
    before = Counter(story for _, story, _ in islice(rows, at))
    gone = {story for story, n in before.items() if n == sizes[story]}
    if not gone:
        return rows
    return [row for row in islice(rows, at) if row[1] not in gone] + rows[at:]


def _scan(rows: list[tuple[int, int, str]], at: int, bits: _Bits, counted: dict[int, tuple[int, str]]) -> int:
    """Count stories from `rows[at]` on by the remembered verdicts (the bitmaps read inline: this loop is most of
    a remembered chart's time); the index of the first row that needs a verdict, or len(rows)."""
    decided, hits = bits.decided, bits.hits
    size = len(decided)
    for index in range(at, len(rows)):
        article_id, story, when = rows[index]
        if story in counted:
            continue
        byte, bit = article_id >> 3, article_id & 7
        if byte >= size or not decided[byte] >> bit & 1:
            return index
        if hits[byte] >> bit & 1:
            counted[story] = (article_id, when)
    return len(rows)


def _excludes(node: Node) -> bool:
    if isinstance(node, Not):
        return True
    return isinstance(node, AllOf | AnyOf) and any(_excludes(item) for item in node.items)


def _midnights(first: date, end: date, zone: ZoneInfo) -> list[str]:
    """The store's text form of each local midnight from `first` to `end` (daylight saving included)."""
    return [iso(datetime.combine(first + timedelta(days=n), time(), zone)) for n in range((end - first).days + 1)]
