"""Articles from plain text (seed and corpus formats), Markdown, and JSON/JSONL objects.

Each reader takes decoded text and returns drafts or raises an IngestError saying what is wrong,
in words a user can act on ("item 2: cannot read the date 'yesterday'").
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from markdown_it import MarkdownIt

from diplobot.ingest.encoding import Decoded, decode
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.text import clean_title, html_to_text, lead_title, one_line, plain_text
from diplobot.ingest.urls import web_link

# Line 1 of the seed and corpus formats: optional space, `date YYYY-MM-DD`, then maybe a photo caption.
_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})(?:\s|$)")
_MD_TITLE = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.M)
_LOOKS_LIKE_HTML = re.compile(r"</?(?:p|br|div)\b", re.I)
_HEADING_MAX = 150
_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def decode_text(data: bytes, *, declared: str | None = None) -> Decoded:
    """A text file's contents: UTF-8 or UTF-16 with a byte-order mark, else the detected encoding.

    Binary data (NUL bytes without a UTF-16/32 byte-order mark) is refused, and so is anything no
    encoding fits, with the first offending byte named.
    """
    wide = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not wide and b"\x00" in data:
        raise IngestError("not a text file (contains NUL bytes: binary data?)")
    decoded = decode(data, declared=(declared,))
    if decoded is None:
        try:
            data.decode("utf-16" if wide else "utf-8")
        except UnicodeDecodeError as exc:
            name = "UTF-16" if wide else "UTF-8"
            raise IngestError(
                f"not valid {name} text (byte 0x{data[exc.start]:02x} at offset {exc.start}) "
                "and no other encoding fits; save it as UTF-8"
            ) from None
        raise IngestError("no character encoding fits the text; save it as UTF-8")  # pragma: no cover
    return decoded


def text_article(text: str) -> ArticleDraft:
    """The seed format (date line, blank line, body), the corpus format (date line, title line, blank
    line, body), or plain paragraphs whose first may be a heading."""
    text = text.removeprefix("\ufeff")
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
    return (
        len(lines) > 2
        and 0 < len(first) <= _HEADING_MAX
        and not lines[1].strip()
        and bool(rest)
        and not first.endswith((".", ",", ";", ":"))
    )


def markdown_article(text: str) -> ArticleDraft:
    """Markdown: the first `# ` heading is the title; an optional ` date YYYY-MM-DD` first line dates it."""
    text = text.removeprefix("\ufeff")
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
        text = text[: heading.start()] + text[heading.end() :]
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


def load_json(text: str, line: int | None = None) -> Any:
    """A JSON value, or an IngestError naming the line (and column) where it breaks."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {line}" if line else f"line {exc.lineno}, column {exc.colno}"
        raise IngestError(f"invalid JSON at {where}: {exc.msg}") from None
    except RecursionError:
        raise IngestError("invalid JSON: nested too deeply") from None


def load_jsonl(text: str) -> list[Any]:
    """One JSON value per non-blank line."""
    return [load_json(line, n) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def json_articles(value: Any) -> list[ArticleDraft]:
    """A JSON object, or a list of them, each with title, url, published and body."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise IngestError("no articles in the JSON")
    return [_json_article(item, n) for n, item in enumerate(items, 1)]


def _json_article(item: Any, n: int) -> ArticleDraft:
    if not isinstance(item, dict):
        raise IngestError(
            f"expected JSON objects with title, url, published and body, but item {n} is "
            f"{_JSON_TYPES.get(type(item), type(item).__name__)}"
        )
    fields = {key: _json_string(item, key, n) for key in ("title", "url", "published", "body", "summary", "guid")}
    body = fields["body"]
    body = html_to_text(body) if _LOOKS_LIKE_HTML.search(body) else plain_text(body)
    summary = plain_text(fields["summary"])
    title = clean_title(fields["title"]) or lead_title(body or summary)
    if not title:
        raise IngestError(f"item {n} has neither a title nor a body")
    return ArticleDraft(
        title=title,
        url=web_link(fields["url"]),
        guid=one_line(fields["guid"]) or None,
        summary=summary,
        body=body,
        published_at=_when(fields["published"], n),
    )


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
        raise IngestError(
            f"item {n}: cannot read the date {value!r}: use ISO 8601, e.g. 2025-09-04 or 2025-09-04T10:00:00Z"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
