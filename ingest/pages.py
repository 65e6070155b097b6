"""Reading one web page as one article: trafilatura finds the main text, title and date.

`parse_page` is synchronous and CPU-bound; the async helpers fetch with the shared Fetcher (same
timeouts and size cap as feeds) and parse in a worker thread.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import lxml.etree
import trafilatura

from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.text import clean_title, join_paragraphs, lead_title

# Less than this is a menu, a cookie notice or a teaser, not an article (trafilatura returns even "hi").
MIN_TEXT_CHARS = 100
# Ask htmldate for the time and offset too, not just the day.
_DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": True}


def parse_page(html: bytes | str, *, url: str | None = None) -> ArticleDraft:
    """The article on an HTML page; raises IngestError when the page has no readable main text."""
    if not html.strip():
        raise IngestError("empty page")
    if isinstance(html, bytes) and _is_binary(html):
        raise IngestError("not an HTML page: binary data")
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          date_extraction_params=_DATE_PARAMS)
    except (ValueError, TypeError, lxml.etree.LxmlError) as exc:
        raise IngestError(f"cannot parse the page as HTML: {exc}") from None
    paragraphs = (doc.text or "").split("\n") if doc else []
    title = clean_title(doc.title or "") if doc else ""
    if paragraphs and title and clean_title(paragraphs[0]) == title:
        paragraphs = paragraphs[1:]  # the page's own <h1> repeats the title
    body = join_paragraphs(paragraphs)
    if len(body) < MIN_TEXT_CHARS:
        raise IngestError(f"no article text found on the page (only {len(body)} characters of text)")
    return ArticleDraft(title=title or lead_title(body), url=url or doc.url, body=body,
                        published_at=_parse_date(doc.date), source_title=clean_title(doc.sitename or "") or None)


async def fetch_page(fetcher: Fetcher, url: str) -> ArticleDraft:
    """Fetch a page and extract its article off the event loop."""
    page = await fetcher.get(url)
    return await asyncio.to_thread(parse_page, page.body, url=page.url)


def _is_binary(data: bytes) -> bool:
    head = data[:4096]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _parse_date(value: str | None) -> datetime | None:
    """trafilatura's date, made UTC; a date without a time or offset is taken as midnight UTC."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
