"""What a document is, judged by its first bytes (then Content-Type, then the name's suffix), and the DTD check.

Real feeds arrive as `.rdf`, `.php`, with no suffix at all, or served as text/html; real pages arrive
as `.shtml` or extensionless. The content is the only reliable witness, so it decides first: an XML
root element `rss`, `rdf:RDF` or `feed` is a feed, a `<!DOCTYPE html>` or an `<html>` root is a page,
a JSON document is JSON (a JSON Feed when it says so), and only when the content is inconclusive do
the Content-Type and the suffix decide.

Everything here is a linear scan (`str.find` and regexes without nested repetition): a hostile prolog
of thousands of processing instructions or comments costs time proportional to its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from diplobot.ingest.models import IngestError

Kind = Literal["feed", "html", "json", "jsonl", "markdown", "text", "opml"]

FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})

_FEED_ROOTS = frozenset({"rss", "rdf", "feed"})
# Roots of a whole HTML document (decisive whatever the suffix) and of an HTML fragment (decisive
# unless the name says Markdown or plain text, which may legitimately start with a tag).
_HTML_DOCUMENT_ROOTS = frozenset({"html", "head", "body", "frameset"})
_HTML_FRAGMENT_ROOTS = frozenset(
    {
        "a",
        "article",
        "b",
        "base",
        "br",
        "center",
        "div",
        "font",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "i",
        "iframe",
        "img",
        "link",
        "main",
        "meta",
        "nav",
        "noscript",
        "ol",
        "p",
        "script",
        "section",
        "span",
        "style",
        "table",
        "title",
        "ul",
    }
)
_FEED_TYPES = ("rss", "atom", "rdf", "/xml", "+xml")
_JSON_TYPES = ("/json", "+json")
_JSONL_TYPES = ("ndjson", "jsonl", "json-seq")

_SPACE = re.compile(rb"\s*")
_ROOT_NAME = re.compile(rb"<([A-Za-z_][\w.\-]*)(?::([A-Za-z_][\w.\-]*))?")
_DOCTYPE_NAME = re.compile(rb"\s*([^\s\[>]*)")
_DOCTYPE_STOP = re.compile(rb"[\"'\[>]")
_ENTITY_BYTES = re.compile(rb"<!\s*ENTITY", re.I)
# Markup somewhere near the start of a document that does not begin with it (a PHP notice, say).
_LATE_FEED = re.compile(rb"<(?:rss[\s>]|feed[\s>]|rdf:RDF[\s>])")
_LATE_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]", re.I)
_UNICODE_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_SNIFF_LATE = 2048


@dataclass(frozen=True)
class Prolog:
    """What precedes an XML document's root: the root's name (lower-case local name), the DOCTYPE, and
    whether the DOCTYPE has an internal subset (`[...]`)."""

    root: str | None
    doctype: str | None
    internal_subset: bool


def ascii_view(data: bytes) -> bytes:
    """The document's bytes as ASCII-compatible as cheaply possible: no byte-order mark, and no NULs
    (UTF-16 and UTF-32 markup is ASCII with NULs in between; an attacker's stray NUL hides nothing)."""
    for bom in _UNICODE_BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
            break
    return data.replace(b"\x00", b"") if b"\x00" in data else data


def _after_space(view: bytes, pos: int) -> int:
    """Where the white space at `pos` ends."""
    match = _SPACE.match(view, pos)
    return match.end() if match else pos


def scan_prolog(view: bytes) -> Prolog:
    """Skip the XML declaration, processing instructions, comments and the DOCTYPE, in linear time."""
    pos = _after_space(view, 0)
    doctype = None
    while view.startswith(b"<", pos):
        if view.startswith(b"<?", pos):
            end = view.find(b"?>", pos + 2)
            pos = end + 2
        elif view.startswith(b"<!--", pos):
            end = view.find(b"-->", pos + 4)
            pos = end + 3
        elif view[pos : pos + 9].upper() == b"<!DOCTYPE":
            doctype, end, subset = _doctype(view, pos + 9)
            if subset:
                return Prolog(None, doctype, True)
            pos = end
        else:
            match = _ROOT_NAME.match(view, pos)
            if not match:
                break
            local = match.group(2) or match.group(1)
            return Prolog(local.decode("ascii", "replace").lower(), doctype, False)
        if end < 0:  # unterminated: no root element follows
            break
        pos = _after_space(view, pos)
    return Prolog(None, doctype, False)


def _doctype(view: bytes, pos: int) -> tuple[str, int, bool]:
    """The DOCTYPE's name, where it ends (-1 when it never does), and whether it opens an internal subset."""
    name_match = _DOCTYPE_NAME.match(view, pos)  # matches anywhere (every part is optional)
    assert name_match is not None
    name = name_match.group(1).decode("ascii", "replace").lower()
    pos = name_match.end()
    while True:
        stop = _DOCTYPE_STOP.search(view, pos)
        if stop is None:
            return name, -1, False
        char = view[stop.start() : stop.start() + 1]
        if char == b"[":
            return name, -1, True
        if char == b">":
            return name, stop.end(), False
        close = view.find(char, stop.end())  # a quoted public or system identifier
        if close < 0:
            return name, -1, False
        pos = close + 1


def refuse_dtd(view: bytes) -> None:
    """Refuse any DTD internal subset and any entity declaration anywhere, before an XML parser sees them.

    They are the way in for entity-expansion bombs ("billion laughs") and local-file disclosure, and no
    real feed needs them. `view` is `ascii_view(data)` of the bytes the parser will get: feeds.parse_feed
    passes the document decoded and re-encoded as UTF-8, so no exotic encoding (UTF-16, EBCDIC) hides one.
    """
    if _ENTITY_BYTES.search(view):
        raise IngestError(
            "refused: the document declares XML entities (used for entity-expansion bombs and local file disclosure)"
        )
    if scan_prolog(view).internal_subset:
        raise IngestError(
            "refused: the document's DOCTYPE has an internal DTD subset "
            "(diplobot reads no DTDs: they carry entity-expansion bombs)"
        )


def suffix_of(name: str) -> str:
    """The lower-case suffix of a file name or of a URL's path (".rdf"), or ""."""
    path = re.split(r"[?#]", name, maxsplit=1)[0]
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return "." + last.rsplit(".", 1)[1].lower() if "." in last.lstrip(".") else ""


def sniff(data: bytes, *, content_type: str = "", name: str = "") -> Kind:
    """The document's kind: by content first, then by Content-Type, then by the name's suffix."""
    view = ascii_view(data)
    suffix = suffix_of(name)
    start = _after_space(view, 0)
    head = view[start : start + 1]
    if head == b"<":
        kind = _markup_kind(scan_prolog(view), suffix)
        if kind:
            return kind
    elif head in (b"{", b"[") and suffix not in MARKDOWN_SUFFIXES | TEXT_SUFFIXES:
        return "jsonl" if suffix in JSONL_SUFFIXES or _mime_has(content_type, _JSONL_TYPES) else "json"
    else:
        late = view[:_SNIFF_LATE]
        if _LATE_FEED.search(late):
            return "feed"
        if _LATE_HTML.search(late):
            return "html"
    return hinted_kind(content_type, suffix, markup=head == b"<")


def _markup_kind(prolog: Prolog, suffix: str) -> Kind | None:
    if prolog.internal_subset:
        return "feed"  # the feed reader refuses it with the reason
    root = prolog.root
    if root in _FEED_ROOTS:
        return "feed"
    if prolog.doctype == "html" or root in _HTML_DOCUMENT_ROOTS:
        return "html"
    if root == "opml":
        return "opml"
    if root in _HTML_FRAGMENT_ROOTS and suffix not in MARKDOWN_SUFFIXES | TEXT_SUFFIXES:
        return "html"
    return None


def hinted_kind(content_type: str, suffix: str, *, markup: bool) -> Kind:
    if _mime_has(content_type, ("html",)) or suffix in HTML_SUFFIXES:
        return "html"
    if suffix in MARKDOWN_SUFFIXES or _mime_has(content_type, ("markdown",)):
        return "markdown"
    if suffix in JSONL_SUFFIXES or _mime_has(content_type, _JSONL_TYPES):
        return "jsonl"
    if suffix in JSON_SUFFIXES or _mime_has(content_type, _JSON_TYPES):
        return "json"
    if suffix in FEED_SUFFIXES or _mime_has(content_type, _FEED_TYPES):
        return "feed"
    if markup and suffix not in TEXT_SUFFIXES and not _mime_has(content_type, ("text/plain",)):
        return "feed"  # some other XML: the feed reader says what it found instead
    return "text"


def _mime_has(content_type: str, parts: tuple[str, ...]) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return bool(mime) and any(part in mime for part in parts)
