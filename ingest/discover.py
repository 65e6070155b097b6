"""Checking a source before `diplobot sources add` stores it: what it is, and for a web page the feed it links.

A source that cannot work should be refused when it is added, with the reason, rather than fail at every poll:
an unknown URL scheme (`ftp://x` is no local path), text that is neither an http(s) URL nor an existing file or
folder, a web page that is no feed. A page usually names its feed in its head, `<link rel="alternate"
type="application/rss+xml" href="...">` (RSS, Atom or JSON Feed): that feed is added instead, and the user is
told. Only a network failure lets a source in unchecked, with a warning: the site may be down for a moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from diplobot.ingest.documents import parse_document
from diplobot.ingest.fetch import Fetcher, FetchResult
from diplobot.ingest.models import IngestError
from diplobot.ingest.sniff import sniff
from diplobot.ingest.urls import check_public_url, redact_url, web_link

# In order of preference: plain `application/json` is last, since sites also link JSON APIs that way
FEED_LINK_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
)
LINKS_TRIED = 3  # feeds a page links that are fetched before giving up on it
_HEAD_BYTES = 512 * 1024  # where a page's <link> elements are looked for
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")  # two letters at least: `C:\feeds` is a Windows path
_HOST_LIKE = re.compile(r"(?:www\.|[\w-]+(?:\.[\w-]+)+(?::\d+)?/)")


@dataclass
class NewSource:
    """What to store for a source: its URL (or absolute path), kind, and what to tell the user."""

    url: str
    kind: str
    notes: list[str] = field(default_factory=list)  # what was found: "a feed, 12 items"
    warning: str | None = None  # it could not be checked


def url_scheme(text: str) -> str | None:
    """The scheme of a URL-looking text ('ftp' for `ftp://x`), lower case; None for a path."""
    match = _SCHEME.match(text.strip())
    return match.group(1).lower() if match else None


async def check_new_source(text: str, fetcher: Fetcher, *, allow_private: bool) -> NewSource:
    """The source `text` names, checked; IngestError says why it cannot be one."""
    text = text.strip()
    if text.startswith("sample:"):
        return NewSource(text, "sample")
    scheme = url_scheme(text)
    if scheme not in ("http", "https"):
        path = Path(text).expanduser()
        if path.exists():
            return NewSource(str(path.resolve()), "file", [f"a local {'folder' if path.is_dir() else 'file'}"])
        if scheme and not text[len(scheme) + 1 :][:1].isdigit():  # `localhost:8080/rss` is a host without scheme
            raise IngestError(
                f"{scheme}: URLs are not supported: only http:// and https:// URLs are fetched "
                "(a local file or folder is given by its path)"
            )
        hint = f" (did you mean https://{text}?)" if scheme or _HOST_LIKE.match(text) else ""
        raise IngestError(f"neither an http(s) URL nor an existing file or folder{hint}")
    check_public_url(text, allow_private=allow_private)
    try:
        fetched = await fetcher.get(text)
    except IngestError as exc:
        return NewSource(
            text,
            "feed",
            warning=f"could not check it now ({exc}); added anyway: `diplobot sources list` shows how its polls go",
        )
    try:
        return NewSource(text, "feed", [_feed_note(fetched)])
    except IngestError:
        if sniff(fetched.body, content_type=fetched.content_type, name=fetched.url) != "html":
            raise
    return await _linked_feed(text, fetched, fetcher)


async def _linked_feed(text: str, page: FetchResult, fetcher: Fetcher) -> NewSource:
    """The first feed the page links that reads as one, as the source to add instead of the page."""
    links = feed_links(page.body, page.url)
    problems = []
    for link in links[:LINKS_TRIED]:
        try:
            note = _feed_note(await fetcher.get(link))
        except IngestError as exc:
            problems.append(f"{redact_url(link)}: {exc}")
            continue
        others = [redact_url(u) for u in links if u != link]
        also = f" (it also links {', '.join(others)})" if others else ""
        return NewSource(
            link,
            "feed",
            [
                f"{redact_url(text)} is a web page; it links its feed {redact_url(link)}, which is added instead{also}",
                note,
            ],
        )
    if problems:
        raise IngestError(f"a web page, not a feed; the feeds it links could not be read: {'; '.join(problems)}")
    raise IngestError(
        "a web page, not a feed, and it links no feed: give the site's feed URL, or store this "
        "page once with `diplobot ingest URL`"
    )


def _feed_note(fetched: FetchResult) -> str:
    """'a feed, "Title", 12 items'; IngestError when the document is not a feed."""
    parsed = parse_document(
        fetched.body, url=fetched.url, content_type=fetched.content_type, name=fetched.url, feeds_only=True
    )
    title = f', "{parsed.title}"' if parsed.title else ""
    return f"a feed{title}, {len(parsed.drafts)} item{'s' if len(parsed.drafts) != 1 else ''}"


def feed_links(html: bytes, base_url: str) -> list[str]:
    """The http(s) feeds a page's `<link rel="alternate">` elements name, absolute, once each: RSS, Atom and JSON
    Feed in page order, then links typed only as JSON."""
    parser = _FeedLinks(base_url)
    parser.feed(html[:_HEAD_BYTES].decode("utf-8", "replace"))
    parser.close()
    ranked = sorted(enumerate(parser.links), key=lambda item: (item[1][0] == "application/json", item[0]))
    return list(dict.fromkeys(link for _, (_, link) in ranked))


class _FeedLinks(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.links: list[tuple[str, str]] = []  # (type, URL)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base_url:
            href = dict(attrs).get("href")
            self.base_url = urljoin(self.base_url, href) if href else self.base_url
        if tag != "link":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        kind = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in values.get("rel", "").lower().split() and kind in FEED_LINK_TYPES and values.get("href"):
            link = web_link(urljoin(self.base_url, values["href"].strip()))
            if link:
                self.links.append((kind, link))
