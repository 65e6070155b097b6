"""Trend series: from matching stories per local day to what a trend chart shows and says.

Pure: it gets per-day counts (`DayStories`, from whatever implements `StoryCounts`) and computes the series a chart
plots (per day, or per week when the period is longer than `DAILY_MAX_DAYS`, so a year stays readable on a phone),
the rolling mean, the three highest peaks and the caption in words ("ceasefire: 41 stories in 90 days, peak 12 on
16 May: Istanbul talks…"). Dates are local days of the chat's time zone: the counting side already placed each
story on the local day of its earliest matching article.

A story, not an article, is the unit: the same report rewritten by ten outlets is one event, and counting it ten
times would make a chart of syndication rather than of news.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from diplobot.analysis.query import Query
from diplobot.texts import clip

DAILY_MAX_DAYS = 180
"""Longer periods are counted per week (Monday to Sunday)."""
ROLLING_DAYS = 7
ROLLING_WEEKS = 4
PEAKS = 3
PEAK_GAP = 3
"""Two peaks are at least this many points apart: the three highest days of one surge are one peak."""
HEADLINE_CHARS = 40
PERIODS: Mapping[str, int | None] = {"30d": 30, "90d": 90, "1y": 365, "all": None}
DEFAULT_PERIOD = "90d"


@dataclass(frozen=True)
class DayStories:
    """Matching stories on one local day, and the day's biggest one (most articles) with its headline."""

    day: date
    stories: int
    top_title: str = ""
    top_articles: int = 0


class StoryCounts(Protocol):
    """Counts matching stories per day: what a trend chart needs from the store and the topic matcher."""

    def stories_per_day(self, query: Query, since: datetime, until: datetime, tz: str) -> list[DayStories]:
        """Stories matching `query` whose earliest matching article falls in [since, until), per local day of
        `tz` (days without a story left out), each day with its biggest story's headline."""
        ...


@dataclass(frozen=True)
class Point:
    """One plotted point: a day, or a week starting on `start`; its story count and biggest story."""

    start: date
    count: int
    top_title: str = ""
    top_articles: int = 0


@dataclass(frozen=True)
class Series:
    """One topic's line: points in date order with no gaps, the rolling mean, its peaks (highest first)."""

    label: str
    bucket: Literal["day", "week"]
    points: tuple[Point, ...]
    rolling: tuple[float, ...]
    peaks: tuple[Point, ...]

    @property
    def total(self) -> int:
        return sum(point.count for point in self.points)

    @property
    def rolling_label(self) -> str:
        return f"{ROLLING_DAYS}-day mean" if self.bucket == "day" else f"{ROLLING_WEEKS}-week mean"


def bucket_for(first: date, last: date) -> Literal["day", "week"]:
    """Per day up to DAILY_MAX_DAYS days, per week beyond."""
    return "day" if (last - first).days + 1 <= DAILY_MAX_DAYS else "week"


def build_series(label: str, days: Sequence[DayStories], first: date, last: date) -> Series:
    """The series of one topic over the local days [first, last], zero where no story matched."""
    bucket = bucket_for(first, last)
    by_day = {d.day: d for d in days if first <= d.day <= last}
    points: list[Point] = []
    if bucket == "day":
        for n in range((last - first).days + 1):
            day = first + timedelta(days=n)
            found = by_day.get(day)
            points.append(Point(day, found.stories, found.top_title, found.top_articles) if found else Point(day, 0))
    else:
        start = first - timedelta(days=first.weekday())
        while start <= last:
            week = [by_day[d] for n in range(7) if (d := start + timedelta(days=n)) in by_day]
            top = max(week, key=lambda d: (d.top_articles, -d.day.toordinal()), default=None)
            points.append(
                Point(start, sum(d.stories for d in week), top.top_title if top else "", top.top_articles if top else 0)
            )
            start += timedelta(days=7)
    window = ROLLING_DAYS if bucket == "day" else ROLLING_WEEKS
    return Series(label, bucket, tuple(points), rolling_mean([p.count for p in points], window), highest_peaks(points))


def rolling_mean(values: Sequence[int], window: int) -> tuple[float, ...]:
    """Trailing mean over `window` values; the first ones average what there is so far."""
    out, running = [], 0
    for i, value in enumerate(values):
        running += value
        if i >= window:
            running -= values[i - window]
        out.append(running / min(i + 1, window))
    return tuple(out)


def highest_peaks(points: Sequence[Point], count: int = PEAKS, gap: int = PEAK_GAP) -> tuple[Point, ...]:
    """The `count` highest non-zero points, highest first (earlier first among equals), each at least `gap`
    points away from a higher one."""
    index = {point.start: n for n, point in enumerate(points)}
    chosen: list[Point] = []
    for point in sorted(points, key=lambda p: (-p.count, p.start)):
        if point.count <= 0 or len(chosen) == count:
            break
        if all(abs(index[point.start] - index[other.start]) >= gap for other in chosen):
            chosen.append(point)
    return tuple(chosen)


def chart_peaks(series: Sequence[Series], count: int = PEAKS) -> list[tuple[Series, Point]]:
    """The `count` highest peaks over all topics of a chart (the ones annotated), highest first."""
    candidates = [(s, p) for s in series for p in s.peaks]
    return sorted(candidates, key=lambda sp: (-sp[1].count, sp[1].start))[:count]


def short_headline(title: str, limit: int = HEADLINE_CHARS) -> str:
    """A headline cut at a word to fit an annotation."""
    return clip(" ".join(title.split()), limit)


def day_label(day: date, *, year: bool = False) -> str:
    """`16 May`, or `16 May 2025`."""
    return f"{day.day} {day:%b}" + (f" {day:%Y}" if year else "")


def period_label(first: date, last: date, period: str | None) -> str:
    """The period in words: `90 days`, `1 year`, or the dates (`1 Jan–16 May 2025`) for `all` or a custom one."""
    days = PERIODS.get(period or "")
    if days == 365:
        return "1 year"
    if days is not None:
        return f"{days} days"
    same_year = first.year == last.year
    return f"{day_label(first, year=not same_year)}–{day_label(last, year=True)}"


def caption_line(series: Series, period_words: str, *, year: bool = False) -> str:
    """One topic in words: `ceasefire: 41 stories in 90 days, peak 12 on 16 May: Istanbul talks…`."""
    total = series.total
    if not total:
        return f"{series.label}: no stories in {period_words}"
    text = f"{series.label}: {total:,} stor{'y' if total == 1 else 'ies'} in {period_words}"
    if series.peaks:
        peak = series.peaks[0]
        when = (
            f"on {day_label(peak.start, year=year)}"
            if series.bucket == "day"
            else f"in the week of {day_label(peak.start, year=year)}"
        )
        text += f", peak {peak.count:,} {when}"
        if peak.top_title:
            text += f": {short_headline(peak.top_title)}"
    return text


def spans_years(first: date, last: date) -> bool:
    return first.year != last.year
