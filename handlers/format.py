"""Shared pieces of replies: dates in the chat's time zone and one-line article references."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from diplobot.clock import from_iso
from diplobot.handlers.reply import Link, Span, Text
from diplobot.ingest.urls import display_url


def local_date(value: str | None, tz: str, *, with_time: bool = False) -> str:
    """`2025-09-04` (or `2025-09-04 13:00`) in the chat's zone; '' when unknown."""
    if not value:
        return ""
    local = from_iso(value).astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def article_line(row: dict[str, Any], tz: str) -> tuple[Span, ...]:
    """Title (linked when there is a URL), then source and date."""
    title = row["title"] or "(untitled)"
    head: Span = Link(title, row["url"]) if row.get("url") else Text(title, "bold")
    meta = ", ".join(x for x in (source_label(row), local_date(row.get("published_at"), tz)) if x)
    return (head, Text(f" — {meta}")) if meta else (head,)


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
