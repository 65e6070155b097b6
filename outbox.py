"""The outbox worker: delivers pending alerts through one platform, paced and retried.

Each chat has its own queue and pace (Telegram: 1/s in private chats, 20/min in groups), all
chats share the platform's total pace less a share kept for interactive replies (`REPLY_SHARE`),
and a 429 holds back only the chat it was about. Every
alert ends as sent or, after the last attempt, failed with its reason: never silently dropped.

Crash safety. An alert is marked sent only after the platform accepted it, so a crash can never
lose one; the price is that a message accepted but not yet recorded when the process dies is sent
again after the restart. To keep that to at most one message per crash, the send-and-record step
is exclusive (`SendGate`): one alert at a time is "sent but not recorded", and its record is
shielded from cancellation at shutdown. Chats still wait for their own pace concurrently. The
exclusive step bounds the rate at 1 / (API round trip + commit): fine against Telegram's 30/s from
a nearby host (tests/test_crash.py, bench/load.py). A send that hangs longer than `patience_s`
stops holding the other chats back (it is most likely lost, not delivered).

Stopping: `stop()` lets each chat finish the send in hand, starts no new one, and after the grace
time cancels what still hangs; those alerts stay pending for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlite_utils import Database

from diplobot.clock import Clock, from_iso, iso
from diplobot.config import Config
from diplobot.handlers.alerts import alert_reply, folded_reply
from diplobot.handlers.reply import Reply, reply_from_json
from diplobot.platforms.base import DeliveryError, Messenger
from diplobot.store import alerts, digests
from diplobot.store.articles import get_article, story_outlets
from diplobot.store.chats import get_chat, move_chat, set_inactive
from diplobot.store.worker import Store

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 3600
SEND_PATIENCE_S = 5.0
# Alerts use at most this much less than the platform's total rate, so that interactive replies,
# which are sent at once and never queued, do not push the bot over the platform's limit (a reply
# answered with 429 would simply be lost): 27 alerts/s under Telegram's 30/s.
REPLY_SHARE = 0.1
# The loop looks for more due alerts only while fewer chats than this are being served: enough to
# keep the total pace busy (100 chats at 1/s, or 100 groups at 20/min, exceed 30/s), and with a large
# backlog the outbox query costs a few tenths of a second of the database thread that commands share.
BUSY_CHATS = 100
T = TypeVar("T")


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

    def sent_at(self, when: float) -> None:
        """A send started at `when` (maybe later than its slot): the next one waits a full interval."""
        self._next = max(self._next, when + self.interval)


class SendGate:
    """At most one send whose outcome is not yet recorded, so that a crash repeats at most one message.

    Use `async with gate.turn() as turn:`, and `await turn.send(coro)` inside; a send that takes
    longer than `patience_s` gives up the turn early so that a hung request delays others only that long.
    """

    def __init__(self, patience_s: float) -> None:
        self.patience_s = patience_s
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[_Turn]:
        await self._lock.acquire()
        turn = _Turn(self._lock, self.patience_s)
        try:
            yield turn
        finally:
            turn.release()


class _Turn:
    def __init__(self, lock: asyncio.Lock, patience_s: float) -> None:
        self._lock = lock
        self._patience_s = patience_s
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()

    async def send(self, request: Awaitable[T]) -> T:
        timer = asyncio.get_running_loop().call_later(self._patience_s, self._give_up)
        try:
            return await request
        finally:
            timer.cancel()

    def _give_up(self) -> None:
        if self._held:
            log.warning("a send is taking over %g s; other chats go ahead", self._patience_s)
            self.release()


def mark_all_sent(db: Database, alert_ids: list[int], *, message_id: str, now: str) -> None:
    """Alerts that went out as one message are recorded together (one transaction)."""
    with db.atomic():
        for alert_id in alert_ids:
            alerts.mark_sent(db, alert_id, message_id=message_id, now=now)


class OutboxWorker:
    """Delivers due alerts of one platform; one task per chat with alerts due."""

    def __init__(
        self,
        store: Store,
        messenger: Messenger,
        config: Config,
        clock: Clock | None = None,
        *,
        batch: int = 500,
        on_sent: Callable[[float], None] = lambda latency_s: None,
        patience_s: float = SEND_PATIENCE_S,
        busy_chats: int = BUSY_CHATS,
    ) -> None:
        self.store = store
        self.messenger = messenger
        self.config = config
        self.clock = clock or Clock()
        self.batch = batch
        self.on_sent = on_sent
        self.busy_chats = busy_chats
        total = messenger.total_pace()
        self._total = Pacer(total.per_s / total.count / (1 - REPLY_SHARE))
        self._chat_pacers: dict[str, Pacer] = {}
        self._chat_tasks: dict[str, asyncio.Task[int]] = {}
        self._gate = SendGate(patience_s)
        self._stopping = False
        self._sending: set[str] = set()  # chats with a send (or its record) in progress
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self.sent = 0

    async def dispatch(self, *, newest_only: bool = False, max_chats: int | None = None) -> list[asyncio.Task[int]]:
        """Start a delivery task for every chat that has due alerts or digests and none running (for at most
        `max_chats` of them, in the outbox's order: digests, then the newest news first).

        `newest_only`: look only at the newest alerts (a cheap query), for when many chats are being served
        already and a full look can wait: a breaking story still goes out within a few seconds. Chats being
        served take turns at the platform's total pace, so each one more delays a newcomer's first alert by
        a slot: the loop keeps them near `busy_chats`.
        """
        now = iso(self.clock.now())
        busy = tuple(self._chat_tasks)
        if newest_only:
            due = await self.store.run(alerts.newest_due_alerts, self.messenger.platform, now, exclude=busy)
            due_digests: list[dict[str, Any]] = []
        else:
            due = await self.store.run(alerts.due_alerts, self.messenger.platform, now, self.batch, exclude=busy)
            due_digests = await self.store.run(digests.due_digests, self.messenger.platform, now, exclude=busy)
        by_chat: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        for digest in due_digests:
            by_chat.setdefault(digest["chat_id"], ([], []))[1].append(digest)
        for alert in due:
            by_chat.setdefault(alert["chat_id"], ([], []))[0].append(alert)
        started = []
        for chat_id, (chat_alerts, chat_digests) in list(by_chat.items())[:max_chats]:
            task = asyncio.create_task(self._deliver_chat(chat_id, chat_alerts, chat_digests))
            self._chat_tasks[chat_id] = task
            task.add_done_callback(functools.partial(self._chat_done, chat_id))
            started.append(task)
        return started

    def _chat_done(self, chat_id: str, _task: asyncio.Task[int]) -> None:
        self._chat_tasks.pop(chat_id, None)

    async def run_once(self) -> int:
        """Deliver everything due now and wait for it; returns how many alerts were sent."""
        tasks = await self.dispatch()
        sent = sum(await asyncio.gather(*tasks)) if tasks else 0
        await self.apply_edits()
        return sent

    async def _deliver_chat(
        self, chat_id: str, chat_alerts: list[dict[str, Any]], chat_digests: list[dict[str, Any]]
    ) -> int:
        pace = self.messenger.pace((chat_alerts or chat_digests)[0]["chat_kind"])
        pacer = self._chat_pacers.setdefault(chat_id, Pacer(pace.per_s / pace.count))
        sent = 0
        for digest in chat_digests:
            await pacer.wait()
            outcome = "stop" if self._stopping else await self._send_digest(chat_id, digest, pacer)
            if outcome == "stop":
                return sent
            sent += outcome == "sent"
        held = [a for a in chat_alerts if a["held"]]
        if len(held) > 1:
            chat_alerts = [a for a in chat_alerts if not a["held"]]
            sent += await self._send_folded(chat_id, held, pacer)
        for alert in chat_alerts:
            await pacer.wait()
            if self._stopping:
                break  # stopping: the rest stays pending for the next start
            outcome = await self._send(chat_id, alert, pacer)
            if outcome == "stop":
                break
            sent += outcome == "sent"
        self.sent += sent
        return sent

    async def _send_folded(self, chat_id: str, held: list[dict[str, Any]], pacer: Pacer) -> int:
        """Alerts held by quiet hours go out as one message; all of them share its outcome."""
        await pacer.wait()
        if self._stopping:
            return 0
        native = chat_id.split(":", 1)[1]
        async with self._gate.turn() as turn, self._in_send(chat_id):
            reply = await self.store.run(render_folded, held, self.config.timezone)
            try:
                message_id = await self._send_paced(turn, native, reply, pacer)
            except DeliveryError as exc:
                failure = exc
            else:
                await self._record(
                    mark_all_sent, [a["id"] for a in held], message_id=str(message_id), now=iso(self.clock.now())
                )
                return len(held)
        for alert in held:
            if not await self._record_failure(chat_id, alert, failure):
                break
        return 0

    async def _send_paced(self, turn: _Turn, native_chat_id: str, reply: Reply, pacer: Pacer) -> str:
        """Wait for the platform-wide slot and send, in this worker's send turn. Raises DeliveryError
        (also for an unexpected exception, so that a bug is retried and finally marked failed, not
        retried forever)."""
        await self._total.wait()
        pacer.sent_at(time.monotonic())
        try:
            return await turn.send(self.messenger.send(native_chat_id, reply))
        except DeliveryError:
            raise
        except Exception as exc:
            log.exception("sending to %s:%s failed unexpectedly", self.messenger.platform, native_chat_id)
            raise DeliveryError(f"unexpected error: {type(exc).__name__}") from None

    @contextlib.asynccontextmanager
    async def _in_send(self, chat_id: str) -> AsyncIterator[None]:
        self._sending.add(chat_id)
        try:
            yield
        finally:
            self._sending.discard(chat_id)

    async def _record(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Commit a send's outcome even when the worker is being cancelled (stop after the grace time):
        an abandoned record would turn into a repeated message after the restart."""
        await asyncio.shield(self.store.run(fn, *args, **kwargs))

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

    async def _send(self, chat_id: str, alert: dict[str, Any], pacer: Pacer) -> str:
        """Render, send and record one alert: "sent", "next" (failed, or retried later: go on with the
        chat's next alert) or "stop" (the chat must wait or is gone).

        Rendering happens in the send turn, so the outbox keeps at most one database call queued at
        a time and a command's database work never waits behind a backlog of renders.
        """
        native = chat_id.split(":", 1)[1]
        async with self._gate.turn() as turn, self._in_send(chat_id):
            reply = await self.store.run(render_alert, alert, self.config.timezone)
            if reply is None:
                await self.store.run(alerts.mark_failed, alert["id"], error="article or chat was deleted")
                return "next"
            try:
                message_id = await self._send_paced(turn, native, reply, pacer)
            except DeliveryError as exc:
                failure = exc
            else:
                now = self.clock.now()
                await self._record(alerts.mark_sent, alert["id"], message_id=str(message_id), now=iso(now))
                self.on_sent((now - from_iso(alert["created_at"])).total_seconds())
                return "sent"
        return "next" if await self._record_failure(chat_id, alert, failure) else "stop"

    async def _send_digest(self, chat_id: str, digest: dict[str, Any], pacer: Pacer) -> str:
        """Send one built digest: "sent", "next" or "stop", as `_send` does for an alert."""
        native = chat_id.split(":", 1)[1]
        async with self._gate.turn() as turn, self._in_send(chat_id):
            try:
                message_id = await self._send_paced(turn, native, reply_from_json(digest["reply"]), pacer)
            except DeliveryError as exc:
                failure = exc
            else:
                await self._record(
                    digests.finish_digest, digest["id"], now=iso(self.clock.now()), message_id=str(message_id)
                )
                return "sent"
        if await self._chat_must_wait(chat_id, failure):
            return "stop"
        attempts = digest["attempts"] + 1
        if attempts >= self.config.delivery.max_attempts:
            log.error("digest %s to %s failed for good: %s", digest["id"], chat_id, failure.reason)
            await self.store.run(digests.finish_digest, digest["id"], now=iso(self.clock.now()), error=failure.reason)
        else:
            retry_at = iso(self.clock.now() + timedelta(seconds=backoff_s(attempts)))
            await self.store.run(digests.retry_digest, digest["id"], error=failure.reason, next_attempt_at=retry_at)
        return "next"

    async def _chat_must_wait(self, chat_id: str, exc: DeliveryError) -> bool:
        """Handle what a failure says about the whole chat (moved, gone, rate-limited); True if it did."""
        now = self.clock.now()
        if exc.moved_to:
            new_id = await self.store.run(move_chat, chat_id, exc.moved_to)
            log.info("chat %s moved to %s; its topics and alerts moved with it", chat_id, new_id)
            self.wake()
            return True
        if exc.chat_gone:
            log.warning("chat %s is gone (%s); marked inactive", chat_id, exc.reason)
            await self.store.run(set_inactive, chat_id, exc.reason)
            return True
        if exc.retry_after is not None:
            until = iso(now + timedelta(seconds=exc.retry_after))
            if exc.retry_after:
                log.info("chat %s rate-limited for %.0fs", chat_id, exc.retry_after)
            await self.store.run(alerts.delay_chat, chat_id, until)
            return True
        return False

    async def _record_failure(self, chat_id: str, alert: dict[str, Any], exc: DeliveryError) -> bool:
        now = self.clock.now()
        if await self._chat_must_wait(chat_id, exc):
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
        while not self._stopping:  # also ends the loop when a cancellation gets lost in a racing wake-up
            try:
                # connected is False once the platform is stopping; with enough chats already being
                # served, the (costly, with a big backlog) full outbox query can wait, not the newest alerts
                if self.messenger.connected and len(self._chat_tasks) < self.busy_chats:
                    await self.dispatch(max_chats=self.busy_chats - len(self._chat_tasks))
                    await self.apply_edits()
                elif self.messenger.connected:
                    await self.dispatch(newest_only=True)
            except Exception:
                log.exception("outbox %s: dispatch failed", self.messenger.platform)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.delivery.poll_interval):
                    await self._wake.wait()
            self._wake.clear()

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop dispatching, let each chat finish the send in hand (up to `grace_s`), start no new one.

        Chats that are only waiting (for their pace, their turn, the database) stop at once; their
        alerts stay pending, untouched, for the next start.
        """
        self._stopping = True
        if self._loop_task:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        tasks = dict(self._chat_tasks)
        for chat_id, task in tasks.items():
            if chat_id not in self._sending:
                task.cancel()
        busy = [task for chat_id, task in tasks.items() if chat_id in self._sending]
        if busy:
            _done, still = await asyncio.wait(busy, timeout=grace_s)
            for task in still:
                task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
