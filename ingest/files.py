"""Reading articles from local files: plain text (seed and corpus formats), Markdown, HTML, JSON/JSONL
and saved feeds.

Every problem is an IngestError naming the file and the reason, so one bad file in a folder is
reported and skipped rather than stopping the whole import.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from diplobot.ingest.feeds import parse_feed
from diplobot.ingest.fetch import DEFAULT_MAX_BYTES
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.pages import parse_page
from diplobot.ingest.text import clean_title, html_to_text, lead_title, one_line, plain_text
from diplobot.ingest.urls import web_link

log = logging.getLogger(__name__)

FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})

# Line 1 of the seed and corpus formats: optional space, `date YYYY-MM-DD`, then maybe a photo caption.
_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})(?:\s|$)")
_MD_TITLE = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.M)
_LOOKS_LIKE_HTML = re.compile(r"</?(?:p|br|div)\b", re.I)
_HEADING_MAX = 150
_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}


def iter_inputs(paths: Iterable[Path]) -> Iterator[Path]:
    """The files to read: files as given, folders recursively in name order, hidden entries skipped.

    A path that does not exist is passed through, so that reading it reports the problem.
    """
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            yield from (Path(folder, f) for f in sorted(files) if not f.startswith("."))


def read_path(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[ArticleDraft]:
    """The articles in one file (one per text/Markdown/HTML file; several for JSON and feeds)."""
    try:
        return _read(path, _read_bytes(path, max_bytes))
    except IngestError as exc:
        raise IngestError(f"{path.name}: {exc}") from None


def _read(path: Path, data: bytes) -> list[ArticleDraft]:
    suffix = path.suffix.lower()
    if suffix in FEED_SUFFIXES:
        return _feed_articles(data)
    if suffix in HTML_SUFFIXES:
        return [parse_page(data)]
    text = _decode(data)
    if suffix == ".json":
        return _json_articles(_load_json(text))
    if suffix == ".jsonl":
        return _json_articles([_load_json(line, n) for n, line in enumerate(text.splitlines(), 1) if line.strip()])
    if suffix in MARKDOWN_SUFFIXES:
        return [_markdown_article(text)]
    return [_text_article(text)]


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """At most `max_bytes` + 1 bytes, so a huge (or endless) file is refused without being read."""
    try:
        if path.is_dir():
            raise IngestError("is a folder, not a file")
        if not path.is_file():
            raise IngestError("no such file" if not path.exists() else "not a regular file")
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise IngestError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise IngestError(f"file larger than {max_bytes / 1048576:g} MiB cap")
    if not data.strip():
        raise IngestError("empty file")
    return data


def _decode(data: bytes) -> str:
    """UTF-8 (or UTF-16 with a byte-order mark) text; anything else is refused with the reason."""
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    if encoding != "utf-16" and b"\x00" in data:
        raise IngestError("not a text file (contains NUL bytes: binary data?)")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise IngestError(f"not valid {name} text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                          "save it as UTF-8") from None


def _feed_articles(data: bytes) -> list[ArticleDraft]:
    parsed = parse_feed(data)
    if not parsed.drafts:
        raise IngestError("no items could be read from the feed")
    if parsed.warning:
        log.warning("%s", parsed.warning)
    return parsed.drafts


def _text_article(text: str) -> ArticleDraft:
    """The seed format (date line, blank line, body), the corpus format (date line, title line, blank
    line, body), or plain paragraphs whose first may be a heading."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    published, title = None, ""
    date = _DATE_LINE.match(lines[0])
    if date:
        published = _day(date.group(1))
        lines = lines[1:]  # the rest of the date line is a photo caption: neither title nor body
        if lines and lines[0].strip() and (len(lines) == 1 or not lines[1].strip()):
            title, lines = lines[0], lines[1:]
    elif _is_heading(lines):
        title, lines = lines[0], lines[1:]
    return _article(clean_title(title), plain_text("\n".join(lines)), published)


def _is_heading(lines: list[str]) -> bool:
    first = lines[0].strip()
    rest = "\n".join(lines[2:]).strip()
    return (len(lines) > 2 and 0 < len(first) <= _HEADING_MAX and not lines[1].strip() and bool(rest)
            and not first.endswith((".", ",", ";", ":")))


def _markdown_article(text: str) -> ArticleDraft:
    """Markdown: the first `# ` heading is the title; an optional ` date YYYY-MM-DD` first line dates it."""
    published = None
    date = _DATE_LINE.match(text)
    if date:
        published = _day(date.group(1))
        text = text.split("\n", 1)[1] if "\n" in text else ""
    markdown = MarkdownIt("commonmark")
    heading = _MD_TITLE.search(text)
    title = ""
    if heading:
        title = markdown.renderInline(heading.group(1))
        text = text[: heading.start()] + text[heading.end():]
    return _article(clean_title(title), html_to_text(markdown.render(text)), published)


def _article(title: str, body: str, published: datetime | None) -> ArticleDraft:
    if not title and not body:
        raise IngestError("no article text in the file")
    return ArticleDraft(title=title or lead_title(body), body=body, published_at=published)


def _day(value: str) -> datetime:
    """A date-only value as midnight UTC of that day."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise IngestError(f"invalid date {value}") from None


def _load_json(text: str, line: int | None = None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {line}" if line else f"line {exc.lineno}, column {exc.colno}"
        raise IngestError(f"invalid JSON at {where}: {exc.msg}") from None


def _json_articles(value: Any) -> list[ArticleDraft]:
    """A JSON object, or a list of them, each with title, url, published and body."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise IngestError("no articles in the JSON")
    return [_json_article(item, n) for n, item in enumerate(items, 1)]


def _json_article(item: Any, n: int) -> ArticleDraft:
    if not isinstance(item, dict):
        raise IngestError(f"expected JSON objects with title, url, published and body, but item {n} is "
                          f"{_JSON_TYPES.get(type(item), type(item).__name__)}")
    fields = {key: _json_string(item, key, n) for key in ("title", "url", "published", "body", "summary", "guid")}
    body = fields["body"]
    body = html_to_text(body) if _LOOKS_LIKE_HTML.search(body) else plain_text(body)
    summary = plain_text(fields["summary"])
    title = clean_title(fields["title"]) or lead_title(body or summary)
    if not title:
        raise IngestError(f"item {n} has neither a title nor a body")
    return ArticleDraft(title=title, url=web_link(fields["url"]), guid=one_line(fields["guid"]) or None,
                        summary=summary, body=body, published_at=_when(fields["published"], n))


def _json_string(item: dict[str, Any], key: str, n: int) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise IngestError(f"item {n}: {key!r} must be a string, not {_JSON_TYPES.get(type(value), 'that')}")
    return value


def _when(value: str, n: int) -> datetime | None:
    """An ISO 8601 date or date-time, in UTC (a date alone is midnight UTC; no offset means UTC)."""
    if not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise IngestError(f"item {n}: cannot read the date {value!r}: use ISO 8601, e.g. 2025-09-04 or "
                          "2025-09-04T10:00:00Z") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
