"""The platform-neutral message model.

Handlers build `Reply` objects from these parts; each platform renders them (and escapes text) in
exactly one place. Nothing here knows HTML, mrkdwn or a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal


@dataclass(frozen=True)
class Text:
    """Plain text. `style` is a hint a platform may render (bold heading, marked hit, code)."""

    text: str
    style: Literal["plain", "bold", "italic", "mark", "code"] = "plain"


@dataclass(frozen=True)
class Link:
    """A hyperlink with a visible label."""

    text: str
    url: str


Span = Text | Link


@dataclass(frozen=True)
class Paragraph:
    """One block of inline spans; platforms put a blank line between paragraphs."""

    spans: tuple[Span, ...]
    kind: Literal["body", "heading", "context"] = "body"


@dataclass(frozen=True)
class Button:
    """A button that runs a chat command when pressed, e.g. `/unsubscribe 3`.

    A button is only a shortcut for typing the command, so a forged or stale press can do nothing the
    user could not type.
    """

    label: str
    command: str


@dataclass(frozen=True)
class Reply:
    """What a handler answers, or what an alert or digest says.

    `visibility` lets Slack post command answers ephemerally and announce channel changes;
    `preview` asks platforms to show link previews (off for digests and lists).
    """

    blocks: tuple[Paragraph, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    visibility: Literal["private", "public"] = "private"
    preview: bool = False

    @classmethod
    def text(cls, *paragraphs: str) -> Reply:
        """A reply of plain paragraphs."""
        return cls(blocks=tuple(Paragraph((Text(p),)) for p in paragraphs))

    def plain(self) -> str:
        """The reply as plain text (console, Slack fallback text, tests)."""
        return "\n\n".join(_plain_paragraph(p) for p in self.blocks)

    def with_buttons(self, *rows: tuple[Button, ...]) -> Reply:
        return replace(self, buttons=self.buttons + rows)

    def public(self) -> Reply:
        return replace(self, visibility="public")


def _plain_paragraph(p: Paragraph) -> str:
    parts = []
    for span in p.spans:
        if isinstance(span, Link):
            parts.append(span.text if span.text == span.url else f"{span.text} <{span.url}>")
        else:
            parts.append(span.text)
    return "".join(parts)


@dataclass
class ReplyBuilder:
    """Collects paragraphs so handlers can write replies line by line."""

    blocks: list[Paragraph] = field(default_factory=list)

    def heading(self, text: str) -> ReplyBuilder:
        self.blocks.append(Paragraph((Text(text, "bold"),), kind="heading"))
        return self

    def para(self, *spans: Span | str) -> ReplyBuilder:
        self.blocks.append(Paragraph(tuple(Text(s) if isinstance(s, str) else s for s in spans)))
        return self

    def context(self, *spans: Span | str) -> ReplyBuilder:
        self.blocks.append(
            Paragraph(tuple(Text(s) if isinstance(s, str) else s for s in spans), kind="context")
        )
        return self

    def build(self, **kwargs: object) -> Reply:
        return Reply(blocks=tuple(self.blocks), **kwargs)  # type: ignore[arg-type]
