"""A `Reply` as Slack Block Kit messages: mrkdwn escaping, styles, links, buttons and Slack's limits.

All text reaches mrkdwn (and the plain `text` fallback) through `escape`, the one escaping function,
so `<!channel>` or `<@U123>` in a headline shows as text and pings nobody. Block Kit limits: 50
blocks per message, 3,000 characters per section text, 10 elements per context block, 25 per actions
block, 75 characters per button label; a reply that does not fit becomes several messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from diplobot.handlers.reply import Button, Link, Paragraph, Reply, Span

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
MESSAGE_CHARS = 12000  # below the ~13k total where Slack answers msg_blocks_too_long (bolt-js#2509)
FALLBACK_LIMIT = 3000
LINK_SCHEMES = ("http", "https")
LINK_URL_MAX = 2000  # longer URLs show only their label, so a section can always hold a link
ACTION_PREFIX = "cmd:"
MAX_ESCAPED_CHAR = len("&amp;")
EMPTY = "…"  # Slack refuses empty messages and empty section texts

_STYLE_MARKS = {"bold": "*", "mark": "*", "italic": "_", "code": "`", "plain": ""}
_WORDS = re.compile(r"\S+\s*|\s+")
_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)
_HEADING_MARKS = 2  # the `*...*` around a heading

Block = dict[str, Any]
Fragment = tuple[int, Span, str]  # (index of the span in its paragraph, the span, a piece of its text)


@dataclass(frozen=True)
class SlackMessage:
    """One Slack message: the notification `text` (escaped), its blocks and whether links unfurl."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    unfurl: bool = False

    def content(self) -> dict[str, Any]:
        """The arguments chat.postMessage, chat.update and response_url share."""
        return {"text": self.text, "blocks": self.blocks} if self.blocks else {"text": self.text}


def escape(text: str) -> str:
    """The only way text enters mrkdwn: Slack's three control characters become entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(reply: Reply) -> list[SlackMessage]:
    """The reply as one or more messages within Slack's limits; buttons go on the last."""
    out = _Messages(unfurl=reply.preview)
    for paragraph in reply.blocks:
        for piece in _split(paragraph):
            out.add(paragraph.kind, _mrkdwn(piece), _plain(piece.spans))
    out.add_actions(buttons(reply.buttons))
    return out.result()


def buttons(rows: tuple[tuple[Button, ...], ...]) -> list[Block]:
    """Button elements, numbered `cmd:0`, `cmd:1`...; the value carries the command, so a command
    too long for a value is dropped rather than truncated. Rows are flattened: Slack wraps them."""
    usable = [b for row in rows for b in row if b.command.startswith("/") and len(b.command) <= BUTTON_VALUE_MAX]
    return [button_element(b.label, b.command, i) for i, b in enumerate(usable)]


def button_element(label: str, command: str, number: int) -> Block:
    label = label if len(label) <= BUTTON_TEXT_MAX else label[: BUTTON_TEXT_MAX - 1] + "…"
    return {"type": "button", "text": {"type": "plain_text", "text": label or EMPTY},
            "value": command, "action_id": f"{ACTION_PREFIX}{number}"}


def updated_message(original: list[Block], pressed_action_id: str, result: SlackMessage) -> SlackMessage:
    """The pressed message with the result appended and the used button gone, so it says what
    happened; when that would exceed the block limit, the result alone replaces it."""
    kept = []
    for block in original:
        if block.get("type") != "actions":
            kept.append(block)
            continue
        elements = [e for e in block.get("elements", []) if e.get("action_id") != pressed_action_id]
        if elements:
            kept.append({**block, "elements": elements})
    blocks = kept + result.blocks
    if len(blocks) > MAX_BLOCKS:
        return result
    return replace(result, blocks=_renumber(blocks))


def _renumber(blocks: list[Block]) -> list[Block]:
    """Give every button a unique action_id again after two messages' blocks were joined."""
    out, number = [], 0
    for block in blocks:
        if block.get("type") != "actions":
            out.append(block)
            continue
        elements = []
        for element in block["elements"]:
            elements.append({**element, "action_id": f"{ACTION_PREFIX}{number}"})
            number += 1
        out.append({"type": "actions", "elements": elements})
    return out


# ---- spans to mrkdwn ------------------------------------------------------------------------------

def _mrkdwn(p: Paragraph) -> str:
    outer = "*" if p.kind == "heading" else ""
    inner = "".join(_span_mrkdwn(span, skip_mark=outer) for span in p.spans)
    return _wrap(outer, inner)


def _span_mrkdwn(span: Span, skip_mark: str = "") -> str:
    if isinstance(span, Link):
        label = escape(span.text or span.url)
        return f"<{_link_url(span.url)}|{label}>" if _linkable(span.url) else label
    mark = _STYLE_MARKS[span.style]
    return _wrap("" if mark == skip_mark else mark, escape(span.text))


def _wrap(mark: str, inner: str) -> str:
    """`*text*` with surrounding spaces moved outside: Slack ignores `*text *`."""
    if not mark or not inner.strip():
        return inner
    lead, core, trail = _EDGES.match(inner).groups()  # type: ignore[union-attr]
    return f"{lead}{mark}{core}{mark}{trail}"


def _linkable(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.scheme.lower() in LINK_SCHEMES and bool(parts.netloc) and len(url) <= LINK_URL_MAX
            and not any(ch.isspace() for ch in url))


def _link_url(url: str) -> str:
    """A URL inside `<url|label>`: `|` would end it, so it is percent-encoded."""
    return escape(url).replace("|", "%7C")


def _plain(spans: tuple[Span, ...]) -> str:
    return Reply(blocks=(Paragraph(spans),)).plain()


def _visible(span: Span) -> str:
    return (span.text or span.url) if isinstance(span, Link) else span.text


# ---- splitting ------------------------------------------------------------------------------------

def _split(p: Paragraph) -> list[Paragraph]:
    """A paragraph as pieces whose mrkdwn fits a section, cut at lines, then words, then characters.

    A piece's size is bounded by the sum of its fragments rendered one by one, which is never less
    than the piece rendered whole.
    """
    whole = _mrkdwn(p)
    if len(whole) <= SECTION_LIMIT:
        return [p] if whole.strip() else []
    budget = SECTION_LIMIT - _HEADING_MARKS
    pieces: list[list[Fragment]] = [[]]
    used = 0
    for fragment in _fragments(p.spans, budget):
        size = len(_span_mrkdwn(replace(fragment[1], text=fragment[2])))
        if pieces[-1] and used + size > budget:
            pieces.append([])
            used = 0
        pieces[-1].append(fragment)
        used += size
    joined = [Paragraph(_merge(piece), p.kind) for piece in pieces]
    return [piece for piece in joined if _mrkdwn(piece).strip()]


def _fragments(spans: tuple[Span, ...], budget: int) -> list[Fragment]:
    out: list[Fragment] = []
    for index, span in enumerate(spans):
        room = budget - _overhead(span)
        for line in _visible(span).splitlines(keepends=True):
            words = [line] if len(escape(line)) <= room else _WORDS.findall(line)
            for word in words:
                step = len(word) if len(escape(word)) <= room else room // MAX_ESCAPED_CHAR
                out.extend((index, span, word[k:k + step]) for k in range(0, len(word), step))
    return out


def _overhead(span: Span) -> int:
    """The characters a span's mrkdwn adds around its escaped text."""
    if isinstance(span, Link):
        return len(_link_url(span.url)) + len("<|>") if _linkable(span.url) else 0
    return 2 * len(_STYLE_MARKS[span.style])


def _merge(fragments: list[Fragment]) -> tuple[Span, ...]:
    """Consecutive fragments of the same span become one span again."""
    merged: list[tuple[int, Span, str]] = []
    for index, span, text in fragments:
        if merged and merged[-1][0] == index:
            merged[-1] = (index, span, merged[-1][2] + text)
        else:
            merged.append((index, span, text))
    return tuple(replace(span, text=text) for _, span, text in merged)


# ---- packing blocks into messages ------------------------------------------------------------------

class _Messages:
    """Fills messages with blocks up to the block and character limits; consecutive context
    paragraphs share one context block."""

    def __init__(self, unfurl: bool) -> None:
        self.unfurl = unfurl
        self.blocks: list[list[Block]] = [[]]
        self.plain: list[list[str]] = [[]]
        self.chars = 0

    def _room_for(self, blocks: int, chars: int) -> None:
        if self.blocks[-1] and (len(self.blocks[-1]) + blocks > MAX_BLOCKS or self.chars + chars > MESSAGE_CHARS):
            self.blocks.append([])
            self.plain.append([])
            self.chars = 0

    def add(self, kind: str, mrkdwn: str, plain: str) -> None:
        text = {"type": "mrkdwn", "text": mrkdwn}
        last = self.blocks[-1][-1] if self.blocks[-1] else None
        joins = (kind == "context" and last is not None and last["type"] == "context"
                 and len(last["elements"]) < CONTEXT_ELEMENTS)
        self._room_for(0 if joins else 1, len(mrkdwn))
        if joins and self.blocks[-1]:
            self.blocks[-1][-1]["elements"].append(text)
        elif kind == "context":
            self.blocks[-1].append({"type": "context", "elements": [text]})
        else:
            self.blocks[-1].append({"type": "section", "text": text})
        self.plain[-1].append(plain)
        self.chars += len(mrkdwn)

    def add_actions(self, elements: list[Block]) -> None:
        groups = [elements[i:i + ACTIONS_ELEMENTS] for i in range(0, len(elements), ACTIONS_ELEMENTS)]
        self._room_for(len(groups), 0)
        self.blocks[-1].extend({"type": "actions", "elements": group} for group in groups)

    def result(self) -> list[SlackMessage]:
        return [SlackMessage(_fallback("\n\n".join(plain)), blocks, self.unfurl)
                for blocks, plain in zip(self.blocks, self.plain, strict=True)]


def _fallback(plain: str) -> str:
    """The notification text: the message's words, shortened, escaped like everything else."""
    plain = plain.strip() or EMPTY
    if len(plain) > FALLBACK_LIMIT:
        plain = plain[: FALLBACK_LIMIT - 1].rstrip() + "…"
    return escape(plain)
