"""From an `Incoming` command to a `Reply`: parsing, permissions, rate limits, errors.

Platforms call `Dispatcher.handle`; the command itself runs on the database thread. The commands answered are
the dispatcher's own `CommandRegistry` (`default_commands` unless given).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Literal

from sqlite_utils import Database

from diplobot.analysis.aliases import AliasesFile
from diplobot.clock import Clock, iso
from diplobot.config import Config
from diplobot.handlers import digest, general, settings, topics, trend
from diplobot.handlers.access import Access, refusal
from diplobot.handlers.incoming import Incoming
from diplobot.handlers.registry import Command, CommandRegistry, Context, UsageError, parse_command, usage_reply
from diplobot.handlers.reply import Reply
from diplobot.store.chats import ensure_chat, move_chat
from diplobot.store.worker import Store

log = logging.getLogger(__name__)

ManageCheck = Callable[[], Awaitable[bool]]
"""Asked before a command changes a shared chat: may this sender do that? (The platform knows who is an admin.)"""

HANDLER_MODULES = (digest, general, settings, topics, trend)  # in /help order


def default_commands() -> CommandRegistry:
    """Every chat command diplobot has, from the handler modules."""
    return CommandRegistry.from_modules(*HANDLER_MODULES)


class RateLimiter:
    """At most `per_minute` messages per user in any 60 seconds, whatever they say.

    `check` answers "ok", then "refuse" for the first message over the limit (one polite refusal) and
    "quiet" for the rest until the user is under the limit again: a flood gets no flood of answers.
    """

    def __init__(self, per_minute: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._monotonic = monotonic
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._refused: set[str] = set()

    def check(self, user_id: str) -> Literal["ok", "refuse", "quiet"]:
        if self.per_minute <= 0:
            return "ok"
        now = self._monotonic()
        seen = self._seen[user_id]
        while seen and now - seen[0] >= 60:
            seen.popleft()
        if len(seen) >= self.per_minute:
            if user_id in self._refused:
                return "quiet"
            self._refused.add(user_id)
            return "refuse"
        self._refused.discard(user_id)
        seen.append(now)
        return "ok"

    def allow(self, user_id: str) -> bool:
        return self.check(user_id) == "ok"


class Dispatcher:
    """Runs chat commands for every platform."""

    def __init__(
        self,
        store: Store,
        config: Config,
        clock: Clock | None = None,
        on_handled: Callable[[str], None] = lambda platform: None,
        *,
        commands: CommandRegistry | None = None,
        aliases: AliasesFile | None = None,
        access: Access | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock or Clock()
        self.commands = commands if commands is not None else default_commands()
        self.aliases = aliases or AliasesFile()
        self.limiter = RateLimiter(config.ops.commands_per_minute)
        self.access = access or Access.from_config(config)
        self.on_handled = on_handled

    async def handle(self, msg: Incoming, *, may_manage: ManageCheck | None = None) -> Reply:
        """The reply to one command; never raises for anything a user can type. Every message counts
        against the sender's rate limit, unknown or over-long ones too; past it the reply is empty
        (platforms send nothing) after one refusal. A sender the allow lists do not admit gets one refusal,
        then empty replies for a while (handlers/access.py): no command runs, no chat is recorded."""
        admitted = self.access.check(msg)
        if admitted != "ok":
            return Reply.text(refusal(msg)) if admitted == "refuse" else Reply()
        allowed = self.limiter.check(msg.user_id)
        if allowed == "quiet":
            return Reply()
        if allowed == "refuse":
            return Reply.text(f"Easy there: at most {self.limiter.per_minute} commands a minute. Try again shortly.")
        try:
            name, args = parse_command(msg.text)
        except UsageError as exc:
            return Reply.text(str(exc))
        cmd = self.commands.get(name)
        if cmd is None:
            return Reply.text(f"I don't know /{name[:40]}. /help lists what I can do.")
        needs_admin = cmd.changes_chat(args) and msg.chat_kind != "private" and may_manage is not None
        if needs_admin and not await may_manage():  # type: ignore[misc]
            return Reply.text("Sorry, only this chat's admins can change its topics and settings.")
        self.on_handled(msg.platform)
        return await self.store.run(self._run, cmd, msg, args)

    async def chat_moved(self, old_chat_id: str, new_native_id: str) -> None:
        """The platform says a chat now lives under another id; its topics and settings go with it."""
        new_id = await self.store.run(move_chat, old_chat_id, new_native_id)
        log.info("chat %s moved to %s; its topics and settings moved with it", old_chat_id, new_id)

    def _run(self, db: Database, cmd: Command, msg: Incoming, args: str) -> Reply:
        now = self.clock.now()
        chat = ensure_chat(
            db, msg.chat_id, kind=msg.chat_kind, title=msg.chat_title, timezone=self.config.timezone, now=iso(now)
        )
        ctx = Context(
            db=db,
            chat=chat,
            user_id=msg.user_id,
            now=now,
            config=self.config,
            commands=self.commands,
            aliases=self.aliases,
        )
        # A command that changes the chat takes the write lock at once (store/db.py); any other only reads, in
        # one snapshot, and so never waits for batch work or another process that is writing.
        transaction = db.atomic() if cmd.changes_chat(args) else Database.atomic(db)
        try:
            with transaction:
                return cmd.handler(ctx, args)
        except UsageError as exc:
            return usage_reply(cmd, str(exc))
        except Exception:
            log.exception("command /%s failed in %s", cmd.name, msg.chat_id)
            return Reply.text("Sorry, that failed on my side. It has been logged; please try again later.")
