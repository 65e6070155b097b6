"""A `Reply` as Telegram HTML messages: escaping, styles, links, splitting and buttons.

All text reaches the HTML through `escape`, the one escaping function, so a headline such as
`<script>` or `AT&T` shows as text. Telegram counts its 4096-character limit in UTF-16 units of the
text after entity parsing, so splitting measures the visible text, never the markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from diplobot.handlers.reply import Link, Paragraph, Reply, Span, Text

MESSAGE_LIMIT = 4096
CHUNK_LIMIT = 4000  # a margin below Telegram's limit
CALLBACK_DATA_MAX_BYTES = 64
BUTTONS_PER_ROW = 8
LINK_SCHEMES = ("http", "https", "tg")
PARAGRAPH_GAP = "\n\n"
EMPTY = "…"  # Telegram refuses empty messages

_STYLE_TAGS = {"bold": "b", "italic": "i", "mark": "u", "code": "code", "plain": ""}
_KIND_TAGS = {"heading": "b", "context": "i", "body": ""}
_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Rendered:
    """One Telegram message: HTML text, its buttons and whether link previews show."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None
    preview: bool = False

    @property
    def link_preview_options(self) -> LinkPreviewOptions:
        return LinkPreviewOptions(is_disabled=not self.preview)


def escape(text: str) -> str:
    """The only way text enters Telegram HTML (also safe inside href="...")."""
    return html.escape(text, quote=True)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def render(reply: Reply, limit: int = CHUNK_LIMIT) -> list[Rendered]:
    """The reply as one or more messages under `limit` visible characters; buttons go on the last."""
    chunks = _pack(reply.blocks, limit) or [[Paragraph((Text(EMPTY),))]]
    messages = [Rendered(PARAGRAPH_GAP.join(_paragraph_html(p) for p in chunk), preview=reply.preview)
                for chunk in chunks]
    messages[-1] = replace(messages[-1], keyboard=keyboard(reply))
    return messages


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Buttons whose command fits in callback_data; a longer one is dropped, never truncated."""
    rows = []
    for row in reply.buttons:
        fitting = [InlineKeyboardButton(b.label, callback_data=b.command) for b in row
                   if 0 < len(b.command.encode()) <= CALLBACK_DATA_MAX_BYTES]
        rows.extend(fitting[i:i + BUTTONS_PER_ROW] for i in range(0, len(fitting), BUTTONS_PER_ROW))
    return InlineKeyboardMarkup(rows) if rows else None


def _paragraph_html(p: Paragraph) -> str:
    outer = _KIND_TAGS[p.kind]
    inner = "".join(_span_html(span, skip_tag=outer) for span in p.spans)
    return _wrap(outer, inner)


def _span_html(span: Span, skip_tag: str) -> str:
    if isinstance(span, Link):
        label = escape(span.text or span.url)
        if urlsplit(span.url).scheme.lower() in LINK_SCHEMES:
            return f'<a href="{escape(span.url)}">{label}</a>'
        return label
    tag = _STYLE_TAGS[span.style]
    return _wrap("" if tag == skip_tag else tag, escape(span.text))


def _wrap(tag: str, inner: str) -> str:
    return f"<{tag}>{inner}</{tag}>" if tag and inner else inner


def _visible(span: Span) -> str:
    return (span.text or span.url) if isinstance(span, Link) else span.text


def _width(p: Paragraph) -> int:
    return sum(utf16_len(_visible(s)) for s in p.spans)


def _pack(blocks: tuple[Paragraph, ...], limit: int) -> list[list[Paragraph]]:
    """Greedily fill messages with whole paragraphs, splitting only paragraphs too long alone."""
    chunks: list[list[Paragraph]] = []
    used = 0
    gap = utf16_len(PARAGRAPH_GAP)
    for block in blocks:
        for piece in _split_paragraph(block, limit):
            width = _width(piece)
            if chunks and chunks[-1] and used + gap + width <= limit:
                chunks[-1].append(piece)
                used += gap + width
            else:
                chunks.append([piece])
                used = width
    return chunks


def _split_paragraph(p: Paragraph, limit: int) -> list[Paragraph]:
    """A paragraph cut at line, then word, then character boundaries into pieces that fit."""
    if _width(p) <= limit:
        return [p]
    pieces: list[list[Span]] = [[]]
    used = 0
    for span, part in _fragments(p.spans, limit):
        width = utf16_len(part)
        if pieces[-1] and used + width > limit:
            pieces.append([])
            used = 0
        pieces[-1].append(replace(span, text=part))
        used += width
    return [Paragraph(tuple(spans), p.kind) for spans in pieces]


def _fragments(spans: tuple[Span, ...], limit: int) -> list[tuple[Span, str]]:
    out: list[tuple[Span, str]] = []
    for span in spans:
        for line in _visible(span).splitlines(keepends=True):
            words = [line] if utf16_len(line) <= limit else _WORDS.findall(line)
            for word in words:
                out.extend((span, part) for part in _hard_cut(word, limit))
    return out


def _hard_cut(text: str, limit: int) -> list[str]:
    """Cut at code points (never inside a surrogate pair) so each part fits `limit` UTF-16 units."""
    parts, current, used = [], [], 0
    for ch in text:
        width = utf16_len(ch)
        if used + width > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += width
    parts.append("".join(current))
    return [p for p in parts if p]
