"""The outbox worker: delivers pending alerts through one platform, paced and retried.

Each chat has its own queue and pace (Telegram: 1/s in private chats, 20/min in groups), all
chats share the platform's total pace, and a 429 holds back only the chat it was about. Every
alert ends as sent or, after the last attempt, failed with its reason: never silently dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from diplobot.clock import Clock, from_iso, iso
from diplobot.config import Config
from diplobot.handlers.alerts import alert_reply, folded_reply
from diplobot.handlers.reply import Reply
from diplobot.platforms.base import DeliveryError, Messenger
from diplobot.store import alerts
from diplobot.store.articles import get_article, story_outlets
from diplobot.store.chats import get_chat, set_inactive
from diplobot.store.worker import Store

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 3600


def backoff_s(attempts: int) -> float:
    """5 s, 10 s, 20 s ... capped at an hour."""
    return min(5 * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S)


def render_alert(db: Database, alert: dict[str, Any], default_tz: str) -> Reply | None:
    """The alert card, with the story's other outlets counted at the time of rendering."""
    article = get_article(db, alert["article_id"])
    chat = get_chat(db, alert["chat_id"])
    if article is None or chat is None:
        return None
    outlets = story_outlets(db, {alert["story_id"]}).get(alert["story_id"], 1)
    return alert_reply(article, alert["topics"], chat["timezone"] or default_tz, also_reported=outlets - 1)


def render_folded(db: Database, held: list[dict[str, Any]], default_tz: str) -> Reply:
    chat = get_chat(db, held[0]["chat_id"])
    items = [(get_article(db, a["article_id"]), a["topics"]) for a in held]
    tz = (chat or {}).get("timezone") or default_tz
    return folded_reply([(article, topics) for article, topics in items if article], tz)


class Pacer:
    """Hands out send slots no closer than `interval` seconds apart."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


class OutboxWorker:
    """Delivers due alerts of one platform; one task per chat with alerts due."""

    def __init__(self, store: Store, messenger: Messenger, config: Config, clock: Clock | None = None, *,
                 batch: int = 500, on_sent: Callable[[float], None] = lambda latency_s: None) -> None:
        self.store = store
        self.messenger = messenger
        self.config = config
        self.clock = clock or Clock()
        self.batch = batch
        self.on_sent = on_sent
        total = messenger.total_pace()
        self._total = Pacer(total.per_s / total.count)
        self._chat_pacers: dict[str, Pacer] = {}
        self._chat_tasks: dict[str, asyncio.Task[int]] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self.sent = 0

    async def dispatch(self) -> list[asyncio.Task[int]]:
        """Start a delivery task for every chat that has due alerts and none running."""
        now = iso(self.clock.now())
        due = await self.store.run(alerts.due_alerts, self.messenger.platform, now, self.batch,
                                   exclude=tuple(self._chat_tasks))
        by_chat: dict[str, list[dict[str, Any]]] = {}
        for alert in due:
            by_chat.setdefault(alert["chat_id"], []).append(alert)
        started = []
        for chat_id, chat_alerts in by_chat.items():
            task = asyncio.create_task(self._deliver_chat(chat_id, chat_alerts))
            self._chat_tasks[chat_id] = task
            task.add_done_callback(lambda _t, c=chat_id: self._chat_tasks.pop(c, None))
            started.append(task)
        return started

    async def run_once(self) -> int:
        """Deliver everything due now and wait for it; returns how many alerts were sent."""
        tasks = await self.dispatch()
        sent = sum(await asyncio.gather(*tasks)) if tasks else 0
        await self.apply_edits()
        return sent

    async def _deliver_chat(self, chat_id: str, chat_alerts: list[dict[str, Any]]) -> int:
        pace = self.messenger.pace(chat_alerts[0]["chat_kind"])
        pacer = self._chat_pacers.setdefault(chat_id, Pacer(pace.per_s / pace.count))
        sent = 0
        held = [a for a in chat_alerts if a["held"]]
        if len(held) > 1:
            chat_alerts = [a for a in chat_alerts if not a["held"]]
            sent += await self._send_folded(chat_id, held, pacer)
        for alert in chat_alerts:
            reply = await self.store.run(render_alert, alert, self.config.timezone)
            if reply is None:
                await self.store.run(alerts.mark_failed, alert["id"], error="article or chat was deleted")
                continue
            await pacer.wait()
            await self._total.wait()
            if not await self._send(chat_id, alert, reply):
                break
            sent += 1
        self.sent += sent
        return sent

    async def _send_folded(self, chat_id: str, held: list[dict[str, Any]], pacer: Pacer) -> int:
        """Alerts held by quiet hours go out as one message; all of them share its outcome."""
        reply = await self.store.run(render_folded, held, self.config.timezone)
        await pacer.wait()
        await self._total.wait()
        native = chat_id.split(":", 1)[1]
        try:
            message_id = await self.messenger.send(native, reply)
        except DeliveryError as exc:
            for alert in held:
                if not await self._record_failure(chat_id, alert, exc):
                    break
            return 0
        for alert in held:
            await self.store.run(alerts.mark_sent, alert["id"], message_id=str(message_id),
                                 now=iso(self.clock.now()))
        return len(held)

    async def apply_edits(self) -> int:
        """Edit sent alerts whose story was since reported by more outlets (best effort)."""
        edited = 0
        for alert in await self.store.run(alerts.pending_edits, self.messenger.platform):
            await self.store.run(alerts.clear_edit, alert["id"])
            reply = await self.store.run(render_alert, alert, self.config.timezone)
            if reply is None or not alert["message_id"]:
                continue
            try:
                await self.messenger.edit(alert["chat_id"].split(":", 1)[1], alert["message_id"], reply)
                edited += 1
            except DeliveryError as exc:
                log.info("could not update alert %s: %s", alert["id"], exc.reason)
        return edited

    async def _send(self, chat_id: str, alert: dict[str, Any], reply: Reply) -> bool:
        """Send one alert and record the outcome; False when the chat must wait or is gone."""
        native = chat_id.split(":", 1)[1]
        try:
            message_id = await self.messenger.send(native, reply)
        except DeliveryError as exc:
            return await self._record_failure(chat_id, alert, exc)
        now = self.clock.now()
        await self.store.run(alerts.mark_sent, alert["id"], message_id=str(message_id), now=iso(now))
        self.on_sent((now - from_iso(alert["created_at"])).total_seconds())
        return True

    async def _record_failure(self, chat_id: str, alert: dict[str, Any], exc: DeliveryError) -> bool:
        now = self.clock.now()
        if exc.chat_gone:
            log.warning("chat %s is gone (%s); marked inactive", chat_id, exc.reason)
            await self.store.run(set_inactive, chat_id, exc.reason)
            return False
        if exc.retry_after is not None:
            until = iso(now + timedelta(seconds=exc.retry_after))
            log.info("chat %s rate-limited for %.0fs", chat_id, exc.retry_after)
            await self.store.run(alerts.delay_chat, chat_id, until)
            return False
        attempts = alert["attempts"] + 1
        if attempts >= self.config.delivery.max_attempts:
            log.error("alert %s to %s failed for good: %s", alert["id"], chat_id, exc.reason)
            await self.store.run(alerts.mark_failed, alert["id"], error=exc.reason)
            return True
        retry_at = iso(now + timedelta(seconds=backoff_s(attempts)))
        await self.store.run(alerts.mark_retry, alert["id"], error=exc.reason, next_attempt_at=retry_at)
        return True

    def wake(self) -> None:
        """Look at the outbox now instead of at the next poll interval."""
        self._wake.set()

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name=f"outbox-{self.messenger.platform}")

    async def _loop(self) -> None:
        while True:
            try:
                await self.dispatch()
                await self.apply_edits()
            except Exception:
                log.exception("outbox %s: dispatch failed", self.messenger.platform)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.delivery.poll_interval)
            self._wake.clear()

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop dispatching and let in-flight sends finish (up to `grace_s`)."""
        if self._loop_task:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        pending = list(self._chat_tasks.values())
        if pending:
            _done, still = await asyncio.wait(pending, timeout=grace_s)
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)
