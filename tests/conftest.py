"""Shared fixtures: a store on a temp file, a fixed clock, and a recording stand-in platform."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from diplobot.clock import FixedClock
from diplobot.config import Config, DeliveryConfig, StoreConfig
from diplobot.handlers.dispatcher import Dispatcher
from diplobot.handlers.incoming import Incoming
from diplobot.ingest.fetch import Fetcher
from diplobot.platforms.base import Pace
from diplobot.store.worker import Store

FIXTURES = Path(__file__).parent / "fixtures"


class RecordingMessenger:
    """A platform stand-in for testing the outbox and scheduler: records sends, fails on demand."""

    platform = "test"
    connected = True

    def __init__(self, per_chat_s: float = 0.001) -> None:
        self.per_chat_s = per_chat_s
        self.sent: list[tuple[str, float, object]] = []
        self.edits: list[tuple[str, str, object]] = []
        self.failures: dict[str, Exception] = {}

    def pace(self, chat_kind):
        return Pace(1, self.per_chat_s)

    def total_pace(self):
        return Pace(1000, 1.0)

    async def send(self, native_chat_id, reply):
        if native_chat_id in self.failures:
            raise self.failures[native_chat_id]
        self.sent.append((native_chat_id, time.monotonic(), reply))
        return str(len(self.sent))

    async def edit(self, native_chat_id, message_id, reply):
        self.edits.append((native_chat_id, message_id, reply))

    def texts(self, chat="1"):
        return [reply.plain() for native, _, reply in self.sent if native == chat]


@pytest.fixture
def messenger():
    return RecordingMessenger()


@pytest.fixture
def clock():
    return FixedClock(datetime(2025, 9, 4, 10, 0, tzinfo=UTC))


@pytest.fixture
def config(tmp_path):
    return Config(store=StoreConfig(path=str(tmp_path / "t.db")), delivery=DeliveryConfig(max_attempts=3))


@pytest.fixture
async def store(config):
    async with Store(config.store.path) as store:
        yield store


@pytest.fixture
async def fetcher():
    """A fetcher that may talk to the local test servers (private addresses are allowed by default)."""
    async with Fetcher(timeout=3.0) as fetcher:
        yield fetcher


@pytest.fixture
def dispatcher(store, config, clock):
    return Dispatcher(store, config, clock)


@pytest.fixture
def chat(dispatcher):
    """Send a command as the user of chat `test:1` and get the reply's plain text."""

    async def say(text: str, chat_id: str = "test:1", kind: str = "private", may_manage=None) -> str:
        reply = await dispatcher.handle(
            Incoming(chat_id=chat_id, user_id="test:u1", text=text, chat_kind=kind), may_manage=may_manage
        )
        return reply.plain()

    return say


@pytest.fixture
def messenger_cls():
    return RecordingMessenger


@pytest.fixture
async def telegram_bot(config, dispatcher):
    """The real Telegram platform on the `config` fixture (which points it at a fake Bot API), started."""
    from diplobot.platforms.telegram import TelegramPlatform

    platform = TelegramPlatform(config, dispatcher, poll_timeout=0.2, request_timeout=2.0)
    await platform.start()
    yield platform
    await platform.stop()
