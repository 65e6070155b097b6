"""A `Reply` as ONE Slack Block Kit message: mrkdwn escaping, styles, links, buttons and Slack's limits.

All text reaches mrkdwn (and the plain `text` fallback) through `escape`, the one escaping function,
so `<!channel>` or `<@U123>` in a headline shows as text and pings nobody. Block Kit limits
(https://api.slack.com/reference/block-kit/blocks, .../block-elements): 50 blocks per message, 3,000
characters per section text, 10 elements per context block, 25 per actions block, 75 characters per
button label, 2,000 per button value, 255 per action_id. A reply that does not fit is cut at a
paragraph and ends with "… and N more lines": never a second message. Every span is clipped before it
is escaped, so a title of megabytes costs no more than a short one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from diplobot.handlers.reply import Button, Link, Paragraph, Reply, Span, Text, more_text, shown
from diplobot.texts import ELLIPSIS, cut_at_word

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
MAX_BUTTONS = 75  # three actions blocks: the rest of the message keeps room for its text
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ACTION_ID_MAX = 255
MESSAGE_CHARS = 12000  # below the ~13k total where Slack answers msg_blocks_too_long (bolt-js#2509)
PARAGRAPH_VISIBLE = 1000  # one paragraph (a huge title) never crowds out the rest of the message
MORE_ROOM = 100  # characters kept for the "… and N more lines" block
FALLBACK_LIMIT = 3000
LINK_SCHEMES = ("http", "https")
LINK_URL_MAX = 2000  # longer URLs show only their label, so a section can always hold a link
ACTION_PREFIX = "cmd:"
EMPTY = "…"  # Slack refuses empty messages and empty section texts
USER_ID = re.compile(r"^[UW][A-Z0-9]{1,30}$")

_STYLE_MARKS = {"bold": "*", "mark": "*", "italic": "_", "code": "`", "plain": ""}
_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)
_HEADING_MARKS = 2  # the `*...*` around a heading

Block = dict[str, Any]


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


def render(reply: Reply) -> SlackMessage:
    """The reply as one message within Slack's limits, buttons last."""
    elements = buttons(reply.buttons)
    actions = [elements[i : i + ACTIONS_ELEMENTS] for i in range(0, len(elements), ACTIONS_ELEMENTS)]
    out = _Message(max_blocks=MAX_BLOCKS - len(actions))
    paragraphs = list(reply.blocks)
    for index, paragraph in enumerate(paragraphs):
        mrkdwn, plain = paragraph_mrkdwn(paragraph)
        if not mrkdwn.strip():
            continue
        if not out.add(paragraph.kind, mrkdwn, plain, last=index == len(paragraphs) - 1):
            out.add_more(len(paragraphs) - index)
            break
    out.blocks.extend({"type": "actions", "elements": group} for group in actions)
    return SlackMessage(_fallback("\n\n".join(out.plain)), out.blocks, reply.preview)


def buttons(rows: tuple[tuple[Button, ...], ...]) -> list[Block]:
    """Button elements, numbered `cmd:0`, `cmd:1`...; the value carries the command, so a command
    too long for a value is dropped rather than truncated. Rows are flattened: Slack wraps them."""
    usable = [b for row in rows for b in row if b.command.startswith("/") and len(b.command) <= BUTTON_VALUE_MAX]
    return [button_element(b.label, b.command, i) for i, b in enumerate(usable[:MAX_BUTTONS])]


def button_element(label: str, command: str, number: int) -> Block:
    label = shown(label, BUTTON_TEXT_MAX).strip()
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label or EMPTY},
        "value": command,
        "action_id": f"{ACTION_PREFIX}{number}",
    }


def announcement(user_id: str, reply: Reply) -> SlackMessage:
    """What the channel sees when someone changes its topics or settings: the reply's first paragraph
    and who made the change (`user_id` is Slack's, checked before it becomes a mention)."""
    first = next((p for p in reply.blocks if paragraph_mrkdwn(p)[0].strip()), None)
    message = render(Reply(blocks=(first,) if first else ()))
    who = f"<@{user_id}>" if USER_ID.match(user_id) else "a member of this channel"
    blocks = [*message.blocks, {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Changed by {who}"}]}]
    return SlackMessage(f"{message.text} (changed by {who})", blocks, False)


def updated_message(original: list[Block], pressed_action_id: str, result: SlackMessage) -> SlackMessage:
    """The pressed message with the result appended and the used button gone, so it says what
    happened; when that would exceed the message limits, the result alone replaces it."""
    kept = []
    for block in original:
        if block.get("type") != "actions":
            kept.append(block)
            continue
        elements = [e for e in block.get("elements", []) if e.get("action_id") != pressed_action_id]
        if elements:
            kept.append({**block, "elements": elements})
    blocks = kept + result.blocks
    if len(blocks) > MAX_BLOCKS or _chars(blocks) > MESSAGE_CHARS:
        return result
    return replace(result, blocks=_renumber(blocks))


def _chars(blocks: list[Block]) -> int:
    total = 0
    for block in blocks:
        if block.get("type") == "section":
            total += len(block.get("text", {}).get("text", ""))
        elif block.get("type") == "context":
            total += sum(len(e.get("text", "")) for e in block.get("elements", []))
    return total


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


# ---- one paragraph as mrkdwn, within a section's limit ---------------------------------------------


def paragraph_mrkdwn(p: Paragraph) -> tuple[str, str]:
    """The paragraph as mrkdwn of at most 3,000 characters (with its plain text), cut inside the
    span that crosses the limit; no more than `PARAGRAPH_VISIBLE` visible characters."""
    outer = "*" if p.kind == "heading" else ""
    budget = SECTION_LIMIT - (_HEADING_MARKS if outer else 0)
    visible_left = PARAGRAPH_VISIBLE
    parts: list[str] = []
    plain: list[str] = []
    for span in p.spans:
        source = span.text or (span.url if isinstance(span, Link) else "")
        text = shown(source, visible_left)
        linked = isinstance(span, Link) and _linkable(span.url) and _overhead(span) <= budget // 2
        room = budget - (_overhead(span) if linked or isinstance(span, Text) else 0)
        escaped, cut = _escape_fit(text, room)
        parts.append(_span_mrkdwn(span, escaped, outer, linked))
        plain.append(text)
        budget -= len(parts[-1])
        visible_left -= len(text)
        if cut or len(source) > len(text) or visible_left <= 0 or budget <= len(ELLIPSIS):
            break
    return _wrap(outer, "".join(parts)), "".join(plain)


def _span_mrkdwn(span: Span, escaped: str, skip_mark: str, linked: bool) -> str:
    if isinstance(span, Link):
        return f"<{_link_url(span.url)}|{escaped}>" if linked and escaped else escaped
    mark = _STYLE_MARKS[span.style]
    return _wrap("" if mark == skip_mark else mark, escaped)


def _escape_fit(text: str, room: int) -> tuple[str, bool]:
    """`text` escaped in at most `room` characters; cut (ending in "…") when it does not fit."""
    escaped = escape(text)
    if len(escaped) <= room:
        return escaped, False
    taken, used = 0, len(ELLIPSIS)
    for ch in text:
        used += len(escape(ch))
        if used > room:
            break
        taken += 1
    return (escape(cut_at_word(text[:taken])) + ELLIPSIS) if room > len(ELLIPSIS) else "", True


def _wrap(mark: str, inner: str) -> str:
    """`*text*` with surrounding spaces moved outside: Slack ignores `*text *`."""
    if not mark or not inner.strip():
        return inner
    lead, core, trail = _EDGES.match(inner).groups()  # type: ignore[union-attr]
    return f"{lead}{mark}{core}{mark}{trail}"


def _linkable(url: str) -> bool:
    parts = urlsplit(url[: LINK_URL_MAX + 1])
    return (
        parts.scheme.lower() in LINK_SCHEMES
        and bool(parts.netloc)
        and len(url) <= LINK_URL_MAX
        and not any(ch.isspace() for ch in url)
    )


def _link_url(url: str) -> str:
    """A URL inside `<url|label>`: `|` would end it, so it is percent-encoded."""
    return escape(url).replace("|", "%7C")


def _overhead(span: Span) -> int:
    """The characters a span's mrkdwn adds around its escaped text."""
    if isinstance(span, Link):
        return len(_link_url(span.url)) + len("<|>") if _linkable(span.url) else 0
    return 2 * len(_STYLE_MARKS[span.style])


# ---- paragraphs into one message ---------------------------------------------------------------------


class _Message:
    """Fills one message with blocks up to the block and character limits, keeping room for the
    "and N more" block; consecutive context paragraphs share one context block."""

    def __init__(self, max_blocks: int) -> None:
        self.max_blocks = max_blocks
        self.blocks: list[Block] = []
        self.plain: list[str] = []
        self.chars = 0

    def add(self, kind: str, mrkdwn: str, plain: str, *, last: bool) -> bool:
        """Add a paragraph; False (and nothing added) when it does not fit."""
        text = {"type": "mrkdwn", "text": mrkdwn}
        previous = self.blocks[-1] if self.blocks else None
        joins = (
            kind == "context"
            and previous is not None
            and previous["type"] == "context"
            and len(previous["elements"]) < CONTEXT_ELEMENTS
        )
        reserve_blocks, reserve_chars = (0, 0) if last else (1, MORE_ROOM)
        if (
            len(self.blocks) + (0 if joins else 1) > self.max_blocks - reserve_blocks
            or self.chars + len(mrkdwn) > MESSAGE_CHARS - reserve_chars
        ):
            return False
        if joins and previous is not None:
            previous["elements"].append(text)
        elif kind == "context":
            self.blocks.append({"type": "context", "elements": [text]})
        else:
            self.blocks.append({"type": "section", "text": text})
        self.plain.append(plain)
        self.chars += len(mrkdwn)
        return True

    def add_more(self, hidden: int) -> None:
        text = more_text(hidden)
        self.blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(text)}]})
        self.plain.append(text)


def _fallback(plain: str) -> str:
    """The notification text: the message's words, shortened, escaped like everything else."""
    plain = shown(plain.strip(), FALLBACK_LIMIT) or EMPTY
    return escape(plain)
