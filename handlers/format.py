"""Shared pieces of replies: dates in the chat's time zone and one-line article references."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from diplobot.analysis.language import language_name
from diplobot.clock import from_iso
from diplobot.handlers.reply import Link, Span, Text
from diplobot.ingest.urls import display_url


def local_date(value: str | None, tz: str, *, with_time: bool = False) -> str:
    """`2025-09-04` (or `2025-09-04 13:00`) in the chat's zone; '' when unknown."""
    if not value:
        return ""
    local = from_iso(value).astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def local_time(value: str, tz: str) -> str:
    """A moment as the chat reads it: `2025-09-04 13:00 Europe/Kyiv` (its own zone, named)."""
    return f"{local_date(value, tz, with_time=True)} {tz}"


def until_label(value: str, tz: str) -> str:
    """'until 2025-09-04 13:00 Europe/Kyiv', or 'until /unmute' for a mute without an end."""
    return "until /unmute" if value >= "9999" else f"until {local_time(value, tz)}"


def article_line(row: dict[str, Any], tz: str) -> tuple[Span, ...]:
    """Title (linked when there is a URL), then source, date and, for an article not in English, its language."""
    title = row["title"] or "(untitled)"
    head: Span = Link(title, row["url"]) if row.get("url") else Text(title, "bold")
    meta = ", ".join(x for x in (source_label(row), local_date(row.get("published_at"), tz), language_tag(row)) if x)
    return (head, Text(f" — {meta}")) if meta else (head,)


def language_tag(row: dict[str, Any]) -> str:
    """'in Ukrainian', 'in Russian', 'in another language' for an article not in English; '' for English or when
    its language is unknown (English is what chats read by default, so it carries no tag)."""
    lang = row.get("lang")
    if not lang or lang == "en":
        return ""
    return "in another language" if lang == "other" else f"in {language_name(lang)}"


def source_label(row: dict[str, Any]) -> str:
    """The article's source as chats see it: its title, or its URL with credentials masked."""
    return display_url(row.get("source") or "")


def marked_snippet(snippet: str) -> tuple[Span, ...]:
    """Turn an FTS snippet with \\x02hit\\x03 markers into spans with marked hits."""
    spans: list[Span] = []
    for i, part in enumerate(snippet.replace("\x03", "\x02").split("\x02")):
        if part:
            spans.append(Text(part, "mark" if i % 2 else "plain"))
    return tuple(spans)
