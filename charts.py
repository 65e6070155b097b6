"""Trend charts drawn as PNG images (matplotlib's Agg renderer: no display, no GUI toolkit).

Why a module of its own, at the top: a picture is presentation, not analysis (analysis/trend.py computes the
series, peaks and caption, and stays pure and cheap to import), and it is not a platform's rendering either: every
platform sends the same PNG (Telegram as a photo, Slack as an uploaded file, the console as a file on disk), and
digests carry it through the outbox. Handlers and the CLI call `render_trend` with computed series.

Readable on a phone: 1200x675 pixels (16:9, what chat apps show without cropping), large type, thick lines, and the
Okabe-Ito palette, whose colours stay apart for the common kinds of colour blindness (Okabe & Ito, "Color Universal
Design", 2002). Per point a thin line, the rolling mean a thick one in the same colour; the three highest peaks
carry their date and the biggest story's headline. Figures are built with the object API (no pyplot state), so
charts may be drawn from several threads.

matplotlib is imported on first use, so a process that never draws (the CLI's other commands, the sandbox workers)
never loads it. The bot draws, and its first chart would wait for the import, the font and the renderer's first
figure (more than the drawing itself): `warm()` does that at start-up instead.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from diplobot.analysis.trend import Point, Series, chart_peaks, day_label, short_headline

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_PX, HEIGHT_PX, DPI = 1200, 675, 100
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
"""Okabe-Ito: blue, vermillion, bluish green first (most apart on white), then reddish purple, orange, sky blue."""
GREY = "#555555"
TITLE_PT, SUBTITLE_PT, LABEL_PT, TICK_PT, LEGEND_PT, NOTE_PT = 26, 16, 16, 15, 15, 14


@dataclass(frozen=True)
class TrendChart:
    """What one chart shows: a title, a subtitle (period and sources), one series per topic."""

    title: str
    subtitle: str
    series: tuple[Series, ...]
    year_in_dates: bool = False


def render_trend(chart: TrendChart) -> bytes:
    """The chart as a 1200x675 PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.075, right=0.975, top=0.80, bottom=0.10)
    fig.text(0.075, 0.925, chart.title, fontsize=TITLE_PT, fontweight="bold", color="#111111")
    fig.text(0.075, 0.865, chart.subtitle, fontsize=SUBTITLE_PT, color=GREY)
    ax = fig.add_subplot()
    _plot_series(ax, chart.series)
    _style_axes(ax, chart.series)
    _annotate_peaks(ax, chart)
    out = io.BytesIO()
    with warnings.catch_warnings():  # a headline in a script the font lacks shows boxes, not a log line per glyph
        warnings.simplefilter("ignore", UserWarning)
        fig.savefig(out, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return out.getvalue()


def warm() -> None:
    """Import matplotlib and draw one small chart through every part of `render_trend` (lines, legend, date axis,
    a peak note, PNG), so that the font and the renderer are loaded before the first real chart."""
    start = date(2025, 1, 1)
    points = tuple(Point(start + timedelta(days=n), n % 3, "warm-up" if n == 2 else "", 1) for n in range(5))
    series = Series("warm-up", "day", points, tuple(float(p.count) for p in points), points[2:3])
    render_trend(TrendChart("warm-up", "warm-up", (series,)))


def _plot_series(ax: Axes, series: Sequence[Series]) -> None:
    from matplotlib.dates import date2num
    from matplotlib.lines import Line2D

    for n, one in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        x = date2num([point.start for point in one.points])
        ax.plot(
            x,
            [point.count for point in one.points],
            color=colour,
            linewidth=1.6,
            alpha=0.55,
            marker="o" if len(x) <= 60 else None,
            markersize=4,
        )
        ax.plot(x, one.rolling, color=colour, linewidth=4, solid_capstyle="round")
    unit = "day" if not series or series[0].bucket == "day" else "week"
    handles = [
        Line2D([], [], color=PALETTE[n % len(PALETTE)], linewidth=4, label=one.label) for n, one in enumerate(series)
    ]
    handles += [
        Line2D([], [], color=GREY, linewidth=1.6, alpha=0.7, label=f"stories per {unit}"),
        Line2D([], [], color=GREY, linewidth=4, label=series[0].rolling_label if series else "mean"),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=LEGEND_PT, frameon=False, ncol=min(len(handles), 3))


def _style_axes(ax: Axes, series: Sequence[Series]) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.ticker import MaxNLocator

    top = max((point.count for one in series for point in one.points), default=0)
    ax.set_ylim(0, max(top, 1) * 1.6 + 0.5)  # room for the legend and the peak notes
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    locator = AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    unit = "day" if not series or series[0].bucket == "day" else "week"
    ax.set_ylabel(f"stories per {unit}", fontsize=LABEL_PT, color=GREY)
    ax.tick_params(labelsize=TICK_PT, colors="#222222")
    ax.grid(axis="y", color="#dddddd", linewidth=1)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if series and series[0].points:
        ax.set_xlim(float(date2num(series[0].points[0].start)), float(date2num(series[0].points[-1].start)))


def _annotate_peaks(ax: Axes, chart: TrendChart) -> None:
    from matplotlib.dates import date2num

    points = [p for one in chart.series for p in one.points]
    if not points:
        return
    left, right = date2num(points[0].start), date2num(max(p.start for p in points))
    for rank, (one, peak) in enumerate(chart_peaks(chart.series)):
        colour = PALETTE[chart.series.index(one) % len(PALETTE)]
        where = (date2num(peak.start) - left) / max(right - left, 1)
        text = day_label(peak.start, year=chart.year_in_dates)
        if one.bucket == "week":
            text = "week of " + text
        if peak.top_title:
            text += ": " + short_headline(peak.top_title, 34)
        ax.annotate(
            text,
            xy=(float(date2num(peak.start)), peak.count),
            xytext=(-12 if where > 0.6 else 12, 22 + 24 * rank),
            textcoords="offset points",
            ha="right" if where > 0.6 else "left",
            fontsize=NOTE_PT,
            color="#111111",
            bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": colour, "alpha": 0.9},
            arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 1.5},
        )
