"""The running process: clean stop on SIGTERM, health and metrics endpoint, sample sources."""

import asyncio
import json
import logging
import signal
import subprocess
import sys
import time
from io import StringIO

import httpx
import pytest
from netutil import free_port

from diplobot.config import Config, ConsoleConfig, OpsConfig, StoreConfig
from diplobot.runtime import Runtime
from diplobot.scheduler import Jobs
from diplobot.store import sources


@pytest.mark.slow
def test_sigterm_stops_the_bot_cleanly_within_ten_seconds(tmp_path):
    config = tmp_path / "diplobot.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "bot.db"}"\n[ops]\nlog_format = "json"\n', encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "diplobot.bot", "--config", str(config), "run", "--no-console"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    while not any('"running with' in line for line in lines):  # start-up done: signal handlers are in place
        lines.append(proc.stderr.readline())
        assert lines[-1], "the bot exited before it was running:\n" + "".join(lines)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 10
    logs = [json.loads(line) for line in [*lines, *proc.stderr.read().splitlines()] if line.startswith("{")]
    assert any(entry["message"] == "stopping" and entry["component"] == "diplobot.runtime" for entry in logs)


async def test_healthz_and_metrics_report_store_and_scheduler(tmp_path):
    port = free_port()
    config = Config(
        store=StoreConfig(path=str(tmp_path / "t.db")),
        ops=OpsConfig(listen=f"127.0.0.1:{port}"),
        console=ConsoleConfig(enabled=False),
    )
    runtime = Runtime(config, console=True, stdin=StringIO(""), stdout=StringIO())
    await runtime.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            health = (await client.get("/healthz")).json()
            metrics = (await client.get("/metrics")).text
    finally:
        await runtime.stop()
    assert health == {"ok": True, "checks": {"scheduler": True, "console": True, "database": True}}
    assert 'diplobot_alerts{state="pending"} 0.0' in metrics
    assert "diplobot_articles " in metrics and "diplobot_delivery_latency_seconds" in metrics


async def test_builtin_defaults_poll_the_bundled_samples(tmp_path):
    config = Config(store=StoreConfig(path=str(tmp_path / "t.db")))
    runtime = Runtime(config, console=True, stdin=StringIO(""), stdout=StringIO())
    await runtime.start()
    try:
        results = await runtime.jobs.poll()
        urls = [s["url"] for s in await runtime.store.run(sources.list_sources)]
    finally:
        await runtime.stop()
    assert urls == ["sample:paris-2025-09-04.txt", "sample:wire.xml", "sample:agency.xml"]
    assert [r.counts.new for r in results] == [1, 3, 3]


async def test_stopping_lets_a_running_job_finish_and_interrupts_a_stuck_one_quietly(store, config, clock, caplog):
    caplog.set_level(logging.INFO, logger="diplobot.scheduler")
    jobs = Jobs(store, fetcher=None, config=config, clock=clock)
    finished = []

    async def short():
        await asyncio.sleep(0.05)
        finished.append("short")

    async def stuck():
        await asyncio.sleep(3600)
        finished.append("stuck")

    tasks = [asyncio.create_task(jobs.tracked(job)()) for job in (short, stuck)]
    await asyncio.sleep(0)
    await jobs.drain(timeout=0.5)
    assert finished == ["short"]
    assert all(t.done() and not t.cancelled() for t in tasks)  # the scheduler sees no exception
    assert "stuck interrupted by shutdown" in caplog.text


async def test_a_tick_that_comes_while_the_job_is_busy_is_skipped_without_a_warning(store, config, clock, caplog):
    """Matching a backlog outlasts many of its ticks: each such tick returns at once and logs nothing above DEBUG."""
    caplog.set_level(logging.INFO)
    jobs = Jobs(store, fetcher=None, config=config, clock=clock)
    started = []
    release = asyncio.Event()

    async def match():
        started.append(1)
        await release.wait()
        return "done"

    tick = jobs.tracked(match)
    first = asyncio.create_task(tick())
    await asyncio.sleep(0)
    assert await tick() is None  # a second tick while the first runs
    release.set()
    assert await first == "done"
    assert started == [1]
    assert await tick() == "done"  # once free, the next tick runs it again
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]
