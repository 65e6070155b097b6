"""Faults: misbehaving feed servers and a misbehaving Telegram API lose nothing, and are retried within limits.

Feeds (tests/test_fetch.py covers the fetcher's error messages; here is what happens to the source): a real
local HTTP server that is slow, resets the connection, cuts the body short, answers 5xx, 429/503 with
Retry-After, or redirects in a loop. The source records a specific error and a retry time (backoff, or the
server's Retry-After if later), is not polled before then, keeps every article stored earlier, stores
nothing half-read, and recovers on the next successful poll; repeated failures pause it.

Telegram (the real python-telegram-bot against tests/fake_telegram.py): 429, 5xx and hanging requests delay
only the alerts concerned, are retried (429 without spending an attempt), and end as delivered exactly once
or failed with the reason; a command's reply waits out a short 429 and is sent. And interactive commands are
answered within 1 second while a backlog of 1,000 alerts drains at Telegram's published limits, which the
fake server enforces, with some chats hanging, one answering 500 and one 429.
"""

from __future__ import annotations

import asyncio
import re
import socket
import statistics
import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial

import fake_telegram as ft
import pytest
from test_delivery import queue_alerts as delivery_queue_alerts

from diplobot.clock import FixedClock, iso
from diplobot.config import Config, DeliveryConfig, IngestConfig, StoreConfig, TelegramConfig
from diplobot.handlers.dispatcher import Dispatcher
from diplobot.ingest.fetch import Fetcher
from diplobot.outbox import OutboxWorker
from diplobot.platforms.telegram import TelegramPlatform
from diplobot.poller import poll_due
from diplobot.store import alerts, sources
from diplobot.store.worker import Store

T0 = datetime(2025, 9, 4, 10, 0, tzinfo=UTC)
EVERY_S = 600


# ---- a feed server that misbehaves on demand -----------------------------------------------------


def rss(*items: str) -> bytes:
    entries = "".join(
        f"<item><title>Talks round {i}</title><link>https://wire.example/{i}</link><guid>wire-{i}</guid>"
        f"<pubDate>{format_datetime(T0 - timedelta(days=7 * n))}</pubDate>"
        f"<description>Envoys met for round {i} of the talks on security guarantees.</description></item>"
        for n, i in enumerate(items)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{entries}</channel></rss>').encode()


@dataclass
class FeedServer:
    """A raw HTTP/1.1 server on 127.0.0.1; `mode` decides how the next requests are answered."""

    body: bytes = b""
    mode: str = "ok"
    hits: list[str] = field(default_factory=list)

    async def __aenter__(self) -> FeedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._release = asyncio.Event()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        self._server.close()
        await self._server.wait_closed()

    def url(self, path: str = "/feed.xml") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            self.hits.append(path)
            await self._answer(path, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _answer(self, path: str, writer: asyncio.StreamWriter) -> None:
        mode, body = self.mode, self.body

        def send(status: str, headers: dict[str, str], payload: bytes = b"") -> None:
            lines = [f"HTTP/1.1 {status}", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)

        if mode == "ok":
            send("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": str(len(body))}, body)
        elif mode == "slow":  # nothing at all until released (or the client gives up)
            await self._release.wait()
        elif mode == "reset":  # an RST instead of an answer
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        elif mode == "truncated":  # promises the whole feed, sends half, hangs up
            send(
                "200 OK",
                {"Content-Type": "application/rss+xml", "Content-Length": str(len(body))},
                body[: len(body) // 2],
            )
        elif mode == "truncated-chunked":  # chunks without the final zero-length one
            send(
                "200 OK",
                {"Content-Type": "application/rss+xml", "Transfer-Encoding": "chunked"},
                f"{len(body) // 2:x}\r\n".encode() + body[: len(body) // 2] + b"\r\n",
            )
        elif mode == "502":
            send("502 Bad Gateway", {"Content-Length": "11"}, b"bad gateway")
        elif mode == "503-retry-after":
            send("503 Service Unavailable", {"Retry-After": "1800", "Content-Length": "0"})
        elif mode == "429":
            send("429 Too Many Requests", {"Retry-After": "3600", "Content-Length": "0"})
        elif mode == "redirect-loop":
            target = "/elsewhere.xml" if path == "/feed.xml" else "/feed.xml"
            send("302 Found", {"Location": target, "Content-Length": "0"})
        await writer.drain()


@pytest.fixture
async def feed():
    async with FeedServer(body=rss("a1", "a2")) as server:
        yield server


@pytest.fixture
async def fetcher():
    async with Fetcher(timeout=0.5, allow_private=True) as fetcher:
        yield fetcher


INGEST = IngestConfig(timeout=0.5, max_failures=3, allow_private_hosts=True)


async def source_row(store: Store, url: str) -> dict:
    (row,) = [s for s in await store.run(sources.list_sources) if s["url"] == url]
    return row


async def stored(store: Store) -> dict[str, str]:
    rows = await store.run(lambda db: list(db.query("select guid, title, body from articles")))
    return {r["guid"]: f"{r['title']}|{r['body']}" for r in rows}


FAULTS = [  # mode, the error the source records, the earliest retry (seconds after the failure)
    ("slow", r"^timed out: no complete answer from 127\.0\.0\.1 within 0\.5 s$", EVERY_S),
    ("reset", r"^network error talking to 127\.0\.0\.1: (ReadError|RemoteProtocolError): ", EVERY_S),
    (
        "truncated",
        r"^network error talking to 127\.0\.0\.1: RemoteProtocolError: peer closed connection "
        r"without sending complete message body",
        EVERY_S,
    ),
    (
        "truncated-chunked",
        r"^network error talking to 127\.0\.0\.1: RemoteProtocolError: peer closed "
        r"connection without sending complete message body",
        EVERY_S,
    ),
    ("502", r"^HTTP 502 Bad Gateway from http://127\.0\.0\.1:\d+/feed\.xml$", EVERY_S),
    (
        "503-retry-after",
        r"^HTTP 503 Service Unavailable from http://127\.0\.0\.1:\d+/feed\.xml; "
        r"retry after 1800 s$",
        1800,
    ),
    ("429", r"^HTTP 429 Too Many Requests from http://127\.0\.0\.1:\d+/feed\.xml; retry after 3600 s$", 3600),
    (
        "redirect-loop",
        r"^redirect loop: http://127\.0\.0\.1:\d+/feed\.xml -> .*/elsewhere\.xml -> "
        r".*/feed\.xml$",
        EVERY_S,
    ),
]


@pytest.mark.parametrize(("mode", "error", "retry_s"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_a_failing_feed_records_why_keeps_what_was_stored_and_is_retried_later(  # noqa: PLR0917
    store, feed, fetcher, mode, error, retry_s
):
    await store.run(
        sources.upsert_source, feed.url(), kind="feed", every_s=EVERY_S, full_text=False, title=None, now=iso(T0)
    )
    (first,) = await poll_due(store, fetcher, INGEST, T0)
    assert (first.error, first.counts.new) == (None, 2)
    before = await stored(store)

    # the server misbehaves at the next poll, which brings a new item
    feed.mode, feed.body = mode, rss("a3", "a1", "a2")
    failed_at = T0 + timedelta(seconds=EVERY_S * 1.1)
    started = time.monotonic()
    (result,) = await poll_due(store, fetcher, INGEST, failed_at)
    assert time.monotonic() - started < 3  # bounded by the fetch deadline, even for a server that hangs
    assert result.error is not None and not result.paused
    row = await source_row(store, feed.url())
    assert row["last_error"] == result.error
    assert re.match(error, row["last_error"]), row["last_error"]
    assert row["error_count"] == 1 and row["last_ok_at"] == iso(T0)
    assert row["next_poll_at"] >= iso(failed_at + timedelta(seconds=retry_s))
    assert await stored(store) == before  # nothing lost, nothing half-read stored

    # not polled again before its retry time
    hits = len(feed.hits)
    assert await poll_due(store, fetcher, INGEST, failed_at + timedelta(seconds=retry_s - 1)) == []
    assert len(feed.hits) == hits

    # retried later: the server is fine again, and the new item arrives once
    feed.mode = "ok"
    (again,) = await poll_due(store, fetcher, INGEST, failed_at + timedelta(seconds=retry_s * 1.1))
    assert (again.error, again.counts.new, again.counts.duplicates) == (None, 1, 2)
    row = await source_row(store, feed.url())
    assert (row["error_count"], row["last_error"], row["paused"]) == (0, None, 0)
    assert {guid.rsplit("/", 1)[1] for guid in await stored(store)} == {"wire-a1", "wire-a2", "wire-a3"}


async def test_a_feed_failing_again_and_again_backs_off_then_pauses_with_the_reason(store, feed, fetcher):
    await store.run(
        sources.upsert_source, feed.url(), kind="feed", every_s=EVERY_S, full_text=False, title=None, now=iso(T0)
    )
    feed.mode = "502"
    now, waits = T0, []
    for _ in range(INGEST.max_failures):
        (result,) = await poll_due(store, fetcher, INGEST, now)
        row = await source_row(store, feed.url())
        due = datetime.fromisoformat(row["next_poll_at"])
        waits.append((due - now).total_seconds())
        now = due
    assert waits[:2] == [EVERY_S, 2 * EVERY_S]  # doubling backoff
    assert result.paused and row["paused"] == 1
    assert row["paused_reason"] == f"paused after 3 failures in a row: HTTP 502 Bad Gateway from {feed.url()}"
    assert await poll_due(store, fetcher, INGEST, now + timedelta(days=30)) == []  # paused: never polled
    feed.mode = "ok"
    assert await store.run(sources.resume_source, str(row["id"]), iso(now))
    (result,) = await poll_due(store, fetcher, INGEST, now)
    assert result.error is None and result.counts.new == 2


# ---- Telegram answering 429, 5xx or hanging ------------------------------------------------------

ALICE, BOB, CAROL = 7001, 7002, 7003
NOW = iso(T0)


queue_alerts = partial(delivery_queue_alerts, now=NOW)


@pytest.fixture
async def tg():
    async with ft.FakeTelegram() as server:
        yield server


def tg_config(tmp_path, tg, **telegram) -> Config:
    pace = {"per_chat_per_s": 50.0, "per_group_per_min": 3000.0, "total_per_s": 1000.0, **telegram}
    return Config(
        telegram=TelegramConfig(token=tg.token, base_url=tg.base_url, **pace),
        store=StoreConfig(path=str(tmp_path / "t.db")),
        delivery=DeliveryConfig(max_attempts=3, poll_interval=0.05),
    )


@pytest.fixture
async def platform(tmp_path, tg, store):
    config = tg_config(tmp_path, tg)
    bot = TelegramPlatform(config, Dispatcher(store, config), poll_timeout=0.2, request_timeout=0.5)
    await bot.start()
    yield bot
    await bot.stop()


def delivered(tg: ft.FakeTelegram, chat_id: int) -> list[str]:
    return [m["text"].split("\n", 1)[0] for m in tg.sent(chat_id)]


async def states(store: Store, chat_id: str) -> list[tuple[str, int, str | None]]:
    return [(a["state"], a["attempts"], a["last_error"]) for a in await store.run(alerts.chat_alerts, chat_id)]


async def test_a_429_delays_that_chat_by_retry_after_without_spending_an_attempt(tg, platform, store):
    clock = FixedClock(T0)
    await store.run(queue_alerts, f"telegram:{ALICE}", 2)
    await store.run(queue_alerts, f"telegram:{BOB}", 2)
    tg.fail(ALICE, 429, "Too Many Requests: retry after 40", retry_after=40, times=1)
    worker = OutboxWorker(store, platform, platform_config(platform), clock)

    assert await worker.run_once() == 2
    assert len(delivered(tg, BOB)) == 2 and delivered(tg, ALICE) == []
    waiting = await store.run(alerts.chat_alerts, f"telegram:{ALICE}")
    assert all(a["state"] == "pending" and a["attempts"] == 0 for a in waiting)
    assert {a["next_attempt_at"] for a in waiting} == {iso(T0 + timedelta(seconds=40))}

    clock.advance(seconds=39)
    assert await worker.run_once() == 0  # not before retry_after
    clock.advance(seconds=1)
    assert await worker.run_once() == 2
    assert delivered(tg, ALICE) == [f"Alert telegram:{ALICE}-0", f"Alert telegram:{ALICE}-1"]
    assert await states(store, f"telegram:{ALICE}") == [("sent", 1, None)] * 2


def platform_config(platform: TelegramPlatform) -> Config:
    return platform.dispatcher.config


async def test_5xx_is_retried_with_backoff_then_delivered_once(tg, platform, store):
    clock = FixedClock(T0)
    await store.run(queue_alerts, f"telegram:{ALICE}", 1)
    tg.fail(ALICE, 502, "Bad Gateway", times=2)
    worker = OutboxWorker(store, platform, platform_config(platform), clock)

    assert await worker.run_once() == 0
    assert await states(store, f"telegram:{ALICE}") == [("pending", 1, "Bad Gateway")]
    clock.advance(seconds=4)
    assert await worker.run_once() == 0  # backoff: 5 s after the first failure
    clock.advance(seconds=1)
    assert await worker.run_once() == 0
    assert await states(store, f"telegram:{ALICE}") == [("pending", 2, "Bad Gateway")]
    clock.advance(seconds=10)  # then 10 s
    assert await worker.run_once() == 1
    assert delivered(tg, ALICE) == [f"Alert telegram:{ALICE}-0"]
    assert await states(store, f"telegram:{ALICE}") == [("sent", 3, None)]


async def test_persistent_5xx_ends_failed_with_the_reason_after_the_last_attempt(tg, platform, store):
    clock = FixedClock(T0)
    await store.run(queue_alerts, f"telegram:{ALICE}", 1)
    tg.fail(ALICE, 500, "Internal Server Error")
    worker = OutboxWorker(store, platform, platform_config(platform), clock)
    for _ in range(3):
        await worker.run_once()
        clock.advance(hours=1)
    assert await states(store, f"telegram:{ALICE}") == [("failed", 3, "Internal Server Error")]
    (failure,) = await store.run(alerts.recent_failures)
    assert failure["last_error"] == "Internal Server Error"  # what `diplobot stats` shows
    assert len(tg.called("sendMessage")) == 3  # max_attempts = 3, and not one more


async def test_a_hanging_request_times_out_is_retried_and_holds_up_other_chats_only_briefly(tg, platform, store):
    clock = FixedClock(T0)
    await store.run(queue_alerts, f"telegram:{ALICE}", 1)
    await store.run(queue_alerts, f"telegram:{BOB}", 3)
    tg.hang(ALICE)
    worker = OutboxWorker(store, platform, platform_config(platform), clock, patience_s=0.1)
    started = time.monotonic()
    run = asyncio.create_task(worker.run_once())
    await tg.wait_for(lambda: len(tg.sent(BOB)) == 3, timeout=2)
    bob_done = time.monotonic() - started
    assert await run == 3
    assert bob_done < 0.45  # Alice's request hangs for the whole 0.5 s timeout; Bob waited ~0.1 s
    ((state, attempts, error),) = await states(store, f"telegram:{ALICE}")
    assert (state, attempts) == ("pending", 1) and error.startswith("timed out")

    tg.release()
    clock.advance(seconds=5)
    assert await worker.run_once() == 1
    assert delivered(tg, ALICE) == [f"Alert telegram:{ALICE}-0"]


@pytest.mark.slow
async def test_alerts_sent_faster_than_telegram_allows_get_429s_and_all_arrive_once(tmp_path, tg, store):
    """A pace configured above Telegram's limits: the fake answers 429s; every alert still arrives once."""
    tg.limits = ft.Limits()
    config = tg_config(tmp_path, tg, per_chat_per_s=20.0, total_per_s=100.0)
    bot = TelegramPlatform(config, Dispatcher(store, config), poll_timeout=0.2, request_timeout=2.0)
    await bot.start()
    worker = OutboxWorker(store, bot, config)
    try:
        for chat_id in (ALICE, BOB, CAROL):
            await store.run(queue_alerts, f"telegram:{chat_id}", 3)
        worker.start()
        await tg.wait_for(lambda: all(len(tg.sent(c)) == 3 for c in (ALICE, BOB, CAROL)), timeout=15)
    finally:
        await worker.stop()
        await bot.stop()
    assert tg.rate_limited >= 3
    for chat_id in (ALICE, BOB, CAROL):
        assert sorted(delivered(tg, chat_id)) == [f"Alert telegram:{chat_id}-{i}" for i in range(3)]
        assert await states(store, f"telegram:{chat_id}") == [("sent", 1, None)] * 3


async def test_a_command_reply_answered_429_waits_out_a_short_flood_limit_and_is_sent(tg, platform):
    tg.fail(CAROL, 429, "Too Many Requests: retry after 1", retry_after=1, times=1)
    started = time.monotonic()
    tg.push(ft.message_update("/help", chat_id=CAROL, user_id=CAROL))
    await tg.wait_for(lambda: tg.sent(CAROL), timeout=5)
    assert 1.0 <= time.monotonic() - started < 3
    assert [c.status for c in tg.called("sendMessage")] == [429, 200]


# ---- commands stay quick while 1,000 alerts drain ------------------------------------------------

BACKLOG_CHATS = 100
BACKLOG_PER_CHAT = 10
COMMANDS = (
    "/help",
    "/topics",
    "/subscribe sanctions",
    "/latest",
    "/settings",
    "/topics",
    "/help",
    "/latest 3",
    "/search ceasefire",
    "/start",
)
USERS = 9000


async def answer_latency(tg: ft.FakeTelegram, chat_id: int, text: str) -> float:
    """Seconds from the update reaching the fake server's queue to the bot's reply arriving there."""
    before = len(tg.sent(chat_id))
    started = time.monotonic()
    tg.push(ft.message_update(text, chat_id=chat_id, user_id=chat_id))
    await tg.wait_for(lambda: len(tg.sent(chat_id)) > before, timeout=10)
    reply = next(c for c in reversed(tg.called("sendMessage")) if int(c.params["chat_id"]) == chat_id)
    return reply.at - started


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_commands_are_answered_within_a_second_while_1000_alerts_drain(tmp_path, tg, store):
    """The real pace (1/s per chat, 20/min per group, 30/s in total) against a fake that enforces it,
    while some chats' requests hang, one chat gets 500s and one a 429: replies stay quick, and every
    alert Telegram accepted is recorded, the rest pending; none failed, none lost."""
    tg.limits = ft.Limits(tolerance_s=0.1)  # bot and fake share this process's loop: some timing jitter
    config = Config(
        telegram=TelegramConfig(token=tg.token, base_url=tg.base_url),  # default pace = limits
        store=StoreConfig(path=str(tmp_path / "t.db")),
        delivery=DeliveryConfig(poll_interval=0.5),
    )
    await store.run(
        lambda db: [
            queue_alerts(
                db,
                f"telegram:{-1000 - n if n % 10 == 0 else 1000 + n}",
                BACKLOG_PER_CHAT,
                kind="group" if n % 10 == 0 else "private",
            )
            for n in range(BACKLOG_CHATS)
        ]
    )
    backlog = BACKLOG_CHATS * BACKLOG_PER_CHAT
    assert (await store.run(alerts.alert_counts))["pending"] == backlog
    for chat_id in HANGING:
        tg.hang(chat_id)
    tg.fail(FAILING, 500, "Internal Server Error")
    tg.fail(LIMITED, 429, "Too Many Requests: retry after 2", retry_after=2, times=1)
    bot = TelegramPlatform(config, Dispatcher(store, config), request_timeout=2.0, stop_grace_s=0.5)
    await bot.start()
    worker = OutboxWorker(store, bot, config)
    worker.start()
    latencies, pending = [], []
    try:
        await tg.wait_for(lambda: len(tg.called("sendMessage")) >= 30, timeout=20)  # draining
        first = tg.called("sendMessage")[0].at
        for n, text in enumerate(COMMANDS):  # one user each: Telegram allows a chat ~1 message/s
            latencies.append(await answer_latency(tg, USERS + n, text))
            pending.append((await store.run(alerts.alert_counts))["pending"])
            await asyncio.sleep(0.25)
        elapsed = time.monotonic() - first
    finally:
        await worker.stop()
        await bot.stop()
        tg.release()
    users = range(USERS, USERS + len(COMMANDS))
    accepted = {
        (c.params["chat_id"], str(c.result["message_id"]))
        for c in tg.called("sendMessage")
        if c.status == 200 and int(c.params["chat_id"]) not in users
    }
    rows = await store.run(lambda db: list(db.query("select * from alerts")))
    print(
        f"\ncommand latency under a {backlog}-alert backlog: median {statistics.median(latencies):.3f} s, "
        f"max {max(latencies):.3f} s over {len(latencies)} commands; alerts delivered meanwhile "
        f"{len(accepted)} ({len(accepted) / elapsed:.1f}/s, limit 30/s), pending {min(pending)}-{max(pending)}, "
        f"429s from the limits {tg.rate_limited}"
    )
    assert min(pending) > backlog * 0.5  # the backlog was still draining during every command
    assert len(latencies) == len(COMMANDS)
    assert max(latencies) < 1.0
    assert statistics.median(latencies) < 0.5
    assert all(c.status == 200 for c in tg.called("sendMessage") if int(c.params["chat_id"]) in users)
    assert tg.rate_limited == 0  # the outbox's pace leaves room for the replies
    # nothing lost: what Telegram accepted is recorded as sent; the rest is pending, none failed
    assert {(r["chat_id"].split(":")[1], r["message_id"]) for r in rows if r["state"] == "sent"} == accepted
    assert {r["state"] for r in rows} <= {"sent", "pending"}
    failing = [r for r in rows if r["chat_id"] == f"telegram:{FAILING}"]
    assert failing[0]["attempts"] >= 1 and failing[0]["last_error"] == "Internal Server Error"
    limited = [r for r in rows if r["chat_id"] == f"telegram:{LIMITED}"]
    assert any(c.status == 429 for c in tg.called("sendMessage") if c.params["chat_id"] == str(LIMITED))
    assert all(r["attempts"] == (r["state"] == "sent") for r in limited)  # a 429 spends no attempt


HANGING, FAILING, LIMITED = (1001, 1002), 1003, 1004
