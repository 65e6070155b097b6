"""Reading RSS 0.9x/1.0/2.0 and Atom documents into ArticleDrafts.

`parse_feed` is synchronous and CPU-bound (the bot runs it in a sandbox worker process); it keeps whatever
feedparser could read from a damaged feed and reports the damage as a warning, and it raises
IngestError only when nothing at all could be read.

Before feedparser sees a byte, the document is decoded by ingest/encoding.py (so undeclared legacy
encodings are detected, not read as windows-1252 mojibake) and handed over as UTF-8, and any DTD
internal subset or entity declaration is refused by a linear scan of that text (ingest/sniff.py):
feedparser's lenient parser would otherwise expand entities, and the check must see what it sees.
"""

from __future__ import annotations

import calendar
import io
import re
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from diplobot.ingest.encoding import charset_param, decode, xml_declared
from diplobot.ingest.fetch import Fetcher, FetchResult
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.sniff import ascii_view, refuse_dtd
from diplobot.ingest.text import clean_title, html_to_text, lead_title, one_line, plain_text
from diplobot.ingest.urls import web_link
from diplobot.sandbox import THREADS, Runner

_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]", re.I)
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
_YEAR_OR_MONTH = re.compile(r"\s*\d{4}(?:-\d{1,2})?\s*")


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
    decoded = decode(data, declared=(charset_param(content_type), xml_declared(data)))
    if decoded:  # feedparser gets UTF-8 it cannot misread, and says so in the header it trusts most
        payload, feed_type = decoded.text.encode("utf-8", "surrogatepass"), "application/xml; charset=utf-8"
    else:  # nothing fits: feedparser's own fallbacks, with their warning
        payload, feed_type = data, content_type or "application/xml"
    refuse_dtd(ascii_view(payload))
    headers = {"content-type": feed_type}
    if url:
        headers["content-location"] = url
    # Always a file object: feedparser treats bytes or str as a path or URL to open.
    try:
        parsed = feedparser.parse(io.BytesIO(payload), response_headers=headers)
    except UnicodeError as exc:  # feedparser gives up on some misdeclared encodings
        raise IngestError(f"cannot read the feed: wrong or invalid character encoding ({exc})") from None
    except Exception as exc:  # its lenient parser has crash bugs on hostile markup (ValueError, KeyError, ...)
        raise IngestError(f"malformed XML with nothing readable ({type(exc).__name__}: {exc})") from None
    problem = _describe(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not parsed.entries and not parsed.get("version"):
        raise _unreadable(data, parsed, url, content_type, problem)
    feed_title = clean_title(parsed.feed.get("title") or "") or None
    drafts = [d for d in (_draft(e, feed_title) for e in parsed.entries) if d]
    warnings = [decoded.warning] if decoded and decoded.warning else []
    if problem:
        warnings.append(f"problem in the feed: {problem}; read {len(drafts)} item(s) anyway")
    return ParsedFeed(title=feed_title, drafts=drafts, warning="; ".join(warnings) or None)


async def fetch_feed(
    fetcher: Fetcher, url: str, *, etag: str | None = None, last_modified: str | None = None, runner: Runner = THREADS
) -> tuple[FetchResult, ParsedFeed | None]:
    """Fetch a feed and parse it with `runner`; the ParsedFeed is None when unchanged (304)."""
    fetched = await fetcher.get(url, etag=etag, last_modified=last_modified)
    if fetched.status == 304:
        return fetched, None
    parsed = await runner.run(parse_feed, fetched.body, url=fetched.url, content_type=fetched.content_type)
    return fetched, parsed


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
    body = max(
        (_text(c.get("value") or "", c.get("type") or "text/html") for c in entry.get("content") or []),
        key=len,
        default="",
    )
    # Feedburner and similar proxies put their redirect (feeds.example.com/~r/...) in <link>.
    link = web_link(entry.get("feedburner_origlink")) or web_link(entry.get("link"))
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


def year_or_month_only(value: str) -> bool:
    """A date written as a bare year or year-month: feedparser makes it 1 January, which it is not."""
    return bool(_YEAR_OR_MONTH.fullmatch(value))


def _published(entry: Any) -> datetime | None:
    key = "published" if entry.get("published_parsed") else "updated"
    when = entry.get(f"{key}_parsed")
    if not when or year_or_month_only(entry.get(key) or ""):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(when), UTC)
    except (OverflowError, ValueError, OSError):
        return None
