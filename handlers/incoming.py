"""What a platform hands to the dispatcher: one typed command from one user in one chat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from diplobot.texts import strip_invisible

ChatKind = Literal["private", "group", "channel"]


@dataclass(frozen=True)
class Incoming:
    """A command as the user typed it (`/subscribe coalition of the willing`).

    `chat_id` and `user_id` carry the platform prefix (`telegram:-1001`, `slack:U123`). The platform
    strips its own decorations first (Telegram `@botname`, Slack's `/diplo` prefix). `username` lets an allow
    list name people by `@name` (handlers/access.py).
    """

    chat_id: str
    user_id: str
    text: str
    chat_kind: ChatKind = "private"
    chat_title: str | None = None
    username: str | None = None  # the sender's @name without the @, where the platform has one (Telegram)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", strip_invisible(self.text))

    @property
    def platform(self) -> str:
        return self.chat_id.split(":", 1)[0]
