"""A `Reply` as ONE Telegram HTML message: escaping, styles, links, clipping and signed buttons.

All text reaches the HTML through `escape`, the one escaping function, so a headline such as
`<script>` or `AT&T` shows as text. Telegram counts its 4096-character limit in UTF-16 units of the
text after entity parsing, so clipping measures the visible text, never the markup. A reply that does
not fit is cut at a paragraph and ends with "… and N more lines": never a second message. Every span
is clipped before anything else is done with it, so a title of megabytes costs no more than a short one.

Button data is signed (`sign_data`): a press is honoured only with data the bot issued for that chat.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from diplobot.handlers.reply import Link, Paragraph, Reply, Span, Text, more_text, shown
from diplobot.texts import cut_at_word

# https://core.telegram.org/bots/api#sendmessage: "Text of the message to be sent, 1-4096 characters
# after entities parsing".
MESSAGE_LIMIT = 4096
TEXT_LIMIT = 4000  # a margin below Telegram's limit
PARAGRAPH_LIMIT = 1000  # one paragraph (a huge title) never crowds out the rest of the message
MORE_ROOM = 80  # kept free for the "… and N more lines" paragraph
# https://core.telegram.org/bots/api#inlinekeyboardbutton: callback_data "1-64 bytes".
CALLBACK_DATA_MAX_BYTES = 64
MAX_BUTTONS = 100  # telegram.constants.InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER (not in the docs)
BUTTONS_PER_ROW = 8  # InlineKeyboardMarkupLimit.BUTTONS_PER_ROW (not in the docs either)
BUTTON_LABEL_MAX = 64
LINK_URL_MAX = 2048  # a longer URL shows only its label
LINK_SCHEMES = ("http", "https", "tg")
PARAGRAPH_GAP = "\n\n"
EMPTY = "…"  # Telegram refuses empty messages
SIGNATURE_SEP = "|"
SIGNATURE_BYTES = 9  # 72 bits, 12 characters of base64

_SIGNATURE = re.compile(r"^[A-Za-z0-9_-]{12}$")
_STYLE_TAGS = {"bold": "b", "italic": "i", "mark": "u", "code": "code", "plain": ""}
_KIND_TAGS = {"heading": "b", "context": "i", "body": ""}

Signer = Callable[[str], str]


@dataclass(frozen=True)
class Rendered:
    """One Telegram message: HTML text, its buttons, whether link previews show, and its visible
    length (UTF-16 units, as Telegram counts)."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None
    preview: bool = False
    width: int = 0

    @property
    def link_preview_options(self) -> LinkPreviewOptions:
        return LinkPreviewOptions(is_disabled=not self.preview)


def escape(text: str) -> str:
    """The only way text enters Telegram HTML (also safe inside href="...")."""
    return html.escape(text, quote=True)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def render(reply: Reply, sign: Signer | None = None, limit: int = TEXT_LIMIT) -> Rendered:
    """The reply as one message of at most `limit` visible characters, with its buttons."""
    paragraphs, hidden = fit(reply.blocks, limit)
    if hidden:
        paragraphs.append(Paragraph((Text(more_text(hidden)),), kind="context"))
    if not paragraphs:
        paragraphs = [Paragraph((Text(EMPTY),))]
    width = sum(_width(p) for p in paragraphs) + utf16_len(PARAGRAPH_GAP) * (len(paragraphs) - 1)
    text = PARAGRAPH_GAP.join(_paragraph_html(p) for p in paragraphs)
    return Rendered(text, keyboard(reply, sign), reply.preview, width)


def fit(blocks: tuple[Paragraph, ...], limit: int) -> tuple[list[Paragraph], int]:
    """The leading paragraphs (each clipped) that fit `limit`, and how many were left out; room for
    the "and N more" line is kept unless the last paragraph fits."""
    kept: list[Paragraph] = []
    used, gap = 0, utf16_len(PARAGRAPH_GAP)
    for index, block in enumerate(blocks):
        paragraph = _clip_paragraph(block, min(PARAGRAPH_LIMIT, limit))
        extra = (gap if kept else 0) + _width(paragraph)
        room = limit if index == len(blocks) - 1 else limit - MORE_ROOM
        if used + extra > room:
            return kept, len(blocks) - index
        kept.append(paragraph)
        used += extra
    return kept, 0


def keyboard(reply: Reply, sign: Signer | None = None) -> InlineKeyboardMarkup | None:
    """At most 100 buttons, 8 a row; a button whose (signed) data exceeds 64 bytes is dropped, never
    truncated."""
    rows: list[list[InlineKeyboardButton]] = []
    total = 0
    for row in reply.buttons:
        fitting = []
        for button in row:
            data = sign(button.command) if sign else button.command
            if total < MAX_BUTTONS and 0 < len(data.encode()) <= CALLBACK_DATA_MAX_BYTES:
                label = shown(button.label, BUTTON_LABEL_MAX).strip() or EMPTY
                fitting.append(InlineKeyboardButton(label, callback_data=data))
                total += 1
        rows.extend(fitting[i : i + BUTTONS_PER_ROW] for i in range(0, len(fitting), BUTTONS_PER_ROW))
    return InlineKeyboardMarkup(rows) if rows else None


# ---- signed button data ---------------------------------------------------------------------------


def signing_key(token: str) -> bytes:
    """The per-install key for button data, derived from the bot token (a new token voids old buttons)."""
    return hmac.new(token.encode(), b"diplobot callback data v1", hashlib.sha256).digest()


def _mac(key: bytes, chat_id: str, command: str) -> str:
    digest = hmac.new(key, f"{chat_id}\n{command}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).decode()


def sign_data(key: bytes, chat_id: str, command: str) -> str:
    """`/unsubscribe #3|<signature>`: the command, bound to the chat it is sent to."""
    return f"{command}{SIGNATURE_SEP}{_mac(key, chat_id, command)}"


def unsigned_command(data: str) -> str:
    """The command part of button data, whoever signed it (older buttons carry no signature)."""
    command, sep, mac = data.rpartition(SIGNATURE_SEP)
    return command if sep and _SIGNATURE.match(mac) else data


def verify_data(key: bytes, chat_id: str, data: str) -> str | None:
    """The command in button data the bot signed for this chat, or None for anything else."""
    command, sep, mac = data.rpartition(SIGNATURE_SEP)
    if not sep or not command:
        return None
    return command if hmac.compare_digest(mac.encode(), _mac(key, chat_id, command).encode()) else None


# ---- paragraphs -----------------------------------------------------------------------------------


def _paragraph_html(p: Paragraph) -> str:
    outer = _KIND_TAGS[p.kind]
    inner = "".join(_span_html(span, skip_tag=outer) for span in p.spans)
    return _wrap(outer, inner)


def _span_html(span: Span, skip_tag: str) -> str:
    if isinstance(span, Link):
        label = escape(span.text)
        if urlsplit(span.url).scheme.lower() in LINK_SCHEMES and len(span.url) <= LINK_URL_MAX:
            return f'<a href="{escape(span.url)}">{label}</a>'
        return label
    tag = _STYLE_TAGS[span.style]
    return _wrap("" if tag == skip_tag else tag, escape(span.text))


def _wrap(tag: str, inner: str) -> str:
    return f"<{tag}>{inner}</{tag}>" if tag and inner else inner


def _width(p: Paragraph) -> int:
    return sum(utf16_len(s.text) for s in p.spans)


def _clip_paragraph(p: Paragraph, limit: int) -> Paragraph:
    """The paragraph with at most `limit` visible UTF-16 units, cut inside the span that crosses it;
    links show their label (their URL when the label is empty)."""
    spans: list[Span] = []
    used = 0
    for span in p.spans:
        visible = span.text or (span.url if isinstance(span, Link) else "")
        text = shown(visible, limit)
        width = utf16_len(text)
        if used + width > limit:
            text = cut_utf16(text, limit - used)
            spans.append(_with_text(span, text))
            break
        spans.append(_with_text(span, text))
        used += width
    return Paragraph(tuple(spans), p.kind)


def _with_text(span: Span, text: str) -> Span:
    return Link(text, span.url) if isinstance(span, Link) else Text(text, span.style)


def cut_utf16(text: str, units: int) -> str:
    """The longest prefix that, with "…", fits `units` UTF-16 units (never inside a surrogate pair)."""
    if units <= 0:
        return ""
    out, used = [], 1
    for ch in text:
        used += utf16_len(ch)
        if used > units:
            break
        out.append(ch)
    return cut_at_word("".join(out)) + EMPTY
