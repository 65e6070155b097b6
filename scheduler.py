"""Scheduled jobs on the bot's one event loop: poll sources, match new articles, send digests.

Jobs are plain coroutines on `Jobs`, so tests call them directly with a fixed clock; the
APScheduler wiring below only decides when they run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from diplobot.clock import Clock
from diplobot.config import Config
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.poll import PollResult, poll_due
from diplobot.pipeline import MatchState, match_pending
from diplobot.store.worker import Store

log = logging.getLogger(__name__)

POLL_TICK_S = 15
MATCH_TICK_S = 2


class Jobs:
    """What the scheduler runs; `on_alerts` nudges the outbox workers when alerts were queued."""

    def __init__(self, store: Store, fetcher: Fetcher, config: Config, clock: Clock,
                 on_alerts: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.fetcher = fetcher
        self.config = config
        self.clock = clock
        self.on_alerts = on_alerts
        self.match_state = MatchState()

    async def poll(self) -> list[PollResult]:
        results = await poll_due(self.store, self.fetcher, self.config.ingest, self.clock.now())
        for result in results:
            if result.counts and result.counts.new:
                log.info("ingested %s", result.line())
        await self.match()
        return results

    async def match(self) -> int:
        created = await self.store.run(match_pending, self.match_state, self.clock.now())
        if created:
            log.info("queued %d alert(s)", created)
            self.on_alerts()
        return created


def build_scheduler(jobs: Jobs, timezone: str) -> AsyncIOScheduler:
    """Source polling every few seconds (each source keeps its own interval) and quick matching ticks,
    which also pick up articles stored by other processes."""
    scheduler = AsyncIOScheduler(timezone=timezone, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 60,
    })
    scheduler.add_job(jobs.poll, "interval", seconds=POLL_TICK_S, id="poll", next_run_time=jobs.clock.now())
    scheduler.add_job(jobs.match, "interval", seconds=MATCH_TICK_S, id="match")
    return scheduler
