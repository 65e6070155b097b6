"""Reading RSS 0.9x/1.0/2.0 and Atom documents into ArticleDrafts.

`parse_feed` is synchronous and CPU-bound (run it with asyncio.to_thread); it keeps whatever
feedparser could read from a damaged feed and reports the damage as a warning, and it raises
IngestError only when nothing at all could be read.
"""

from __future__ import annotations

import asyncio
import calendar
import io
import re
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from diplobot.ingest.fetch import Fetcher, FetchResult
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.text import clean_title, html_to_text, lead_title, one_line, plain_text
from diplobot.ingest.urls import web_link

# The document prolog up to the end of a DOCTYPE's internal subset (NULs of UTF-16 removed first).
_DOCTYPE_SUBSET = re.compile(
    rb"\A(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*<!DOCTYPE[^\[>]*\[(.*?)(?:\]\s*>|\Z)",
    re.S,
)
_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]", re.I)
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")


@dataclass
class ParsedFeed:
    """A feed's own title, its items, and what was wrong with it (if anything) while still readable."""

    title: str | None
    drafts: list[ArticleDraft]
    warning: str | None


def parse_feed(data: bytes, *, url: str | None = None, content_type: str = "") -> ParsedFeed:
    """The items of a feed document; `url` and `content_type` are the response's, when fetched."""
    if not data.strip():
        raise IngestError("empty document: no feed content")
    _refuse_entity_declarations(data)
    # Without a declared type, feedparser would flag every file; XML's own declaration then decides.
    headers = {"content-type": content_type or "application/xml"}
    if url:
        headers["content-location"] = url
    # Always a file object: feedparser treats bytes or str as a path or URL to open.
    try:
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except UnicodeError as exc:  # feedparser gives up on some misdeclared encodings
        raise IngestError(f"cannot read the feed: wrong or invalid character encoding ({exc})") from None
    except Exception as exc:  # its lenient parser has crash bugs on hostile markup (ValueError, KeyError, ...)
        raise IngestError(f"malformed XML with nothing readable ({type(exc).__name__}: {exc})") from None
    problem = _describe(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not parsed.entries and not parsed.get("version"):
        raise _unreadable(data, parsed, url, content_type, problem)
    feed_title = clean_title(parsed.feed.get("title") or "") or None
    drafts = [d for d in (_draft(e, feed_title) for e in parsed.entries) if d]
    warning = f"problem in the feed: {problem}; read {len(drafts)} item(s) anyway" if problem else None
    return ParsedFeed(title=feed_title, drafts=drafts, warning=warning)


async def fetch_feed(fetcher: Fetcher, url: str, *, etag: str | None = None,
                     last_modified: str | None = None) -> tuple[FetchResult, ParsedFeed | None]:
    """Fetch and parse a feed off the event loop; the ParsedFeed is None when unchanged (304)."""
    fetched = await fetcher.get(url, etag=etag, last_modified=last_modified)
    if fetched.status == 304:
        return fetched, None
    parsed = await asyncio.to_thread(parse_feed, fetched.body, url=fetched.url, content_type=fetched.content_type)
    return fetched, parsed


def _refuse_entity_declarations(data: bytes) -> None:
    """Refuse DOCTYPE entity declarations: the way in for "billion laughs" and local-file disclosure."""
    match = _DOCTYPE_SUBSET.match(data.replace(b"\x00", b""))
    if match and b"<!ENTITY" in match.group(1):
        raise IngestError("refused: the document declares XML entities in its DOCTYPE "
                          "(used for entity-expansion bombs and local file disclosure)")


def _unreadable(data: bytes, parsed: Any, url: str | None, content_type: str, problem: str | None) -> IngestError:
    if "html" in content_type.lower() or _HTML_START.search(data[:2048]):
        link = _alternate_feed_link(parsed, url)
        hint = f"; the page links to a feed at {link}" if link else "; give the feed's own URL"
        return IngestError(f"not a feed: got an HTML page{hint}")
    if isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingUnknown):
        return IngestError(f"cannot read the feed: wrong or missing character encoding ({problem})")
    if problem:
        return IngestError(f"malformed XML with nothing readable ({problem})")
    return IngestError("not a feed: no RSS or Atom element found")


def _alternate_feed_link(parsed: Any, url: str | None) -> str | None:
    for link in parsed.feed.get("links", []):
        if link.get("rel") == "alternate" and link.get("type") in _FEED_TYPES and link.get("href"):
            return urljoin(url or "", link["href"])
    return None


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return str(exc) or type(exc).__name__


def _draft(entry: Any, feed_title: str | None) -> ArticleDraft | None:
    title = clean_title(entry.get("title") or "")
    summary = _text(entry.get("summary") or "", (entry.get("summary_detail") or {}).get("type") or "text/html")
    body = max((_text(c.get("value") or "", c.get("type") or "text/html") for c in entry.get("content") or []),
               key=len, default="")
    link = web_link(entry.get("link"))
    if not (title or summary or body or link):
        return None
    return ArticleDraft(
        title=title or lead_title(body or summary) or link or "(untitled)",
        url=link,
        guid=one_line(entry.get("id") or "") or None,
        summary=summary,
        body=body,
        published_at=_published(entry),
        source_title=feed_title,
    )


def _text(value: str, content_type: str) -> str:
    return html_to_text(value) if "html" in content_type else plain_text(value)


def _published(entry: Any) -> datetime | None:
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    if not when:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(when), UTC)
    except (OverflowError, ValueError, OSError):
        return None
