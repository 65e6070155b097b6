"""Reading JSON Feed (https://jsonfeed.org/version/1 and /1.1) documents into ArticleDrafts.

JSON Feed is RSS as a JSON object: `{"version": "https://jsonfeed.org/version/1.1", "title": ...,
"items": [{"id", "url", "title", "content_html" | "content_text", "summary", "date_published"}]}`.
Feeds in the wild bend the spec (numeric ids, relative URLs, RFC 822 dates, a missing `version`
with `items` present), so each field is read leniently and a bad item is skipped with a warning
rather than failing the feed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeGuard
from urllib.parse import urljoin

from diplobot.ingest.feeds import ParsedFeed, year_or_month_only
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.text import clean_title, html_to_text, lead_title, one_line, plain_text
from diplobot.ingest.urls import web_link

VERSION_PREFIX = "https://jsonfeed.org/version/"


def is_json_feed(value: Any) -> TypeGuard[dict[str, Any]]:
    """A JSON value that is a JSON Feed: says so in `version`, or is an object with a list of `items`
    and a feed-like field (`title`, `home_page_url`, `feed_url`) but no `version` at all."""
    if not isinstance(value, dict):
        return False
    version = value.get("version")
    if isinstance(version, str) and version.startswith(
        ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
    ):
        return True
    return (
        version is None
        and isinstance(value.get("items"), list)
        and any(key in value for key in ("home_page_url", "feed_url"))
    )


def parse_json_feed(feed: dict[str, Any], *, url: str | None = None) -> ParsedFeed:
    """The items of a JSON Feed object (already decoded), in document order."""
    items = feed.get("items")
    if not isinstance(items, list):
        raise IngestError('not a JSON Feed: it has no list of "items"')
    title = clean_title(_string(feed.get("title"))) or None
    base = web_link(_string(feed.get("feed_url"))) or url or web_link(_string(feed.get("home_page_url"))) or ""
    drafts, skipped = [], 0
    for item in items:
        draft = _draft(item, base, title) if isinstance(item, dict) else None
        if draft is None:
            skipped += 1
        else:
            drafts.append(draft)
    warning = f"skipped {skipped} JSON Feed item(s) that were not objects with any content" if skipped else None
    return ParsedFeed(title=title, drafts=drafts, warning=warning)


def _draft(item: dict[str, Any], base: str, feed_title: str | None) -> ArticleDraft | None:
    html = _string(item.get("content_html"))
    body = html_to_text(html) if html else plain_text(_string(item.get("content_text")))
    summary = plain_text(_string(item.get("summary")))
    if summary == body:
        summary = ""
    link = _link(item.get("url"), base) or _link(item.get("external_url"), base)
    title = clean_title(_string(item.get("title")))
    if not (title or body or summary or link):
        return None
    guid = one_line(_string(item.get("id"))) or None
    return ArticleDraft(
        title=title or lead_title(body or summary) or link or "(untitled)",
        url=link,
        guid=guid,
        summary=summary,
        body=body,
        published_at=_when(_string(item.get("date_published")) or _string(item.get("date_modified"))),
        source_title=feed_title,
    )


def _string(value: Any) -> str:
    """A field as text: strings as they are, numbers (ids in the wild) as digits, anything else empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _link(value: Any, base: str) -> str | None:
    text = _string(value).strip()
    return web_link(urljoin(base, text)) if text else None


def _when(value: str) -> datetime | None:
    """RFC 3339 as the spec says, or RFC 822 as some feeds write it; a bare year or month is no date."""
    value = value.strip()
    if not value or year_or_month_only(value):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
