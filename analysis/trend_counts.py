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

The seam with the matching service is `_Decider`: the FTS5 expression and the matcher, both from `Topics`.
"""

from __future__ import annotations

from bisect import bisect_right
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
        counted = self._first_matches(rows, decider, self.verdicts.of(decider.fingerprint))
        sizes = Counter(map(itemgetter(1), rows))
        zone = ZoneInfo(tz)
        first = since.astimezone(zone).date()
        bounds = _midnights(first, until.astimezone(zone).date() + timedelta(days=1), zone)
        start = iso(since)
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
        never read. Undecided candidates are decided CHUNK at a time (a few ahead, which are remembered)."""
        counted: dict[int, tuple[int, str]] = {}
        at = _scan(rows, 0, bits, counted)
        while at < len(rows):
            self._decide(rows, at, decider, bits, counted)
            at = _scan(rows, at, bits, counted)
        return counted

    def _decide(
        self,
        rows: list[tuple[int, int, str]],
        at: int,
        decider: _Decider,
        bits: _Bits,
        counted: dict[int, tuple[int, str]],
    ) -> None:
        pending: list[int] = []
        for article_id, story, _ in islice(rows, at, None):
            if story not in counted and bits.get(article_id) is None:
                pending.append(article_id)
                if len(pending) == CHUNK:
                    break
        found = set()
        if decider.monotone:  # titles and summaries first; the bodies only of those they do not decide
            for article_id, title, summary, _ in self.corpus.texts(pending, body=False):
                if decider.matches(title, summary, ""):
                    found.add(article_id)
                    bits.put(article_id, True)
        for article_id, title, summary, body in self.corpus.texts([i for i in pending if i not in found]):
            found.add(article_id)
            bits.put(article_id, decider.matches(title, summary, body))
        for article_id in pending:
            if article_id not in found:  # gone meanwhile: it matches nothing
                bits.put(article_id, False)


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
