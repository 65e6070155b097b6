"""Scheduled jobs on the bot's one event loop: poll sources, match new articles, send digests.

Jobs are plain coroutines on `Jobs`, so tests call them directly with a fixed clock; the
APScheduler wiring below only decides when they run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from diplobot.clock import Clock, iso
from diplobot.config import Config
from diplobot.handlers.digest import DuePeriod, digest_reply, due_period, period_start
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.poll import PollResult, poll_due
from diplobot.pipeline import MatchState, match_pending
from diplobot.platforms.base import DeliveryError, Messenger
from diplobot.store.chats import chats_with_digest, move_chat, set_inactive
from diplobot.store.digests import claim_digest, finish_digest, release_digest
from diplobot.store.worker import Store

log = logging.getLogger(__name__)

POLL_TICK_S = 15
MATCH_TICK_S = 2
DIGEST_TICK_S = 30


class Jobs:
    """What the scheduler runs; `on_alerts` nudges the outbox workers when alerts were queued."""

    def __init__(self, store: Store, fetcher: Fetcher, config: Config, clock: Clock, *,
                 on_alerts: Callable[[], None] = lambda: None,
                 on_ingested: Callable[[int], None] = lambda n: None) -> None:
        self.store = store
        self.fetcher = fetcher
        self.config = config
        self.clock = clock
        self.on_alerts = on_alerts
        self.on_ingested = on_ingested
        self.match_state = MatchState()
        self.messengers: dict[str, Messenger] = {}
        self._in_flight: set[asyncio.Task[Any]] = set()

    def tracked(self, job: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
        """The job as the scheduler runs it: known to `drain`, and quiet when shutdown interrupts it."""

        async def run() -> Any:
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                return await job()
            except asyncio.CancelledError:
                log.info("%s interrupted by shutdown; the next start picks its work up", job.__name__)
                return None
            finally:
                self._in_flight.discard(task)

        run.__name__ = job.__name__
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
        results = await poll_due(self.store, self.fetcher, self.config.ingest, self.clock.now())
        for result in results:
            if result.counts and result.counts.new:
                log.info("ingested %s", result.line())
                self.on_ingested(result.counts.new)
        await self.match()
        return results

    async def digests(self) -> int:
        """Send every digest that is due now (or missed less than `catch_up_hours` ago)."""
        now = self.clock.now()
        sent = 0
        for chat in await self.store.run(chats_with_digest):
            messenger = self.messengers.get(chat["platform"])
            period = due_period(chat, now, self.config.timezone, self.config.digest.catch_up_hours)
            if messenger is None or period is None:
                continue
            sent += await self._send_digest(messenger, chat, period, now)
        return sent

    async def _send_digest(self, messenger: Messenger, chat: dict[str, Any], period: DuePeriod,
                           now: datetime) -> int:
        start = await self.store.run(period_start, chat, period.scheduled)
        digest_id = await self.store.run(claim_digest, chat["id"], period.key, iso(start),
                                         iso(period.scheduled))
        if digest_id is None:
            return 0
        reply = await self.store.run(digest_reply, chat, start, period.scheduled,
                                     default_tz=self.config.timezone,
                                     max_items=self.config.digest.max_items_per_topic)
        if reply is None:
            await self.store.run(finish_digest, digest_id, now=iso(now))
            return 0
        try:
            message_id = await messenger.send(chat["id"].split(":", 1)[1], reply)
        except DeliveryError as exc:
            log.warning("digest for %s not sent: %s", chat["id"], exc.reason)
            if exc.moved_to:  # the digest moves with the chat and goes out there at the next tick
                await self.store.run(move_chat, chat["id"], exc.moved_to)
                await self.store.run(release_digest, digest_id)
            elif exc.chat_gone:
                await self.store.run(set_inactive, chat["id"], exc.reason)
                await self.store.run(finish_digest, digest_id, now=iso(now), error=exc.reason)
            else:
                await self.store.run(release_digest, digest_id)
            return 0
        await self.store.run(finish_digest, digest_id, now=iso(now), message_id=str(message_id))
        return 1

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
    scheduler.add_job(jobs.tracked(jobs.poll), "interval", seconds=POLL_TICK_S, id="poll",
                      next_run_time=jobs.clock.now())
    scheduler.add_job(jobs.tracked(jobs.match), "interval", seconds=MATCH_TICK_S, id="match")
    scheduler.add_job(jobs.tracked(jobs.digests), "interval", seconds=DIGEST_TICK_S, id="digests",
                      next_run_time=jobs.clock.now())
    return scheduler
