"""The running bot: one asyncio loop for the platforms, outbox workers and scheduler.

Interactive and batch work never share a queue: commands use one database connection (`store`), delivery
another (`outbox_store`), polling, matching and digests a third (`batch_store`), and untrusted parsing and
the enrichment stage run in sandbox worker processes with CPU, memory and time limits.

`bot.py` builds a `Runtime` from the config; tests build one directly. The runtime owns what the parts share:
the people aliases file, the command registry (in its dispatcher) and the platforms, each a `platforms.base.Platform`.
Start order: stores, sources, platforms, workers, scheduler; stop goes in reverse and lets in-flight sends finish.
A platform the network keeps from starting is retried in the background while the rest runs; one that refuses
for another reason (a rejected token) ends start-up with a `StartupError`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import threading
from typing import Any, TextIO

from diplobot.analysis.aliases import AliasesFile
from diplobot.analysis.lexicon import Lexicon, lexicon_rows, load_lexicon
from diplobot.clock import Clock, iso
from diplobot.config import Config, parse_duration
from diplobot.handlers.access import Access
from diplobot.handlers.dispatcher import Dispatcher, default_commands
from diplobot.handlers.trend import warm as warm_trend
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.samples import SAMPLE_SOURCES
from diplobot.ingest.urls import display_url
from diplobot.ops import Metrics, OpsServer
from diplobot.outbox import OutboxWorker
from diplobot.pipeline import Pipeline
from diplobot.platforms.base import Platform, PlatformUnreachable
from diplobot.platforms.console import ConsolePlatform
from diplobot.poller import source_kind
from diplobot.sandbox import Limits, Sandbox
from diplobot.scheduler import Jobs, build_scheduler
from diplobot.store import lexicon as topic_lexicon
from diplobot.store import sources
from diplobot.store.worker import Store

log = logging.getLogger(__name__)

SAMPLE_EVERY_S = 30
STOP_JOBS_S = 5.0  # running jobs get this long to finish on SIGTERM ...
EXIT_WITHIN_S = 9.0  # ... and the whole stop this long, whatever hangs
RETRY_FIRST_S = 1.0  # a platform the network kept from starting is tried again after about this long,
RETRY_MAX_S = 300.0  # doubling each time up to this


class StartupError(RuntimeError):
    """A platform refused to start for a reason in the config (a rejected token, a missing setting).

    Its message is one line fit for the user, naming the platform; `diplobot run` prints it and exits with 2.
    """


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt` (1, 2, ...): doubling from RETRY_FIRST_S up to RETRY_MAX_S,
    less a random quarter so that bots restarted together do not knock in step."""
    return min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** min(attempt - 1, 30)) * random.uniform(0.75, 1.0)


def make_sandbox(config: Config) -> Sandbox:
    workers = config.workers
    return Sandbox(
        Limits(cpu_s=workers.cpu_seconds, memory_mb=workers.memory_mb, timeout_s=workers.timeout),
        processes=workers.processes,
        log_format=config.ops.log_format,
        log_level=max(config.ops.log_level, "WARNING", key=logging.getLevelName),
    )


def make_aliases(config: Config) -> AliasesFile:
    """The aliases file the config names (or none). Raises AliasError when it cannot be read or is invalid."""
    return AliasesFile(config.resolve(config.people.aliases) if config.people.aliases else None)


def make_fetcher(config: Config) -> Fetcher:
    return Fetcher(
        max_bytes=config.ingest.max_bytes,
        timeout=config.ingest.timeout,
        allow_private=config.ingest.allow_private_hosts,
    )


def sync_config_sources(db: Any, config: Config, now: str) -> None:
    """Make the store's config-defined sources those of the config; with none there, the bundled samples.

    A source removed from the config stops being polled (its articles stay); sources added from the command
    line are kept, and while there is one the samples are not polled either.
    """
    wanted = []
    for src in config.sources:
        url = src.url if source_kind(src.url) != "file" else str(config.resolve(src.url))
        sources.upsert_source(
            db,
            url,
            kind=source_kind(src.url),
            every_s=parse_duration(src.every),
            full_text=src.full_text,
            title=src.title or None,
            now=now,
            origin="config",
        )
        wanted.append(url)
    if not wanted and not any(s["origin"] == "cli" for s in sources.list_sources(db)):
        for url in SAMPLE_SOURCES:
            sources.upsert_source(
                db,
                url,
                kind="sample",
                every_s=SAMPLE_EVERY_S,
                full_text=False,
                title=f"sample: {url.removeprefix('sample:')}",
                now=now,
                origin="sample",
            )
            wanted.append(url)
    for url in sources.remove_unlisted(db, wanted, origins=("config", "sample")):
        log.info("source %s is no longer in the config: not polled any more (its articles stay)", display_url(url))
    topic_lexicon.replace_lexicon(db, lexicon_rows(make_lexicon(config)))


def make_lexicon(config: Config) -> Lexicon:
    """The config's own lexicon file (`[topics] lexicon`) as read now; empty without one. Raises LexiconError."""
    return load_lexicon(config.resolve(config.topics.lexicon)) if config.topics.lexicon else Lexicon()


OPEN_WARNINGS = {
    "telegram": "telegram: anyone who finds this bot can use it; set [telegram] allowed_users to restrict",
    "slack": "slack: anyone in the workspace can use this bot; set [slack] allowed_users or allowed_channels "
    "to restrict",
}


def warn_if_open(access: Access, platforms: list[str]) -> None:
    """One warning line per chat platform that anyone may use: a new install is open until its owner says who."""
    for platform in platforms:
        if platform in OPEN_WARNINGS and access.is_open(platform):
            log.warning(OPEN_WARNINGS[platform])


class Runtime:
    """All long-running parts of diplobot in one process."""

    def __init__(
        self,
        config: Config,
        clock: Clock | None = None,
        *,
        console: bool | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        aliases: AliasesFile | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.aliases = aliases if aliases is not None else make_aliases(config)
        self.store = Store(config.resolve(config.store.path))
        self.outbox_store = Store(config.resolve(config.store.path))
        self.batch_store = Store(config.resolve(config.store.path))
        self.sandbox = make_sandbox(config)
        self.metrics = Metrics()
        self.dispatcher = Dispatcher(
            self.store,
            config,
            self.clock,
            on_handled=lambda p: self.metrics.commands.labels(p).inc(),
            commands=default_commands(),
            aliases=self.aliases,
        )
        self.fetcher = make_fetcher(config)
        self.stopped = asyncio.Event()
        self.platforms: list[Platform] = []
        self.workers: list[OutboxWorker] = []
        self.failure: StartupError | None = None  # a platform refused to start after its network came back
        self._retries: set[asyncio.Task[None]] = set()
        self._want_console = console
        self._console_io = (stdin, stdout)
        pipeline = Pipeline(self.batch_store, self.sandbox, aliases=self.aliases, clock=self.clock)
        self.jobs = Jobs(
            self.batch_store,
            self.fetcher,
            config,
            self.clock,
            pipeline=pipeline,
            runner=self.sandbox,
            on_alerts=self.wake_workers,
            on_ingested=self.metrics.ingested.inc,
        )
        self.scheduler = build_scheduler(self.jobs, config.timezone)
        self.ops = OpsServer(config.ops.listen, self.store, self.metrics, self.health) if config.ops.listen else None

    def _build_platforms(self) -> list[Platform]:
        platforms: list[Platform] = []
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
            platforms.append(
                ConsolePlatform(
                    self.dispatcher, self.config.console.chat, stdin=stdin, stdout=stdout, on_eof=self.stopped.set
                )
            )
        return platforms

    async def start(self) -> None:
        await self.store.open()
        await self.outbox_store.open()
        await self.batch_store.open()
        await asyncio.gather(self.sandbox.warm(), self.store.run(warm_trend))  # side by side (first /trend fast)
        await self.store.run(sync_config_sources, self.config, iso(self.clock.now()))
        self.platforms = self._build_platforms()
        warn_if_open(self.dispatcher.access, [p.platform for p in self.platforms])
        for platform in self.platforms:
            wait = await self._start_once(platform, attempt=1)
            self.jobs.platforms.add(platform.platform)  # alerts queue up for it even while it is unreachable
            latency = self.metrics.delivery_latency.labels(platform.platform)
            worker = OutboxWorker(self.outbox_store, platform, self.config, self.clock, on_sent=latency.observe)
            worker.start()
            self.workers.append(worker)
            if wait is not None:
                task = asyncio.create_task(
                    self._keep_starting(platform, worker, wait), name=f"start-{platform.platform}"
                )
                self._retries.add(task)
                task.add_done_callback(self._retries.discard)
        self.scheduler.start()
        if self.ops:
            await self.ops.start()
        log.info(
            "running with %s; database %s",
            ", ".join(p.platform for p in self.platforms) or "no platform",
            self.store.path,
        )

    async def _start_once(self, platform: Platform, attempt: int) -> float | None:
        """Start `platform`: None once it runs, else the seconds until the next attempt (said in one log line).

        Only a network reason is worth waiting out; any other refusal raises StartupError.
        """
        try:
            await platform.start()
        except PlatformUnreachable as exc:
            wait = retry_delay(attempt)
            log.warning(
                "%s is not connected (attempt %d): %s; trying again in %.1f s", platform.platform, attempt, exc, wait
            )
            return wait
        except RuntimeError as exc:
            raise StartupError(f"{platform.platform}: {exc}") from None
        log.info("%s platform started (%s)", platform.platform, platform.capabilities.describe())
        return None

    async def _keep_starting(self, platform: Platform, worker: OutboxWorker, wait: float) -> None:
        """Retry a platform in the background until it connects, while everything else runs; its worker then
        delivers what queued up. A refusal that is not about the network stops the bot (`failure`)."""
        attempt = 1
        next_wait: float | None = wait
        while next_wait is not None:
            await asyncio.sleep(next_wait)
            attempt += 1
            try:
                next_wait = await self._start_once(platform, attempt)
            except StartupError as exc:
                self.failure = exc
                self.stopped.set()
                return
        worker.wake()

    def health(self) -> dict[str, bool]:
        checks = {"scheduler": self.scheduler.running}
        for platform in self.platforms:
            checks[platform.platform] = platform.connected
        return checks

    def wake_workers(self) -> None:
        for worker in self.workers:
            worker.wake()

    async def stop(self) -> None:
        for task in list(self._retries):  # a platform waiting to retry stops at once
            task.cancel()
        await asyncio.gather(*self._retries, return_exceptions=True)
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
        await asyncio.to_thread(self.sandbox.close)
        await self.batch_store.close()
        await self.outbox_store.close()
        await self.store.close()

    async def run_until_stopped(self) -> None:
        """Start, wait for SIGINT/SIGTERM (or the console's end of input), then stop.

        A signal during start-up stops at once; the stop itself is bounded by a watchdog (`EXIT_WITHIN_S`), and
        a second signal ends the process immediately. Nothing is lost either way: unfinished work stays in the
        database for the next start.
        """
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            for sig in (signal.SIGINT, signal.SIGTERM):  # the next one acts at once, even if the loop is busy
                loop.remove_signal_handler(sig)
                signal.signal(sig, _exit_at_second_signal)
            self.stopped.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        starting = asyncio.create_task(self.start())
        stop_wait = asyncio.create_task(self.stopped.wait())
        try:
            await asyncio.wait({starting, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            if starting.done():
                starting.result()  # a start-up failure propagates
                await stop_wait
            else:
                starting.cancel()
                await asyncio.gather(starting, return_exceptions=True)
        finally:
            stop_wait.cancel()
            log.info("stopping")
            watchdog = threading.Timer(EXIT_WITHIN_S, _exit_now)
            watchdog.daemon = True
            watchdog.start()
            await self.stop()
            watchdog.cancel()
        if self.failure is not None:
            raise self.failure


def _exit_at_second_signal(_signum: int, _frame: object) -> None:
    os.write(2, b"second stop signal: exiting now\n")  # no logging in a signal handler: it may hold the lock
    os._exit(1)


def _exit_now() -> None:
    log.error("stopping took longer than %g s; exiting now (unfinished work resumes at the next start)", EXIT_WITHIN_S)
    logging.shutdown()
    os._exit(1)
