"""Responsiveness: chats are answered fast while a big backlog is enriched and hostile sources are polled.

Usage: python bench/responsive.py [--chats 2000] [--topics-per-chat 5] [--backlog 5000] [--duration 120]
                                  [--people 5000] [--seed 11]

Set-up (not timed): a database with `--chats` x `--topics-per-chat` subscriptions (10,000 by default) written
straight into the tables, and one chat following a phrase that only a late item of a normal feed carries. A
local HTTP server serves four feeds: a normal one, a feed whose prolog is dozens of processing instructions
(the old DOCTYPE pre-filter backtracked exponentially on it), one whose entity declarations hide behind a
comment holding "]>" (an entity-expansion bomb), and one whose single item names `--people` distinct people.

Run: the real `diplobot run` process against the fake Bot API of the tests (tests/fake_telegram.py, enforcing
Telegram's published limits), polling those feeds every 10 s. Right after it starts, a separate
`diplobot ingest` process writes a `--backlog`-article JSONL file (articles mentioning topic phrases, so the
outbox fills too). Every 0.5 s a /help comes from a new user; its reply time is measured from the moment the
update is offered to the bot to the moment the fake receives the answer. After 20 s the normal feed publishes
the matching item; `alert_s` is the time until that chat's alert arrives. Enrichment rate is read from the
database (articles enriched per second while the backlog lasted). Peak memory is the largest sum of resident
memory of the bot and its worker processes, sampled every 0.5 s.

At the end the bot gets SIGTERM mid-backlog; `stop_s` is how long it takes to exit. The stages of the watched
item (stored, enriched, matched, queued, sent: the store's timestamps) are printed for diagnosis.

Targets: help_p95_s <= 0.5, help_max_s <= 1, alive=1, peak_mb <= 1024, alert_s <= 60, stop_s <= 10. The last
line is `RESULT help_p50_s=... help_p95_s=... help_max_s=... backlog=... enrich_per_s=... peak_mb=... alert_s=...
alive=... stop_s=...`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import load_fake, make_articles, make_topics, setup

from diplobot.store.db import open_database

WATCHED_PHRASE = "zanzibar grain corridor"
WATCHER_CHAT = 4_242_424


def hostile_feeds(people: int) -> dict[str, bytes]:
    item = "<item><title>{title}</title><link>https://feeds.example/{n}</link><description>{text}</description></item>"
    names = " ".join(f"Envoy Aname{i} Bsurname{i} said." for i in range(people))
    entity = "A" * 1000
    decls = "".join(
        f'<!ENTITY e{i} "{entity}&e{i - 1};&e{i - 1};">' if i else f'<!ENTITY e0 "{entity}">' for i in range(30)
    )
    return {
        "/pi.xml": b"<?a?>" * 40 + b"<rss/>",
        "/entities.xml": (
            f"<?xml version='1.0'?><!DOCTYPE rss [<!-- ]> --> {decls}]><rss version='2.0'>"
            f"<channel><title>&e29;</title></channel></rss>"
        ).encode(),
        "/people.xml": (
            "<rss version='2.0'><channel><title>Crowd</title>"
            + item.format(title="Delegates", n=1, text=names)
            + "</channel></rss>"
        ).encode(),
    }


class FeedServer:
    """The local feeds; the normal one grows a matching item when `publish()` is called."""

    def __init__(self, people: int) -> None:
        self.static = hostile_feeds(people)
        self.items = [
            "<item><title>Routine briefing</title><link>https://wire.example/briefing</link>"
            "<description>Officials held a routine briefing.</description></item>"
        ]
        self.port = 0
        self._runner: web.AppRunner | None = None

    def publish(self) -> None:
        self.items.append(
            f"<item><title>Talks on the {WATCHED_PHRASE}</title>"
            f"<link>https://wire.example/corridor</link><description>Negotiators opened talks on "
            f"the {WATCHED_PHRASE} today.</description></item>"
        )

    async def _handle(self, request: web.Request) -> web.Response:
        if request.path == "/normal.xml":
            body = f"<rss version='2.0'><channel><title>Wire</title>{''.join(self.items)}</channel></rss>"
            return web.Response(body=body.encode(), content_type="application/rss+xml")
        return web.Response(body=self.static[request.path], content_type="application/rss+xml")

    async def __aenter__(self) -> FeedServer:
        app = web.Application()
        app.router.add_get("/{name}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner:
            await self._runner.cleanup()


def prepare(tmp: Path, args: argparse.Namespace) -> tuple[Path, Path]:
    """The database with its chats and subscriptions, and the backlog file for `diplobot ingest`."""
    rng = random.Random(args.seed)
    topics = make_topics(rng, 2_000)
    db_path = tmp / "bot.db"
    db = open_database(db_path)
    setup(db, rng, topics, args.chats, args.topics_per_chat)
    with db.atomic():
        db.execute(
            "insert into chats (id, platform, kind, timezone, created_at) values (?, 'telegram', 'private', "
            "'UTC', '2025-09-01T00:00:00Z')",
            [f"telegram:{WATCHER_CHAT}"],
        )
        db.execute(
            "insert into subscriptions (chat_id, query, since_article_id, created_at) values "
            "(?, ?, 0, '2025-09-01T00:00:00Z')",
            [f"telegram:{WATCHER_CHAT}", WATCHED_PHRASE],
        )
        db.execute("update meta set value = cast(value as integer) + 1 where key = 'subscriptions_rev'")
    db.close()
    backlog = tmp / "backlog.jsonl"
    with backlog.open("w", encoding="utf-8") as out:
        for draft in make_articles(rng, topics, args.backlog):
            out.write(
                json.dumps(
                    {
                        "title": draft.title,
                        "url": draft.url,
                        "body": draft.body,
                        "published": draft.published_at.isoformat() if draft.published_at else None,
                    }
                )
                + "\n"
            )
    return db_path, backlog


def write_config(tmp: Path, db_path: Path, tg, feeds: FeedServer, log_level: str) -> Path:
    sources = "".join(
        f'[[sources]]\nurl = "http://127.0.0.1:{feeds.port}/{name}"\nevery = "10s"\n'
        for name in ("normal.xml", "pi.xml", "entities.xml", "people.xml")
    )
    config = tmp / "diplobot.toml"
    config.write_text(
        f'[store]\npath = "{db_path}"\n[ingest]\nallow_private_hosts = true\n'
        f'[telegram]\ntoken = "{tg.token}"\nbase_url = "{tg.base_url}"\n'
        f'[ops]\nlog_level = "{log_level}"\n{sources}',
        encoding="utf-8",
    )
    return config


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the sandbox workers), in MB."""
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as children:
                pids += [int(p) for p in children.read().split()]
        except (OSError, StopIteration):
            continue
    return total


def watched_stages(db_path: Path) -> str:
    """When the watched item was stored, enriched, matched, queued and sent (store timestamps)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        row = conn.execute(
            "select a.fetched_at, a.enriched_at, a.matched_at, l.created_at, l.sent_at from articles a "
            "left join alerts l on l.article_id = a.id and l.chat_id = ? where a.url like '%/corridor'",
            [f"telegram:{WATCHER_CHAT}"],
        ).fetchone()
    finally:
        conn.close()
    names = ("stored", "enriched", "matched", "queued", "sent")
    return " ".join(f"{name}={(when or '-')[11:19]}" for name, when in zip(names, row or (None,) * 5, strict=True))


def enriched(db_path: Path) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("select count(*) from articles where enriched_at is not null").fetchone()[0]
    finally:
        conn.close()


class HelpProbe:
    """Sends /help from new users and keeps each reply time (and the slowest, with when they were asked)."""

    def __init__(self, tg, ft) -> None:
        self.tg, self.ft = tg, ft
        self.started = time.monotonic()
        self.replies: list[float] = []
        self.slowest: list[tuple[float, float]] = []

    async def ask(self, user: int) -> None:
        asked = time.monotonic()
        self.tg.push(self.ft.message_update("/help", chat_id=user, user_id=user))
        call = await self.tg.wait_for(
            lambda: next((c for c in self.tg.called("sendMessage") if c.params["chat_id"] == str(user)), None),
            timeout=60,
        )
        self.replies.append(call.at - asked)
        self.slowest = sorted([*self.slowest, (call.at - asked, asked - self.started)], reverse=True)[:3]


async def run(args: argparse.Namespace) -> dict[str, float]:
    ft = load_fake()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db_path, backlog = prepare(tmp, args)
        async with ft.FakeTelegram(limits=ft.Limits()) as tg, FeedServer(args.people) as feeds:
            config = write_config(tmp, db_path, tg, feeds, "INFO" if args.bot_log else "WARNING")
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            bot = subprocess.Popen(
                [sys.executable, "-m", "diplobot.bot", "--config", str(config), "run", "--no-console"],
                stderr=open(args.bot_log, "w") if args.bot_log else subprocess.DEVNULL,  # noqa: SIM115
                env=env,
            )
            await tg.wait_for(lambda: tg.called("getUpdates"), timeout=60)
            ingest = subprocess.Popen(
                [sys.executable, "-m", "diplobot.bot", "--config", str(config), "ingest", str(backlog)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            probe = HelpProbe(tg, ft)
            asks: list[asyncio.Task[None]] = []
            peak = 0.0
            started = time.monotonic()
            published_at = alert_s = None
            published_wall = 0.0
            backlog_done_at = None
            user = 7_000_000
            while time.monotonic() - started < args.duration:
                user += 1
                asks.append(asyncio.create_task(probe.ask(user)))
                peak = max(peak, rss_mb(bot.pid))
                if published_at is None and time.monotonic() - started > 20:
                    feeds.publish()
                    published_at, published_wall = time.monotonic(), time.time()
                if published_at and alert_s is None and tg.sent(WATCHER_CHAT):
                    alert_s = time.monotonic() - published_at
                if backlog_done_at is None and ingest.poll() is not None and enriched(db_path) >= args.backlog:
                    backlog_done_at = time.monotonic()
                if backlog_done_at and alert_s is not None and len(probe.replies) > 100:
                    break
                await asyncio.sleep(0.5)
            await asyncio.gather(*asks, return_exceptions=True)
            alive = bot.poll() is None
            stages = f"published={time.strftime('%H:%M:%S', time.gmtime(published_wall))} " + watched_stages(db_path)
            done = enriched(db_path)
            bot.terminate()
            stopping = time.monotonic()
            await asyncio.to_thread(bot.wait, 30)  # the fake Bot API keeps answering the sends in hand
            stop_s = time.monotonic() - stopping
            if ingest.poll() is None:
                ingest.kill()
    elapsed = (backlog_done_at or time.monotonic()) - started
    replies = sorted(probe.replies)
    return {
        "help_p50_s": statistics.median(replies),
        "help_p95_s": replies[int(len(replies) * 0.95) - 1],
        "help_max_s": replies[-1],
        "asked": len(replies),
        "enrich_per_s": done / elapsed,
        "peak_mb": peak,
        "alert_s": alert_s if alert_s is not None else float("nan"),
        "alive": int(alive),
        "slowest": probe.slowest,
        "stages": stages,
        "stop_s": stop_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--topics-per-chat", type=int, default=5)
    parser.add_argument("--backlog", type=int, default=5_000)
    parser.add_argument("--people", type=int, default=5_000, help="distinct people named by one hostile item")
    parser.add_argument("--duration", type=float, default=240.0, help="seconds to run at most")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--bot-log", help="write the bot's log (stderr) to this file")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(
        f"/help asked {result['asked']} times: median {result['help_p50_s']:.3f} s, "
        f"p95 {result['help_p95_s']:.3f} s, max {result['help_max_s']:.3f} s; slowest: "
        + ", ".join(f"{took:.2f} s at {at:.0f} s" for took, at in result["slowest"])
    )
    print(f"watched item (UTC): {result['stages']}")
    print(
        f"RESULT help_p50_s={result['help_p50_s']:.3f} help_p95_s={result['help_p95_s']:.3f} "
        f"help_max_s={result['help_max_s']:.3f} backlog={args.backlog} enrich_per_s={result['enrich_per_s']:.0f} "
        f"peak_mb={result['peak_mb']:.0f} alert_s={result['alert_s']:.1f} alive={result['alive']} "
        f"stop_s={result['stop_s']:.1f}"
    )


if __name__ == "__main__":
    main()
