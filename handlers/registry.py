"""Commands and their registry: one entry per slash command; `/help` is generated from it.

`@command` only describes a handler (name, usage, whether it changes the chat); it registers nothing. A
`CommandRegistry` is built explicitly from the handler modules or functions it should answer (the dispatcher's
`default_commands`), so importing a module never changes what a bot answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlite_utils import Database

from diplobot.analysis.aliases import AliasesFile
from diplobot.config import Config
from diplobot.handlers.reply import Reply

MAX_ARGS = 1000


class UsageError(Exception):
    """The user typed something the command cannot take; the message says what to type."""


@dataclass
class Context:
    """What a command may use. Commands run on the database thread, so `db` is safe to use.

    `commands` is the registry answering (for /help); `aliases` the people aliases in force (for /who).
    """

    db: Database
    chat: dict[str, Any]
    user_id: str
    now: datetime
    config: Config
    commands: CommandRegistry
    aliases: AliasesFile = field(default_factory=AliasesFile)

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


_SPEC = "__diplobot_command__"  # the attribute `@command` sets on a handler


def command(
    name: str, usage: str, *, changes_chat: bool | Callable[[str], bool] = False
) -> Callable[[Handler], Handler]:
    """Describe a handler as the command `name`; its docstring's first line is its `/help` summary.

    The handler is returned unchanged; a `CommandRegistry` given it (or its module) answers the command.
    """

    def describe(fn: Handler) -> Handler:
        summary = (fn.__doc__ or "").strip().splitlines()[0]
        check = changes_chat if callable(changes_chat) else (lambda _args, v=changes_chat: v)
        setattr(fn, _SPEC, Command(name, fn, usage, summary, check))
        return fn

    return describe


def described(fn: object) -> Command | None:
    """The command `@command` made of `fn`, or None when it is not a command handler."""
    spec = getattr(fn, _SPEC, None)
    return spec if isinstance(spec, Command) else None


class CommandRegistry(Mapping[str, Command]):
    """The commands one dispatcher answers, by name, in the order given (the order /help lists them)."""

    def __init__(self, handlers: Iterable[Handler] = ()) -> None:
        self._commands: dict[str, Command] = {}
        for handler in handlers:
            self.add(handler)

    @classmethod
    def from_modules(cls, *modules: ModuleType) -> CommandRegistry:
        """Every command handler defined in these modules, module by module, each in definition order."""
        return cls(
            value
            for module in modules
            for value in vars(module).values()
            if described(value) is not None and getattr(value, "__module__", None) == module.__name__
        )

    def add(self, handler: Handler) -> None:
        """Answer `handler`'s command too. Raises ValueError for a function that is not a command or a name
        already taken (two handlers for one command is a wiring mistake, not a choice)."""
        spec = described(handler)
        if spec is None:
            raise ValueError(f"{getattr(handler, '__name__', handler)!r} is not a @command handler")
        if spec.name in self._commands:
            raise ValueError(f"two handlers for /{spec.name}")
        self._commands[spec.name] = spec

    def __getitem__(self, name: str) -> Command:
        return self._commands[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._commands)

    def __len__(self) -> int:
        return len(self._commands)


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
