"""Who may use the bot: the one place that decides, for every platform, from an `Incoming`'s chat and sender.

A platform with no allow list is open to anyone who finds the bot (the default; `runtime` warns at start-up).
With a list, a sender is let in when they are listed (`allowed_users`) or write in a listed chat
(`allowed_chats`, Slack's `allowed_channels`). Anyone else gets one polite refusal, then silence for
`QUIET_S`: a stranger repeating themselves cannot make the bot talk (or work) for them. The console is local
and always allowed.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

from diplobot.config import Config
from diplobot.handlers.incoming import Incoming

log = logging.getLogger(__name__)

Verdict = Literal["ok", "refuse", "quiet"]

REFUSAL = "This diplobot is private. Ask its owner to add you."
QUIET_S = 3600.0  # after a refusal, the same stranger is ignored this long
REMEMBERED_MAX = 10_000  # refused strangers remembered at once (oldest forgotten first)


class Access:
    """Allow lists per platform, as `platform:id` keys (and lower-case `@username`s for Telegram)."""

    def __init__(
        self,
        allowed: dict[str, frozenset[str]],
        *,
        quiet_s: float = QUIET_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowed = {platform: keys for platform, keys in allowed.items() if keys}
        self.quiet_s = quiet_s
        self._monotonic = monotonic
        self._refused: OrderedDict[str, float] = OrderedDict()

    @classmethod
    def from_config(cls, config: Config) -> Access:
        tg, slack = config.telegram, config.slack
        return cls(
            {
                "telegram": frozenset(_key("telegram", v) for v in (*tg.allowed_users, *tg.allowed_chats)),
                "slack": frozenset(_key("slack", v) for v in (*slack.allowed_users, *slack.allowed_channels)),
            }
        )

    def is_open(self, platform: str) -> bool:
        """Anyone on `platform` may use the bot (no allow list for it)."""
        return platform not in self.allowed

    def admits(self, msg: Incoming) -> bool:
        keys = self.allowed.get(msg.platform)
        if keys is None:
            return True
        candidates = {msg.user_id, msg.chat_id}
        if msg.username:
            candidates.add(_key(msg.platform, f"@{msg.username}"))
        return not candidates.isdisjoint(keys)

    def check(self, msg: Incoming) -> Verdict:
        """ "ok" for an allowed sender; for anyone else "refuse" once, then "quiet" for `quiet_s`."""
        if self.admits(msg):
            return "ok"
        now = self._monotonic()
        who = msg.user_id
        until = self._refused.get(who)
        if until is not None and now < until:
            return "quiet"
        self._refused.pop(who, None)
        while len(self._refused) >= REMEMBERED_MAX:
            self._refused.popitem(last=False)
        self._refused[who] = now + self.quiet_s
        name = f" (@{msg.username})" if msg.username else ""
        log.info("refused %s%s in %s: not in the %s allow lists", who, name, msg.chat_id, msg.platform)
        return "refuse"


def refusal(msg: Incoming) -> str:
    """The one answer a stranger gets; it names their ids, which is what the owner needs to add them."""
    user = msg.user_id.split(":", 1)[1]
    if msg.chat_kind == "private":
        return f"{REFUSAL} (Your user id: {user}.)"
    return f"{REFUSAL} (Your user id: {user}; this chat's id: {msg.chat_id.split(':', 1)[1]}.)"


def _key(platform: str, value: str) -> str:
    """`telegram:123`, `telegram:@name` (case-insensitive, as Telegram treats usernames) or `slack:U0123`."""
    value = value.strip()
    if value.startswith("@"):
        value = value.lower()
    return value if value.startswith(f"{platform}:") else f"{platform}:{value}"
