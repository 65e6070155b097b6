"""One platform contract: every adapter is a `Platform` and shares the stop and admin-check policy of base.py."""

import asyncio
import io
import logging
from pathlib import Path

import pytest

from diplobot.config import Config, SlackConfig, TelegramConfig
from diplobot.handlers.reply import Reply
from diplobot.platforms.base import Capabilities, DeliveryError, InFlightSends, Platform, RecordedCheck
from diplobot.platforms.console import ConsolePlatform
from diplobot.platforms.slack import SlackPlatform
from diplobot.platforms.telegram import TelegramPlatform

ROOT = Path(__file__).parent.parent


def platforms() -> list[Platform]:
    return [
        TelegramPlatform(Config(telegram=TelegramConfig(token="42:CONTRACT-test")), dispatcher=None),  # type: ignore[arg-type]
        SlackPlatform(Config(slack=SlackConfig(bot_token="xoxb-x", signing_secret="s", mode="http")), dispatcher=None),  # type: ignore[arg-type]
        ConsolePlatform(None, stdin=io.StringIO(), stdout=io.StringIO()),  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize("platform", platforms(), ids=lambda p: p.platform)
async def test_every_adapter_is_a_platform_not_connected_before_start_and_refusing_sends_once_stopped(platform):
    assert isinstance(platform, Platform)
    assert isinstance(platform.capabilities, Capabilities)
    assert platform.connected is False
    await platform.stop()
    assert platform.connected is False
    with pytest.raises(DeliveryError) as refused:
        await platform.send("1", Reply.text("after stop"))
    assert refused.value.retry_after == 0  # the alert stays pending for the next start


async def test_the_console_is_connected_from_start_to_stop():
    console = ConsolePlatform(None, stdin=io.StringIO(""), stdout=io.StringIO())  # type: ignore[arg-type]
    await console.start()
    assert console.connected
    await console.stop()
    assert not console.connected


def test_the_runtime_and_the_outbox_reach_platforms_through_the_contract_only():
    for path in ("runtime.py", "outbox.py"):
        assert "getattr(" not in (ROOT / path).read_text(encoding="utf-8"), path


async def test_stopping_waits_for_sends_in_flight_and_refuses_new_ones():
    sends = InFlightSends("test", grace_s=5.0)
    release = asyncio.Event()
    finished: list[str] = []

    async def send(name: str) -> None:
        async with sends.send():
            await release.wait()
            finished.append(name)

    first = asyncio.create_task(send("first"))
    await asyncio.sleep(0)
    closing = asyncio.create_task(sends.close())
    await asyncio.sleep(0.05)
    assert not closing.done()  # the send in hand holds the stop
    with pytest.raises(DeliveryError, match="stopping"):
        await send("second")
    release.set()
    await asyncio.wait_for(closing, 1)
    await first
    assert finished == ["first"]


async def test_a_send_that_hangs_past_the_grace_is_left_with_a_warning(caplog):
    sends = InFlightSends("test", grace_s=0.05)
    hang = asyncio.Event()

    async def send() -> None:
        async with sends.send():
            await hang.wait()

    task = asyncio.create_task(send())
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="diplobot.platforms.base"):
        await asyncio.wait_for(sends.close(), 1)
    assert "1 send(s) still unanswered" in caplog.text
    task.cancel()


@pytest.mark.parametrize(("answers", "refused"), [([True], False), ([False], True), ([True, False], True)])
async def test_a_recorded_check_remembers_a_refusal(answers, refused):
    replies = iter(answers)

    async def is_admin() -> bool:
        return next(replies)

    recorded = RecordedCheck(is_admin)
    assert recorded.may_manage is not None
    for expected in answers:
        assert await recorded.may_manage() is expected
    assert recorded.refused is refused


def test_no_check_means_nothing_to_ask():
    recorded = RecordedCheck(None)
    assert recorded.may_manage is None and recorded.refused is False
