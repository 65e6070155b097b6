"""Starting without network: a platform that cannot be reached is retried in the background while the rest runs;
a rejected token still ends start-up with one clear line."""

import asyncio
import subprocess
import sys
import time
from io import StringIO

import fake_telegram as ft
import httpx
import pytest
from netutil import free_port

from diplobot import runtime as runtime_module
from diplobot.clock import Clock
from diplobot.config import Config, DeliveryConfig, OpsConfig, SlackConfig, StoreConfig, TelegramConfig
from diplobot.handlers.incoming import Incoming
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import ingest_drafts
from diplobot.runtime import Runtime, retry_delay
from diplobot.store import articles
from diplobot.store.sources import upsert_source

ALICE = 5001
TOPIC = "coalition of the willing"


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(runtime_module, "RETRY_FIRST_S", 0.05)
    monkeypatch.setattr(runtime_module, "RETRY_MAX_S", 0.2)


def telegram_config(tmp_path, tg_port: int, ops_port: int) -> Config:
    telegram = TelegramConfig(token=ft.FakeTelegram.token, base_url=f"http://127.0.0.1:{tg_port}/bot")
    return Config(
        telegram=telegram,
        store=StoreConfig(path=str(tmp_path / "t.db")),
        ops=OpsConfig(listen=f"127.0.0.1:{ops_port}"),
        delivery=DeliveryConfig(poll_interval=0.2),
    )


async def wait_until(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def queue_alert_for_alice(runtime: Runtime) -> None:
    """Alice subscribes (as if earlier, over Telegram) and a matching article arrives: one alert is pending."""
    await runtime.dispatcher.handle(
        Incoming(
            chat_id=f"telegram:{ALICE}", user_id=f"telegram:{ALICE}", text=f"/subscribe {TOPIC}", chat_kind="private"
        )
    )
    now = runtime.clock.now()
    source_id = await runtime.store.run(
        upsert_source,
        "https://wire.example/feed",
        kind="feed",
        every_s=600,
        full_text=False,
        title="Example Wire",
        now=now.isoformat(),
    )
    draft = ArticleDraft(
        title="Leaders meet in Paris",
        url="https://wire.example/paris",
        body=f"Envoys said the {TOPIC} would meet again in Paris.",
    )
    await ingest_drafts(runtime.store, [draft], source_id=source_id, now=now)


async def test_unreachable_telegram_is_retried_while_the_bot_runs_then_connects_and_delivers(
    tmp_path, fast_retries, caplog
):
    tg_port, ops_port = free_port(), free_port()
    stdout = StringIO()
    runtime = Runtime(
        telegram_config(tmp_path, tg_port, ops_port), console=True, stdin=StringIO("/help\n"), stdout=stdout
    )
    await runtime.start()  # nothing listens on tg_port: start-up goes on without Telegram
    try:
        telegram = next(p for p in runtime.platforms if p.platform == "telegram")
        assert not telegram.connected
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ops_port}") as client:
            health = await client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["checks"] == {"scheduler": True, "telegram": False, "console": True, "database": True}
        await wait_until(lambda: "/subscribe" in stdout.getvalue())  # the console answers
        await runtime.jobs.poll()
        assert await runtime.store.run(articles.max_article_id) > 0  # polling goes on: the samples are stored
        await queue_alert_for_alice(runtime)
        await asyncio.sleep(0.5)  # a few retries go by
        attempts = [r.getMessage() for r in caplog.records if "telegram is not connected" in r.getMessage()]
        assert len(attempts) >= 3
        assert all("cannot reach the Telegram Bot API" in line for line in attempts)
        assert not any(r.exc_info for r in caplog.records if r.name == "diplobot.runtime")

        async with ft.FakeTelegram(listen_port=tg_port) as tg:
            sent = await tg.wait_for(lambda: tg.sent(ALICE), timeout=10)
            assert "Leaders meet in Paris" in sent[0]["text"]
            assert telegram.connected
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ops_port}") as client:
                health = await client.get("/healthz")
            assert health.status_code == 200 and health.json()["checks"]["telegram"] is True
            await runtime.stop()
    finally:
        if runtime.scheduler.running:
            await runtime.stop()


async def test_stopping_while_a_platform_waits_to_retry_is_immediate(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime_module, "RETRY_FIRST_S", 3600.0)
    runtime = Runtime(telegram_config(tmp_path, free_port(), free_port()), console=False)
    await runtime.start()
    started = time.monotonic()
    await runtime.stop()
    assert time.monotonic() - started < 3


def test_retry_delays_double_with_jitter_up_to_five_minutes():
    for attempt, expected in ((1, 1.0), (2, 2.0), (3, 4.0), (9, 256.0), (10, 300.0), (500, 300.0)):
        delays = {retry_delay(attempt) for _ in range(20)}
        assert all(0.75 * expected <= d <= expected for d in delays)
        assert len(delays) > 1  # jittered


@pytest.mark.slow
async def test_a_rejected_token_ends_start_up_with_one_clear_line_and_status_2(tmp_path):
    async with ft.FakeTelegram() as tg:
        config = tmp_path / "diplobot.toml"
        config.write_text(
            f'[store]\npath = "{tmp_path / "bot.db"}"\n'
            f'[telegram]\ntoken = "123456:WRONG-token"\nbase_url = "{tg.base_url}"\n',
            encoding="utf-8",
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "diplobot.bot",
            "--config",
            str(config),
            "run",
            "--no-console",
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    text = err.decode()
    assert proc.returncode == 2
    assert "Traceback" not in text and "WRONG-token" not in text
    errors = [line for line in text.splitlines() if "cannot start" in line]
    assert errors == ["cannot start: telegram: Telegram rejected the bot token; check [telegram] token"]


async def test_an_unreachable_slack_api_is_a_network_failure_worth_retrying(tmp_path):
    from diplobot.handlers.dispatcher import Dispatcher, default_commands
    from diplobot.platforms.base import PlatformUnreachable
    from diplobot.platforms.slack import SlackPlatform
    from diplobot.store.worker import Store

    slack = SlackConfig(
        bot_token="xoxb-SECRET", app_token="xapp-SECRET", api_url=f"http://127.0.0.1:{free_port()}/api/"
    )
    config = Config(slack=slack, store=StoreConfig(path=str(tmp_path / "t.db")))
    async with Store(config.resolve(config.store.path)) as store:
        platform = SlackPlatform(config, Dispatcher(store, config, Clock(), commands=default_commands()))
        with pytest.raises(PlatformUnreachable) as unreachable:
            await platform.start()
        await platform.stop()
    assert "cannot reach the Slack Web API" in str(unreachable.value) and "SECRET" not in str(unreachable.value)
