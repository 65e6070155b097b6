"""Reading one web page as one article: trafilatura finds the main text, title and date.

`parse_page` is synchronous and CPU-bound; the async helpers fetch with the shared Fetcher (same
timeouts and size cap as feeds) and parse with a `Runner`: a limited worker process in the bot.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.utils import load_html

from diplobot.ingest.encoding import charset_param, decode, html_declared
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.substance import without_notices
from diplobot.ingest.text import clean_title, join_paragraphs, lead_title
from diplobot.ingest.titles import page_title
from diplobot.sandbox import THREADS, Runner

# Less than this is a menu, a cookie notice or a teaser, not an article (trafilatura returns even "hi").
MIN_TEXT_CHARS = 100
# Ask htmldate for the time and offset too, not just the day.
_DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": True}

# Attributes that point at images, scripts, styles and media: a date in such a path is when a file was
# uploaded (/uploads/2019/05/photo.jpg), not when the article was published, so htmldate must not see it.
_ASSET_ATTRIBUTES = frozenset(
    {
        "src",
        "srcset",
        "data-src",
        "data-srcset",
        "data-original",
        "data-lazy-src",
        "poster",
        "data-bg",
        "data-background",
    }
)
_ASSET_PATH = re.compile(
    r"\.(?:jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|css|js|mjs|json|woff2?|ttf|otf|eot|mp[34]|"
    r"m4[av]|webm|ogg|ogv|mov|avi|wav|pdf)(?:[?#]|$)",
    re.I,
)
_PAGE_LINKS = frozenset({"canonical", "alternate", "amphtml", "shortlink"})
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


@dataclass(frozen=True)
class ReadPage:
    """A page's article and what was odd about reading it (a guessed encoding), if anything."""

    draft: ArticleDraft
    warning: str | None = None


def parse_page(html: bytes | str, *, url: str | None = None, content_type: str = "") -> ArticleDraft:
    """The article on an HTML page; raises IngestError when the page has no readable main text."""
    return read_page(html, url=url, content_type=content_type).draft


def read_page(html: bytes | str, *, url: str | None = None, content_type: str = "") -> ReadPage:
    """`parse_page`, with the warning a caller should show (naming the page) when the encoding was guessed."""
    if not html.strip():
        raise IngestError("empty page")
    warning = None
    if isinstance(html, bytes):
        if _is_binary(html):
            raise IngestError("not an HTML page: binary data")
        decoded = decode(html, declared=(charset_param(content_type), html_declared(html)))
        if decoded is None:
            html, warning = html.decode("utf-8", "replace"), "no encoding fits the page; undecodable bytes replaced"
        else:
            html, warning = decoded.text, decoded.warning
    try:
        tree = load_html(html)
        hints = _title_hints(tree) if tree is not None else {}
        if tree is not None:
            _drop_asset_urls(tree)
        doc = trafilatura.bare_extraction(
            tree if tree is not None else html,
            url=url,
            with_metadata=True,
            include_comments=False,
            date_extraction_params=_DATE_PARAMS,
        )
    except (ValueError, TypeError, lxml.etree.LxmlError) as exc:
        raise IngestError(f"cannot parse the page as HTML: {exc}") from None
    if not isinstance(doc, trafilatura.settings.Document):  # None: nothing found (a dict only on request)
        raise IngestError("no article text found on the page (only 0 characters of text)")
    paragraphs = (doc.text or "").split("\n")
    body = join_paragraphs(paragraphs)
    if len(body) >= MIN_TEXT_CHARS and len(without_notices(body)) < MIN_TEXT_CHARS:
        raise IngestError("no article text found on the page: only a script, cookie, paywall or bot-check notice")
    page_url = url or doc.url
    title = page_title(
        [doc.title, *hints.get("titles", [])], site_names=[doc.sitename, *hints.get("sites", [])], url=page_url
    )
    headings = {title, clean_title(doc.title or "")}
    lead = 0
    while lead < 2 and lead < len(paragraphs) and clean_title(paragraphs[lead]) in headings:
        lead += 1  # the page's own <h1> (and a site-name <h1> before it) repeat the title
    if lead:
        body = join_paragraphs(paragraphs[lead:])
    if len(body) < MIN_TEXT_CHARS:
        raise IngestError(f"no article text found on the page (only {len(body)} characters of text)")
    published = _parse_date(doc.date)
    if published and not _day_is_known(published, doc.date, tree, page_url):
        published = None  # only a year or a month was found: no date rather than a made-up 1st
    draft = ArticleDraft(
        title=title or lead_title(body),
        url=page_url,
        body=body,
        published_at=published,
        source_title=clean_title(doc.sitename or "") or None,
    )
    return ReadPage(draft, warning)


async def fetch_page(fetcher: Fetcher, url: str, runner: Runner = THREADS) -> ArticleDraft:
    """Fetch a page and extract its article with `runner` (a sandbox worker in the bot)."""
    page = await fetcher.get(url)
    return await runner.run(parse_page, page.body, url=page.url, content_type=page.content_type)


def _is_binary(data: bytes) -> bool:
    head = data[:4096]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _title_hints(tree: lxml.html.HtmlElement) -> dict[str, list[str]]:
    """Headline candidates after trafilatura's own (og:title, twitter:title, the first <h1>s, <title>) and
    the names the page gives its site, read before extraction changes anything."""

    def meta(*keys: str) -> Iterator[str]:
        for key in keys:
            for node in tree.xpath(f'//meta[@property="{key}" or @name="{key}"]/@content')[:1]:
                yield str(node)

    titles = [*meta("og:title", "twitter:title")]
    titles += [clean_title(lxml.html.tostring(h1, encoding="unicode")) for h1 in itertools.islice(tree.iter("h1"), 3)]
    titles += [str(t.text_content()) for t in tree.iter("title")][:1]
    return {"titles": titles, "sites": [*meta("og:site_name", "application-name", "twitter:site")]}


def _drop_asset_urls(tree: lxml.html.HtmlElement) -> None:
    """Remove URLs of images, scripts, styles and media from the tree, where htmldate would find dates."""
    for element in tree.iter(lxml.etree.Element):
        attributes = element.attrib
        for name in [n for n in attributes if _is_asset_url(element, n, attributes[n])]:
            del attributes[name]


def _is_asset_url(element: lxml.html.HtmlElement, name: str, value: str) -> bool:
    if name in _ASSET_ATTRIBUTES:
        return True
    if name == "style":
        return "url(" in value
    if name not in ("href", "content", "data"):
        return False
    if _ASSET_PATH.search(value):
        return True
    rels = set((element.get("rel") or "").lower().split())
    return name == "href" and element.tag == "link" and not rels & _PAGE_LINKS  # stylesheets, icons, preloads


def _day_is_known(when: datetime, raw: str | None, tree: lxml.html.HtmlElement | None, url: str | None) -> bool:
    """False for htmldate's guesses from a year or a month alone (a copyright line, "March 2025"), which it
    gives as the 1st at midnight: such a date is kept only if the page (or its URL) states that very day."""
    if when.day != 1 or not raw or not raw.endswith("T00:00:00"):  # a time or an offset: stated precisely
        return True
    haystack = (lxml.html.tostring(tree, encoding="unicode") if tree is not None else "") + " " + (url or "")
    year, month = when.year, when.month
    name = _MONTHS[month - 1]
    patterns = (
        rf"{year}[-/._]?0?{month}[-/._]?0?1(?!\d)",
        rf"(?<!\d)0?1[-/.]0?{month}[-/.]{year}",
        rf"(?<!\d)0?{month}/0?1/{year}",
        rf"(?<!\d)1(?:st|er|\.)?\s+(?:{name}|{name[:3]}\.?),?\s+{year}",
        rf"\b(?:{name}|{name[:3]}\.?)\s+0?1(?:st)?,?\s+{year}",
    )
    return any(re.search(p, haystack, re.I) for p in patterns)


def _parse_date(value: str | None) -> datetime | None:
    """trafilatura's date, made UTC; a date without a time or offset is taken as midnight UTC."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
