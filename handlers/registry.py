"""The command registry: one entry per slash command; `/help` is generated from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from diplobot.config import Config
from diplobot.handlers.reply import Reply

MAX_ARGS = 1000


class UsageError(Exception):
    """The user typed something the command cannot take; the message says what to type."""


@dataclass
class Context:
    """What a command may use. Commands run on the database thread, so `db` is safe to use."""

    db: Database
    chat: dict[str, Any]
    user_id: str
    now: datetime
    config: Config

    @property
    def chat_id(self) -> str:
        return self.chat["id"]

    @property
    def tz(self) -> str:
        return self.chat.get("timezone") or self.config.timezone


Handler = Callable[[Context, str], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    usage: str
    summary: str
    changes_chat: Callable[[str], bool]


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, *, changes_chat: bool | Callable[[str], bool] = False
            ) -> Callable[[Handler], Handler]:
    """Register a handler; its docstring's first line is its `/help` summary."""

    def register(fn: Handler) -> Handler:
        summary = (fn.__doc__ or "").strip().splitlines()[0]
        check = changes_chat if callable(changes_chat) else (lambda _args, v=changes_chat: v)
        COMMANDS[name] = Command(name, fn, usage, summary, check)
        return fn

    return register


def parse_command(text: str) -> tuple[str, str]:
    """Split `/name@bot args` into ("name", "args"); `Incoming` has already removed invisible characters.

    Raises UsageError for text that is not a command or arguments over the length limit.
    """
    text = text.strip()
    if not text.startswith("/"):
        raise UsageError("Commands start with a slash, for example /help.")
    head, _, args = text.partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    args = " ".join(args.split())
    if len(args) > MAX_ARGS:
        raise UsageError(f"That is too long ({len(args):,} characters); the limit is {MAX_ARGS:,}.")
    return name, args


def usage_reply(cmd: Command, problem: str = "") -> Reply:
    lines = [problem] if problem else []
    lines.append(f"Usage: {cmd.usage}")
    return Reply.text(*lines)
