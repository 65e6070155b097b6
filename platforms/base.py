"""The contract of a chat platform adapter, and the policy every adapter shares.

`Messenger` is what the outbox worker needs (pace, send, edit, `connected`); `Platform` adds what the runtime
needs over a platform's whole life (start, stop, capabilities). Telegram, Slack and the console implement it.

Shared policy lives here rather than in each adapter: `InFlightSends` refuses new sends once a platform is
stopping and lets the ones in flight finish first, and `RecordedCheck` wraps the admin check a platform gives the
dispatcher (`ManageCheck`) so a button press can tell a refusal from a result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from diplobot.handlers.dispatcher import ManageCheck
from diplobot.handlers.reply import Reply

log = logging.getLogger(__name__)

STOP_GRACE_S = 5.0  # how long stop() waits for sends in flight


class DeliveryError(Exception):
    """Sending failed. The message is safe to store and log (no tokens).

    `retry_after`: the platform asked to wait this many seconds (429) before writing to that chat.
    `chat_gone`: the chat blocked the bot, was deleted or archived; stop sending there.
    `moved_to`: the chat lives on under this native id (a Telegram group became a supergroup).
    """

    def __init__(
        self, reason: str, *, retry_after: float | None = None, chat_gone: bool = False, moved_to: str | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.chat_gone = chat_gone
        self.moved_to = moved_to


class PlatformUnreachable(RuntimeError):
    """`start` failed for a network reason (no DNS, no route, a timeout, the service down): worth retrying.

    Any other RuntimeError from `start` (a rejected token, a bad setting) is a fault in the config and ends
    start-up; this one leaves the bot running while the runtime retries the platform in the background.
    """


@dataclass(frozen=True)
class Pace:
    """At most `count` messages per `per_s` seconds."""

    count: int
    per_s: float


class Messenger(Protocol):
    """What the outbox needs from a platform: send and edit a rendered Reply, while it is connected."""

    platform: str

    @property
    def connected(self) -> bool:
        """True from a successful start until stop begins; the outbox dispatches only then."""
        ...

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


@dataclass(frozen=True)
class Capabilities:
    """What a platform can do beyond sending text, as the runtime reports it at start."""

    buttons: bool  # a Reply's buttons can be pressed (the console prints them as commands to type)
    admin_checks: bool  # it can tell a shared chat's admins, so changes may be limited to them
    listens: bool  # it receives commands from a network service (a webhook, a socket, long polling)

    def describe(self) -> str:
        names = {"buttons": self.buttons, "admin checks": self.admin_checks, "network": self.listens}
        return ", ".join(name for name, present in names.items() if present) or "text only"


@runtime_checkable
class Platform(Messenger, Protocol):
    """A chat platform over its whole life: the runtime starts it, hands it to an outbox worker, stops it."""

    @property
    def capabilities(self) -> Capabilities: ...

    async def start(self) -> None:
        """Connect and start taking commands. Raises RuntimeError with a message fit for the user:
        PlatformUnreachable when a network reason kept it from connecting (it may be called again then)."""
        ...

    async def stop(self) -> None:
        """The reverse of start: new sends are refused, those in flight finish, connections close."""
        ...


class InFlightSends:
    """The sends a platform has in flight, so stopping waits for them before the connection closes.

    A message the platform accepted but the outbox could not record would be sent again after the restart; so
    `stop` lets sends in hand finish (up to `grace_s`) and refuses new ones with a retry-later error, which leaves
    their alerts pending, untouched.
    """

    def __init__(self, platform: str, grace_s: float = STOP_GRACE_S) -> None:
        self.platform = platform
        self.grace_s = grace_s
        self.closing = False
        self._sends: set[asyncio.Future[None]] = set()

    @contextlib.asynccontextmanager
    async def send(self) -> AsyncIterator[None]:
        """Around one send. Raises DeliveryError (retry later) once `close` began."""
        if self.closing:
            raise DeliveryError("the bot is stopping; it is sent after the restart", retry_after=0)
        finished = asyncio.get_running_loop().create_future()
        self._sends.add(finished)
        try:
            yield
        finally:
            self._sends.discard(finished)
            finished.set_result(None)

    async def close(self) -> None:
        """Refuse new sends and wait (up to `grace_s`) for those in flight."""
        self.closing = True
        if self._sends:
            _done, hung = await asyncio.wait(set(self._sends), timeout=self.grace_s)
            if hung:
                log.warning(
                    "%s: stopping with %d send(s) still unanswered; they are retried after the restart",
                    self.platform,
                    len(hung),
                )


class RecordedCheck:
    """A platform's admin check, remembering whether it refused: a pressed button then shows the refusal, not a
    result. `may_manage` is what the dispatcher gets (None: no check needed)."""

    def __init__(self, check: ManageCheck | None) -> None:
        self._check = check
        self.refused = False

    @property
    def may_manage(self) -> ManageCheck | None:
        return self._ask if self._check is not None else None

    async def _ask(self) -> bool:
        assert self._check is not None
        allowed = await self._check()
        if not allowed:
            self.refused = True
        return allowed
