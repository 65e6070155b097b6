"""One entry point for every document diplobot reads: a file, a URL given to `diplobot ingest`, a polled source.

`parse_document` sniffs what the bytes are (ingest/sniff.py: content first, then Content-Type, then
the name's suffix) and hands them to the one reader for that kind: RSS/Atom/RDF feeds, JSON Feed,
HTML pages, JSON/JSONL articles, Markdown or plain text. It is synchronous, CPU-bound and takes and
returns only picklable values, so callers run it in a worker (`runner.run(parse_document, ...)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from diplobot.ingest.encoding import charset_param
from diplobot.ingest.feeds import parse_feed
from diplobot.ingest.jsonfeed import is_json_feed, parse_json_feed
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.pages import read_page
from diplobot.ingest.plain import decode_text, json_articles, load_json, load_jsonl, markdown_article, text_article
from diplobot.ingest.sniff import JSON_SUFFIXES, JSONL_SUFFIXES, hinted_kind, sniff, suffix_of

DocumentKind = Literal["feed", "json-feed", "page", "json", "markdown", "text", "folder"]


@dataclass
class ParsedDocument:
    """What a document held: its kind, its own title (feeds), its articles, and warnings about reading it."""

    kind: DocumentKind
    drafts: list[ArticleDraft]
    title: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def is_feed(self) -> bool:
        return self.kind in ("feed", "json-feed")

    @property
    def warning(self) -> str | None:
        """All warnings as one line, or None."""
        return "; ".join(self.warnings) or None

    def articles(self) -> list[ArticleDraft]:
        """The drafts, or an IngestError for a feed with no items (one input that gave nothing is a failure)."""
        if not self.drafts:
            raise IngestError("no items could be read from the feed")
        return self.drafts


def parse_document(
    data: bytes, *, url: str | None = None, content_type: str = "", name: str = "", feeds_only: bool = False
) -> ParsedDocument:
    """Read `data` as whatever it is; `url`/`content_type` are the response's, `name` a file name or URL.

    With `feeds_only` (a polled source), anything but a feed is an error that says what it is instead,
    pointing at the feed an HTML page links to when there is one.
    """
    if not data.strip():
        raise IngestError("empty document: nothing to read")
    kind = sniff(data, content_type=content_type, name=name or url or "")
    if kind == "opml":
        raise IngestError("an OPML subscription list, not articles: add its feeds with `diplobot sources import FILE`")
    if kind == "feed" or (feeds_only and kind == "html"):
        parsed = parse_feed(data, url=url, content_type=content_type)  # an HTML page: "not a feed", with a hint
        return ParsedDocument("feed", parsed.drafts, parsed.title, _listed(parsed.warning))
    if kind in ("json", "jsonl"):
        document = _json_document(data, kind, url=url, content_type=content_type, name=name or url or "")
        if document is not None:
            return _only_feeds(document, feeds_only)
        kind = hinted_kind(content_type, suffix_of(name or url or ""), markup=False)
        if kind in ("json", "jsonl"):
            kind = "text"
    if feeds_only:
        raise IngestError(f"not a feed: got {_KIND_NAMES.get(kind, kind)} (no RSS, Atom or JSON Feed)")
    if kind == "html":
        page = read_page(data, url=url, content_type=content_type)
        return ParsedDocument("page", [page.draft], warnings=_listed(page.warning))
    if kind == "feed":  # hinted from the name only, content not markup: the feed reader says what is wrong
        parsed = parse_feed(data, url=url, content_type=content_type)
        return ParsedDocument("feed", parsed.drafts, parsed.title, _listed(parsed.warning))
    decoded = decode_text(data, declared=charset_param(content_type))
    if kind == "markdown":
        return ParsedDocument("markdown", [markdown_article(decoded.text)], warnings=_listed(decoded.warning))
    return ParsedDocument("text", [text_article(decoded.text)], warnings=_listed(decoded.warning))


_KIND_NAMES = {
    "html": "an HTML page",
    "markdown": "a Markdown document",
    "text": "plain text",
    "json": "a JSON document",
    "jsonl": "JSON lines",
}


def _json_document(data: bytes, kind: str, *, url: str | None, content_type: str, name: str) -> ParsedDocument | None:
    """JSON Feed or JSON articles; None when the content only looked like JSON (a text starting "[")."""
    declared = suffix_of(name) in JSON_SUFFIXES | JSONL_SUFFIXES or "json" in content_type.lower()
    decoded = decode_text(data, declared=charset_param(content_type))
    try:
        value = load_jsonl(decoded.text) if kind == "jsonl" else load_json(decoded.text)
    except IngestError:
        if declared:
            raise
        return None
    warnings = _listed(decoded.warning)
    if is_json_feed(value):
        parsed = parse_json_feed(value, url=url)
        return ParsedDocument("json-feed", parsed.drafts, parsed.title, warnings + _listed(parsed.warning))
    return ParsedDocument("json", json_articles(value), warnings=warnings)


def _only_feeds(document: ParsedDocument, feeds_only: bool) -> ParsedDocument:
    if feeds_only and not document.is_feed:
        raise IngestError("not a feed: got a JSON document that is not a JSON Feed")
    return document


def _listed(warning: str | None) -> list[str]:
    return [warning] if warning else []
