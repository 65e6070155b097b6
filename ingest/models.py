"""What every source yields: an article not yet stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ArticleDraft:
    """One article as read from a feed item, a web page or a file.

    `published_at` is timezone-aware UTC (or None when the source gives no date). `body` is clean
    text with paragraphs separated by a blank line; `summary` likewise.
    """

    title: str
    url: str | None = None
    guid: str | None = None
    summary: str = ""
    body: str = ""
    published_at: datetime | None = None
    source_title: str | None = None


class IngestError(Exception):
    """A source or file that could not be read; the message says what and why, in plain words."""
