"""The running bot: one asyncio loop shared by the store thread, scheduler, outbox workers and platforms.

`bot.py` builds a `Runtime` from the config; tests build one directly. Start order: store, sources,
platforms, workers, scheduler; stop goes in reverse and lets in-flight sends finish.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any, TextIO

from diplobot.clock import Clock, iso
from diplobot.config import Config, parse_duration
from diplobot.handlers.dispatcher import Dispatcher
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.poll import source_kind
from diplobot.ingest.samples import SAMPLE_SOURCES
from diplobot.ops import Metrics, OpsServer
from diplobot.platforms.console import ConsolePlatform
from diplobot.platforms.delivery import OutboxWorker
from diplobot.scheduler import Jobs, build_scheduler
from diplobot.store import people, sources
from diplobot.store.worker import Store

log = logging.getLogger(__name__)

SAMPLE_EVERY_S = 30
STOP_JOBS_S = 5.0  # running jobs get this long to finish on SIGTERM; the stop must take < 10 s


def make_fetcher(config: Config) -> Fetcher:
    return Fetcher(max_bytes=config.ingest.max_bytes, timeout=config.ingest.timeout,
                   allow_private=config.ingest.allow_private_hosts)


def sync_config_sources(db: Any, config: Config, now: str) -> None:
    """Put the config's sources in the store; with none configured, the bundled samples.

    Samples are only added while the store has no sources of the user's own (from the CLI).
    """
    for src in config.sources:
        url = src.url if source_kind(src.url) != "file" else str(config.resolve(src.url))
        sources.upsert_source(db, url, kind=source_kind(src.url), every_s=parse_duration(src.every),
                              full_text=src.full_text, title=src.title or None, now=now)
    if config.sources or any(s["kind"] != "sample" for s in sources.list_sources(db)):
        return
    for url in SAMPLE_SOURCES:
        sources.upsert_source(db, url, kind="sample", every_s=SAMPLE_EVERY_S, full_text=False,
                              title=f"sample: {url.removeprefix('sample:')}", now=now)


class Runtime:
    """All long-running parts of diplobot in one process."""

    def __init__(self, config: Config, clock: Clock | None = None, *, console: bool | None = None,
                 stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        people.use_aliases_file(config.resolve(config.people.aliases) if config.people.aliases else None)
        self.store = Store(config.resolve(config.store.path))
        self.metrics = Metrics()
        self.dispatcher = Dispatcher(self.store, config, self.clock,
                                     on_handled=lambda p: self.metrics.commands.labels(p).inc())
        self.fetcher = make_fetcher(config)
        self.stopped = asyncio.Event()
        self.platforms: list[Any] = []
        self.workers: list[OutboxWorker] = []
        self._want_console = console
        self._console_io = (stdin, stdout)
        self.jobs = Jobs(self.store, self.fetcher, config, self.clock, on_alerts=self.wake_workers,
                         on_ingested=self.metrics.ingested.inc)
        self.scheduler = build_scheduler(self.jobs, config.timezone)
        self.ops = OpsServer(config.ops.listen, self.store, self.metrics, self.health) if config.ops.listen else None

    def _build_platforms(self) -> list[Any]:
        platforms: list[Any] = []
        if self.config.telegram.enabled:
            from diplobot.platforms.telegram import TelegramPlatform

            platforms.append(TelegramPlatform(self.config, self.dispatcher))
        if self.config.slack.enabled:
            from diplobot.platforms.slack import SlackPlatform

            platforms.append(SlackPlatform(self.config, self.dispatcher))
        want_console = self._want_console
        if want_console is None:
            want_console = self.config.console.enabled or not platforms
        if want_console:
            stdin, stdout = self._console_io
            platforms.append(ConsolePlatform(self.dispatcher, self.config.console.chat,
                                             stdin=stdin, stdout=stdout, on_eof=self.stopped.set))
        return platforms

    async def start(self) -> None:
        await self.store.open()
        await self.store.run(sync_config_sources, self.config, iso(self.clock.now()))
        self.platforms = self._build_platforms()
        for platform in self.platforms:
            await platform.start()
            log.info("%s platform started", platform.platform)
            self.jobs.messengers[platform.platform] = platform
            latency = self.metrics.delivery_latency.labels(platform.platform)
            worker = OutboxWorker(self.store, platform, self.config, self.clock, on_sent=latency.observe)
            worker.start()
            self.workers.append(worker)
        self.scheduler.start()
        if self.ops:
            await self.ops.start()
        log.info("running with %s; database %s", ", ".join(p.platform for p in self.platforms) or "no platform",
                 self.store.path)

    def health(self) -> dict[str, bool]:
        checks = {"scheduler": self.scheduler.running}
        for platform in self.platforms:
            checks[platform.platform] = bool(getattr(platform, "connected", True))
        return checks

    def wake_workers(self) -> None:
        for worker in self.workers:
            worker.wake()

    async def stop(self) -> None:
        if self.ops:
            await self.ops.stop()
        if self.scheduler.running:
            self.scheduler.pause()
            await self.jobs.drain(timeout=STOP_JOBS_S)
            self.scheduler.shutdown(wait=False)
        for worker in self.workers:  # before the platforms, so no send is cut off mid-flight
            await worker.stop()
        for platform in reversed(self.platforms):
            try:
                await platform.stop()
            except Exception:
                log.exception("%s platform did not stop cleanly", platform.platform)
        await self.fetcher.aclose()
        await self.store.close()

    async def run_until_stopped(self) -> None:
        """Start, wait for SIGINT/SIGTERM (or the console's end of input), then stop."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopped.set)
        await self.start()
        try:
            await self.stopped.wait()
        finally:
            log.info("stopping")
            await self.stop()
