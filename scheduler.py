"""Scheduled jobs: poll sources, enrich and match new articles, build digests into the outbox.

Jobs are plain coroutines on `Jobs`, so tests call them directly with a fixed clock; the
APScheduler wiring below only decides when they run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlite_utils import Database

from diplobot.clock import Clock, iso
from diplobot.config import Config
from diplobot.handlers.digest import DuePeriod, digest_reply, due_period, period_start
from diplobot.handlers.reply import reply_to_json
from diplobot.handlers.trend import digest_chart
from diplobot.ingest.fetch import Fetcher
from diplobot.pipeline import Pipeline
from diplobot.poller import PollResult, poll_due
from diplobot.sandbox import THREADS, Runner
from diplobot.store.chats import chats_with_digest
from diplobot.store.digests import claim_digest, finish_digest, queue_digest
from diplobot.store.retention import prune_old_text
from diplobot.store.worker import Store

log = logging.getLogger(__name__)

POLL_TICK_S = 15
MATCH_TICK_S = 2
DIGEST_TICK_S = 30
RETENTION_EVERY_H = 24
RETENTION_FIRST_S = 600  # after start-up, so a bot restarted more often than daily still prunes


class Jobs:
    """What the scheduler runs, on the batch store (commands use another connection: store/worker.py).

    `on_alerts` nudges the outbox workers when alerts or digests were queued. Untrusted parsing and the
    enrichment stage run with `runner`/the pipeline's sandbox: worker processes that limits can stop.
    """

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        config: Config,
        clock: Clock,
        *,
        pipeline: Pipeline | None = None,
        runner: Runner = THREADS,
        on_alerts: Callable[[], None] = lambda: None,
        on_ingested: Callable[[int], None] = lambda n: None,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.config = config
        self.clock = clock
        self.pipeline = pipeline or Pipeline(store, clock=clock)
        self.runner = runner
        self.on_alerts = on_alerts
        self.on_ingested = on_ingested
        self.platforms: set[str] = set()  # platforms that deliver in this process: digests are built for them
        self._in_flight: set[asyncio.Task[Any]] = set()

    def tracked(self, job: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
        """The job as the scheduler runs it: known to `drain`, quiet when shutdown interrupts it, and a no-op while
        its previous run is still busy (matching a backlog outlasts many ticks: that is expected, not worth the
        warning APScheduler logs for each tick it skips, hence `max_instances=2` below)."""
        running: set[asyncio.Task[Any]] = set()

        async def run() -> Any:
            if running:
                log.debug("%s: still busy with its previous run", job.__name__)
                return None
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            running.add(task)
            try:
                return await job()
            except asyncio.CancelledError:
                log.info("%s interrupted by shutdown; the next start picks its work up", job.__name__)
                return None
            finally:
                self._in_flight.discard(task)
                running.discard(task)

        run.__name__ = job.__name__
        run.__qualname__ = getattr(job, "__qualname__", job.__name__)
        return run

    async def drain(self, timeout: float) -> None:
        """Let running jobs finish (each database step is one transaction), cancelling any still busy."""
        if not self._in_flight:
            return
        _done, busy = await asyncio.wait(set(self._in_flight), timeout=timeout)
        for task in busy:
            task.cancel()
        if busy:
            await asyncio.wait(busy, timeout=1.0)

    async def poll(self) -> list[PollResult]:
        """Poll the due sources and store what they bring; the match job (every few seconds) takes it from there,
        so a long enrichment of a backlog never holds up the next poll."""
        results = await poll_due(self.store, self.fetcher, self.config.ingest, self.clock.now(), runner=self.runner)
        for result in results:
            if result.counts and result.counts.new:
                log.info("ingested %s", result.line())
                self.on_ingested(result.counts.new)
        return results

    async def digests(self) -> int:
        """Build every digest that is due now (or missed less than `catch_up_hours` ago) into the outbox."""
        now = self.clock.now()
        queued = 0
        for chat in await self.store.run(chats_with_digest):
            period = due_period(chat, now, self.config.timezone, self.config.digest.catch_up_hours)
            if chat["platform"] in self.platforms and period is not None:
                queued += await self.store.run(self._queue_digest, chat, period, now)
        if queued:
            self.on_alerts()
        return queued

    def _queue_digest(self, db: Database, chat: dict[str, Any], period: DuePeriod, now: datetime) -> int:
        start = period_start(db, chat, period.scheduled)
        digest_id = claim_digest(db, chat["id"], period.key, iso(start), iso(period.scheduled))
        if digest_id is None:
            return 0
        reply = digest_reply(
            db,
            chat,
            start,
            period.scheduled,
            default_tz=self.config.timezone,
            max_items=self.config.digest.max_items_per_topic,
        )
        if reply is None:
            finish_digest(db, digest_id, now=iso(now))
            return 0
        queue_digest(db, digest_id, reply_json=reply_to_json(reply), now=iso(now))
        self._queue_chart(db, chat, period, start, now)
        return 1

    def _queue_chart(
        self, db: Database, chat: dict[str, Any], period: DuePeriod, start: datetime, now: datetime
    ) -> None:
        """Weekly digests, and daily ones with `/settings digest chart on`, are followed by a trend chart of the
        chat's topics, queued as its own outbox message right after the digest (a photo's caption holds 1,024
        characters, a digest more) and claimed like a digest, so it is never sent twice either."""
        if not (chat["digest_weekday"] or chat.get("digest_chart")):
            return
        chart_id = claim_digest(db, chat["id"], f"{period.key}/chart", iso(start), iso(period.scheduled))
        if chart_id is None:
            return
        chart = digest_chart(db, chat, period.scheduled, default_tz=self.config.timezone)
        if chart is None:
            finish_digest(db, chart_id, now=iso(now))
            return
        queue_digest(db, chart_id, reply_json=reply_to_json(chart), now=iso(now))

    async def match(self) -> int:
        created = await self.pipeline.enrich_and_match()
        if created:
            log.info("queued %d alert(s)", created)
            self.on_alerts()
        return created

    async def retention(self) -> int:
        """Remove the text of articles older than `[store] keep_days` and return the space (store/retention.py)."""
        report = await prune_old_text(self.store, self.config.store.keep_days, self.clock.now())
        return report.pruned if report else 0


def build_scheduler(jobs: Jobs, timezone: str) -> AsyncIOScheduler:
    """Source polling every few seconds (each source keeps its own interval) and quick matching ticks,
    which also pick up articles stored by other processes."""
    scheduler = AsyncIOScheduler(
        timezone=timezone,
        job_defaults={
            "coalesce": True,
            "max_instances": 2,  # the second returns at once (Jobs.tracked)
            "misfire_grace_time": 60,
        },
    )
    scheduler.add_job(
        jobs.tracked(jobs.poll), "interval", seconds=POLL_TICK_S, id="poll", next_run_time=jobs.clock.now()
    )
    scheduler.add_job(jobs.tracked(jobs.match), "interval", seconds=MATCH_TICK_S, id="match")
    scheduler.add_job(
        jobs.tracked(jobs.digests), "interval", seconds=DIGEST_TICK_S, id="digests", next_run_time=jobs.clock.now()
    )
    scheduler.add_job(
        jobs.tracked(jobs.retention),
        "interval",
        hours=RETENTION_EVERY_H,
        id="retention",
        next_run_time=jobs.clock.now() + timedelta(seconds=RETENTION_FIRST_S),
    )
    return scheduler
