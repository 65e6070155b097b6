"""The platform-neutral message model.

Handlers build `Reply` objects from these parts; each platform renders them (and escapes text) in
exactly one place. Nothing here knows HTML, mrkdwn or a terminal.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

from diplobot.texts import ELLIPSIS, clip, strip_invisible


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
class Image:
    """A picture sent with a reply (a trend chart): PNG bytes, a text alternative, a file name.

    The reply's text is its caption; `alt` describes the picture for screen readers and for platforms that only
    show a file name.
    """

    png: bytes
    alt: str
    filename: str = "chart.png"

    def __repr__(self) -> str:  # a log line or test failure shows the size, not kilobytes of bytes
        return f"Image({self.filename!r}, {len(self.png):,} bytes, alt={self.alt!r})"


@dataclass(frozen=True)
class Reply:
    """What a handler answers, or what an alert or digest says.

    `visibility` lets Slack post command answers ephemerally and announce channel changes ("public":
    the reply reports a change to the chat's topics or settings); `preview` asks platforms to show link
    previews (off for digests and lists); `replaces`: shown after a button press, the reply takes the
    pressed message's place (another page of a list) instead of being added under it; `image`: a picture sent
    with the reply, whose text is then its caption.

    Every reply is rendered as ONE platform message: what does not fit is cut and summarised ("and N
    more"), never sent as a second message.
    """

    blocks: tuple[Paragraph, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    visibility: Literal["private", "public"] = "private"
    preview: bool = False
    replaces: bool = False
    image: Image | None = None

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


def shown(text: str, limit: int) -> str:
    """What a chat may show of `text`: at most `limit` characters, no control or invisible characters."""
    return strip_invisible(clip(text, limit))


def more_text(hidden: int) -> str:
    """The line that ends a reply cut to fit one message."""
    return f"{ELLIPSIS} and {hidden} more line{'s' if hidden != 1 else ''} (too long for one message)"


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
        self.blocks.append(Paragraph(tuple(Text(s) if isinstance(s, str) else s for s in spans), kind="context"))
        return self

    def build(self, **kwargs: object) -> Reply:
        return Reply(blocks=tuple(self.blocks), **kwargs)  # type: ignore[arg-type]


def reply_to_json(reply: Reply) -> str:
    """The reply as JSON, for a message that waits in the outbox (a digest) to be rendered by its platform.

    An image's bytes are base64 text."""
    data = asdict(replace(reply, image=None))
    if reply.image is not None:
        data["image"] = {
            "png": base64.b64encode(reply.image.png).decode("ascii"),
            "alt": reply.image.alt,
            "filename": reply.image.filename,
        }
    return json.dumps(data, ensure_ascii=False)


def reply_from_json(text: str) -> Reply:
    data = json.loads(text)
    return Reply(
        blocks=tuple(Paragraph(tuple(_span(s) for s in p["spans"]), kind=p["kind"]) for p in data["blocks"]),
        buttons=tuple(tuple(Button(**b) for b in row) for row in data["buttons"]),
        visibility=data["visibility"],
        preview=data["preview"],
        image=_image(data.get("image")),
    )


def _image(data: dict[str, str] | None) -> Image | None:
    if not data:
        return None
    return Image(png=base64.b64decode(data["png"], validate=True), alt=data["alt"], filename=data["filename"])


def _span(data: dict[str, str]) -> Span:
    return Link(**data) if "url" in data else Text(**data)  # type: ignore[arg-type]
