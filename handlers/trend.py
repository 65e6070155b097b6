"""/trend: a chart of how often topics (or people) are in the news, with a caption that says it in words.

Topics are the chat's own (`#2`) or typed like /subscribe (`"security guarantees" -loan`, `Witkoff`: a person counts
under every spelling), up to three, separated by commas; the period is 30d, 90d (default), 1y or all. Stories are
counted through `StoryCounts` (analysis/trend.py), here `MatchedStoryCounts` over the store (analysis/trend_counts.py
with store/trends.py), so a chart counts what alerts and /latest match.

The chart is drawn on the command's database thread, off the event loop (a few hundred milliseconds; commands run
one at a time there, so a chart briefly delays the next command, never alerts or batch work). It does not go to the
sandbox workers: command handlers are synchronous and get no runner.

The first chart after start-up. What a process loads once (matplotlib and its font, the topic service's lexicon
and morphology dictionaries) would make the first /trend wait for over half a second more than later ones; the
bot calls `warm` on the command thread at start-up, beside the sandbox workers' start, so nobody waits for it.
What is remembered per topic (verdicts, a phrase's forms) is not warmed: the first chart of a topic still decides
its candidates, and bench/trend.py's `reply_cold_ms` measures exactly that first reply in a newly started process.
"""

from __future__ import annotations

import gc
import logging
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from diplobot import charts
from diplobot.analysis import inflect
from diplobot.analysis.query import Query, QueryError, parse_query
from diplobot.analysis.topics import Topics
from diplobot.analysis.trend import (
    DEFAULT_PERIOD,
    PERIODS,
    Series,
    StoryCounts,
    build_series,
    caption_line,
    day_label,
    period_label,
    spans_years,
)
from diplobot.analysis.trend_counts import MatchedStoryCounts, Verdicts
from diplobot.clock import from_iso, iso
from diplobot.enrichment.corpus import StoredArticles
from diplobot.handlers.registry import Context, UsageError, command
from diplobot.handlers.reply import Image, Reply, ReplyBuilder
from diplobot.handlers.topics import read_query, topic_service
from diplobot.store import subscriptions, trends
from diplobot.texts import clip

MAX_TOPICS = 3
LABEL_CHARS = 40
DIGEST_DAYS = 30
DIGEST_TOPICS = 3
_TOPIC_NUMBER = re.compile(r"#?(\d{1,9})")

log = logging.getLogger(__name__)

# Verdicts remembered per database connection (each lives as long as the process's Store or CLI run): a weak map,
# so a closed database takes its verdicts with it and tests never share them.
_VERDICTS: weakref.WeakKeyDictionary[Database, Verdicts] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Topic:
    """A topic to chart: its label in the legend and caption, and its query."""

    label: str
    query: Query


def story_counts(db: Database, service: Topics | None = None) -> StoryCounts:
    """The story counter over this database, remembering verdicts for as long as the connection lives."""
    verdicts = _VERDICTS.get(db)
    if verdicts is None:
        verdicts = _VERDICTS[db] = Verdicts()
    return MatchedStoryCounts(trends.StoredTrendCorpus(db), service or Topics(StoredArticles(db)), verdicts)


def warm(db: Database) -> None:
    """Load now what the first chart would wait for (see the module docstring): the lexicon, the Ukrainian and
    Russian morphology (most topics have translations that inflect) and the chart renderer. Then one full garbage
    collection: loading leaves many new long-lived objects, and the full collection they would soon set off (a
    tenth of a second) would otherwise fall on the first command. Never raises: a failure here is only slowness,
    and the first /trend will say what is wrong."""
    try:
        Topics(StoredArticles(db))
        for lang in ("uk", "ru"):
            inflect.analyzer(lang)
        charts.warm()
        gc.collect()
    except Exception:  # start-up goes on: the same work is redone, and reported, by /trend
        log.warning("could not prepare trend charts at start-up", exc_info=True)


@command(
    "trend",
    "/trend <topic or #n>[, <topic>…] [30d|90d|1y|all]  e.g. /trend ceasefire, /trend #2, truce 1y, /trend Witkoff all",
)
def trend(ctx: Context, args: str) -> Reply:
    """A chart of how many stories match topics or people, per day, with peaks and their headlines."""
    if not args:
        raise UsageError("Which topic? For example: /trend ceasefire, or /trend #2, truce 1y")
    texts, period = split_args(args)
    service = topic_service(ctx)
    topics = [_topic(ctx, service, text) for text in texts]
    zone = ZoneInfo(ctx.tz)
    last = ctx.now.astimezone(zone).date()
    days = PERIODS[period]
    if days is None:
        oldest = trends.first_published(ctx.db)
        first = from_iso(oldest).astimezone(zone).date() if oldest else last
    else:
        first = last - timedelta(days=days - 1)
    # up to and including the current second (stored times have whole seconds)
    return trend_reply(
        ctx.db, topics, first, last, ctx.tz, period=period, until=ctx.now + timedelta(seconds=1), service=service
    )


def split_args(args: str) -> tuple[list[str], str]:
    """(topic texts, period) from `ceasefire, "security guarantees" -loan 1y`; UsageError for none or too many."""
    words = args.split()
    period = DEFAULT_PERIOD
    if words and words[-1].lower() in PERIODS:
        period = words.pop().lower()
    texts = [part.strip() for part in _split_topics(" ".join(words))]
    texts = [text for text in texts if text]
    if not texts:
        raise UsageError("Which topic? For example: /trend ceasefire 1y")
    if len(texts) > MAX_TOPICS:
        raise UsageError(
            f"At most {MAX_TOPICS} topics in one chart (you gave {len(texts)}), e.g. /trend ceasefire, truce, #2"
        )
    return texts, period


def _split_topics(text: str) -> list[str]:
    """Split at commas outside double quotes (`"Witkoff, Kushner", truce` is two topics)."""
    parts, start, quoted = [], 0, False
    for at, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append(text[start:at])
            start = at + 1
    parts.append(text[start:])
    return parts


def _topic(ctx: Context, service: Topics, text: str) -> Topic:
    """A chat's topic by number (`2`, `#2`) or any text /subscribe accepts."""
    number = _TOPIC_NUMBER.fullmatch(text)
    if number:
        found = [t for t in subscriptions.chat_subscriptions(ctx.db, ctx.chat_id) if t["id"] == int(number[1])]
        if not found:
            raise UsageError(f"This chat has no topic {text}. /topics lists them; or give the topic as text.")
        text = found[0]["query"]
    return _typed(service, text)


def _typed(service: Topics, text: str) -> Topic:
    try:
        return Topic(clip(text, LABEL_CHARS), read_query(service, text))
    except UsageError as exc:
        raise UsageError(f"{clip(text, LABEL_CHARS)}: {exc}") from None


def typed_trend(db: Database, text: str, first: date, last: date, tz: str, *, until: datetime | None = None) -> Reply:
    """The chart for topics typed as text, comma-separated (the command line's `diplobot trend`); UsageError for
    a topic that cannot be read."""
    texts, _ = split_args(text)
    service = Topics(StoredArticles(db))
    return trend_reply(
        db, [_typed(service, one) for one in texts], first, last, tz, period=None, until=until, service=service
    )


def trend_reply(
    db: Database,
    topics: Sequence[Topic],
    first: date,
    last: date,
    tz: str,
    *,
    period: str | None,
    until: datetime | None = None,
    service: Topics | None = None,
) -> Reply:
    """The chart of `topics` over the local days [first, last] (up to `until` on the last day) with its caption;
    a text reply when no story matches in the period."""
    window = _Window(first, last, tz, until)
    counts = story_counts(db, service)
    series = tuple(window.series(counts, topic) for topic in topics)
    if not any(one.total for one in series):
        labels = " or ".join(topic.label for topic in topics)
        words, dates = period_label(first, last, period), window.dates
        within = f"the last {words} ({dates})" if PERIODS.get(period or "") else dates
        return Reply.text(
            f"No stored story matches {labels} in {within.replace('last 1 year', 'last year')}, so "
            "there is nothing to chart. Try a longer period (1y or all, e.g. /trend ceasefire 1y) "
            "or other words."
        )
    return _chart_reply(db, topics, series, window, period=period)


@dataclass(frozen=True)
class _Window:
    """The local days [first, last] of `tz`, up to `until` on the last one."""

    first: date
    last: date
    tz: str
    until: datetime | None = None

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), ZoneInfo(self.tz))

    @property
    def day_end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), ZoneInfo(self.tz))

    @property
    def end(self) -> datetime:
        return self.day_end if self.until is None else min(self.day_end, self.until)

    @property
    def dates(self) -> str:
        if self.first == self.last:
            return day_label(self.last, year=True)
        return f"{day_label(self.first, year=spans_years(self.first, self.last))}–{day_label(self.last, year=True)}"

    def series(self, counts: StoryCounts, topic: Topic) -> Series:
        days = counts.stories_per_day(topic.query, self.since, self.end, self.tz)
        return build_series(topic.label, days, self.first, self.last)


def _chart_reply(
    db: Database,
    topics: Sequence[Topic],
    series: tuple[Series, ...],
    window: _Window,
    *,
    period: str | None,
    heading: str = "",
) -> Reply:
    """The chart and its caption: a line per topic in words, then the period, sources and how stories count."""
    year = spans_years(window.first, window.last)
    words = period_label(window.first, window.last, period)
    sources = trends.source_count(db, iso(window.since), iso(window.end))
    facts = [
        window.dates + (" (last day so far)" if window.end < window.day_end else ""),
        f"stories per {series[0].bucket}",
    ]
    if sources:
        facts.append(f"{sources:,} source{'s' if sources != 1 else ''}")
    lines = [caption_line(one, words, year=year) for one in series]
    png = charts.render_trend(
        charts.TrendChart(
            title=clip(heading or ", ".join(t.label for t in topics), 60),
            subtitle=" · ".join(facts),
            series=series,
            year_in_dates=year,
        )
    )
    image = Image(
        png=png,
        alt=f"Line chart of stories per {series[0].bucket}: " + "; ".join(lines),
        filename=_filename(topics, window.last),
    )
    out = ReplyBuilder()
    if heading:
        out.heading(heading)
    for line in lines:
        out.para(line)
    out.context(" · ".join([*facts[:1], *facts[2:], "a story counts once, however many outlets report it"]))
    return out.build(image=image)


def digest_chart(db: Database, chat: dict[str, Any], end: datetime, *, default_tz: str) -> Reply | None:
    """The chart a digest carries (weekly digests, daily ones with `/settings digest chart on`): the chat's most
    active topics, up to DIGEST_TOPICS, over the DIGEST_DAYS days to the digest's end, so the period just summed
    up is seen against the weeks before it. None without topics or without a story in those days."""
    tz = chat.get("timezone") or default_tz
    last = end.astimezone(ZoneInfo(tz)).date()
    window = _Window(last - timedelta(days=DIGEST_DAYS - 1), last, tz, end)
    topics = []
    for row in subscriptions.chat_subscriptions(db, chat["id"]):
        try:
            topics.append(Topic(clip(row["query"], LABEL_CHARS), parse_query(row["query"])))
        except QueryError:
            continue
    counts = story_counts(db)
    measured = [(topic, window.series(counts, topic)) for topic in topics]
    busiest = sorted(range(len(measured)), key=lambda n: -measured[n][1].total)[:DIGEST_TOPICS]
    chosen = [measured[n] for n in sorted(busiest) if measured[n][1].total]
    if not chosen:
        return None
    return _chart_reply(
        db,
        [topic for topic, _ in chosen],
        tuple(one for _, one in chosen),
        window,
        period=f"{DIGEST_DAYS}d",
        heading=f"Your topics, last {DIGEST_DAYS} days",
    )


def _filename(topics: Sequence[Topic], last: date) -> str:
    slug = "-".join(filter(None, (re.sub(r"[^a-z0-9]+", "-", t.label.lower()).strip("-") for t in topics)))
    return f"trend-{slug[:60].strip('-') or 'topics'}-{last.isoformat()}.png"
