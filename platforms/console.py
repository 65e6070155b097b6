"""The console chat: one local chat in the terminal, no account needed.

Lines typed on stdin are commands; replies and alerts are printed as they come. When stdin is not a
terminal it reads commands line by line and prints plain text, so it can be scripted; at the end of
input it stops the bot.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from diplobot.handlers.dispatcher import Dispatcher
from diplobot.handlers.incoming import Incoming
from diplobot.handlers.reply import Link, Paragraph, Reply, Text, more_text, shown
from diplobot.platforms.base import Capabilities, InFlightSends, Pace

PROMPT = "> "
MESSAGE_LIMIT = 4096  # like a Telegram message: a reply is one message everywhere
PARAGRAPH_LIMIT = 1000
MORE_ROOM = 80
MAX_BUTTON_ROWS = 100


def render(reply: Reply, limit: int = MESSAGE_LIMIT) -> str:
    """Plain text with marked hits in «», links after their label and buttons as commands, as one
    message of at most `limit` characters (like a chat's): what does not fit ends in "and N more".

    Control and invisible characters never reach the terminal (no escape sequences from a title).
    """
    lines: list[str] = []
    used = 0
    for index, paragraph in enumerate(reply.blocks):
        line = _paragraph(paragraph)
        room = limit if index == len(reply.blocks) - 1 else limit - MORE_ROOM
        if used + len(line) + 2 > room:
            lines.append(f"  {more_text(len(reply.blocks) - index)}")
            break
        lines.append(line)
        used += len(line) + 2
    for row in reply.buttons[:MAX_BUTTON_ROWS]:
        lines.append("  ".join(f"[{shown(b.label, 75)}: {shown(b.command, 200)}]" for b in row))
    return "\n\n".join(lines)


def _paragraph(p: Paragraph) -> str:
    out = []
    left = PARAGRAPH_LIMIT
    for span in p.spans:
        text = shown(span.text, left)
        left -= len(text)
        if isinstance(span, Link):
            url = shown(span.url, 300)
            out.append(text if span.text == span.url else f"{text} <{url}>")
        elif isinstance(span, Text) and span.style == "mark":
            out.append(f"«{text}»")
        else:
            out.append(text)
        if left <= 0:
            break
    text = "".join(out)
    return f"  {text}" if p.kind == "context" else text


class ConsolePlatform:
    """Reads commands from a stream and prints replies and alerts to another (a `Platform`)."""

    platform = "console"
    capabilities = Capabilities(buttons=False, admin_checks=False, listens=False)

    def __init__(
        self,
        dispatcher: Dispatcher,
        chat_id: str = "console:local",
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        on_eof: Callable[[], None] | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.chat_id = chat_id
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.on_eof = on_eof
        self.interactive = self.stdin.isatty()
        self._task: asyncio.Task[None] | None = None
        self._sent = 0
        self._in_flight = InFlightSends(self.platform)
        self.connected = False

    def pace(self, chat_kind: str) -> Pace:
        return Pace(count=100, per_s=1.0)

    def total_pace(self) -> Pace:
        return Pace(count=100, per_s=1.0)

    async def send(self, native_chat_id: str, reply: Reply) -> str:
        async with self._in_flight.send():
            self._print(f"🔔 {self._shown(reply)}")
            self._sent += 1
            return f"console-{self._sent}"

    async def edit(self, native_chat_id: str, message_id: str, reply: Reply) -> None:
        self._print(f"(update to {message_id}) {render(reply)}")

    def _shown(self, reply: Reply) -> str:
        """The reply as text; a picture (a trend chart) is written to the `[charts] dir` folder and its path
        added, since a terminal cannot show it."""
        text = render(reply)
        if reply.image is None:
            return text
        config = self.dispatcher.config
        folder = config.resolve(config.charts.dir)
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(reply.image.filename).name).lstrip(".-") or "chart.png"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(reply.image.png)
        except OSError as exc:
            return f"{text}\n\n  (the chart could not be written to {folder}: {exc.strerror or exc})"
        return f"{text}\n\n  Chart: {folder / name}"

    def _print(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)
        if self.interactive:
            print(PROMPT, end="", file=self.stdout, flush=True)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._read_loop(), name="console")
        self.connected = True

    async def stop(self) -> None:
        self.connected = False
        await self._in_flight.close()
        if self._task and not self._task.done():
            self._task.cancel()

    def _reader(self, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str]) -> None:
        """Blocking reads on a daemon thread, so a waiting terminal never holds up shutdown."""
        for line in iter(self.stdin.readline, ""):
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")

    async def _read_loop(self) -> None:
        if self.interactive:
            self._print("diplobot console: type /help, or /subscribe ceasefire. Ctrl-D quits.")
        lines: asyncio.Queue[str] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._reader, args=(loop, lines), daemon=True, name="console-in").start()
        while True:
            line = await lines.get()
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            text = line if line.startswith("/") else f"/{line}"
            reply = await self.dispatcher.handle(
                Incoming(chat_id=self.chat_id, user_id=self.chat_id, text=text, chat_title="console")
            )
            if reply.blocks:  # empty: rate-limited after one refusal
                self._print(self._shown(reply))
        if self.on_eof:
            self.on_eof()
