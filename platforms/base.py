"""The contract between the delivery worker and a platform adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from diplobot.handlers.reply import Reply


class DeliveryError(Exception):
    """Sending failed. The message is safe to store and log (no tokens).

    `retry_after`: the platform asked to wait this many seconds (429) before writing to that chat.
    `chat_gone`: the chat blocked the bot, was deleted or archived; stop sending there.
    `moved_to`: the chat lives on under this native id (a Telegram group became a supergroup).
    """

    def __init__(self, reason: str, *, retry_after: float | None = None, chat_gone: bool = False,
                 moved_to: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.chat_gone = chat_gone
        self.moved_to = moved_to


@dataclass(frozen=True)
class Pace:
    """At most `count` messages per `per_s` seconds."""

    count: int
    per_s: float


class Messenger(Protocol):
    """What the outbox needs from a platform: send and edit a rendered Reply."""

    platform: str

    def pace(self, chat_kind: str) -> Pace:
        """The per-chat sending pace for a chat of this kind."""
        ...

    def total_pace(self) -> Pace:
        """The pace over all chats of this platform."""
        ...

    async def send(self, native_chat_id: str, reply: Reply) -> str:
        """Deliver `reply` as one message (cut to the platform's limits); returns its id.

        Raises DeliveryError.
        """
        ...

    async def edit(self, native_chat_id: str, message_id: str, reply: Reply) -> None:
        """Replace a sent message's content. Raises DeliveryError."""
        ...
