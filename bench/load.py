"""Load: 10,000 chats with 10 topics each and 5,000 new articles, matched and delivered at Telegram's limits.

Usage: python bench/load.py [--chats 10000] [--topics-per-chat 10] [--articles 5000] [--pool 5000]
                            [--window 25] [--seed 11]

Data (generated, deterministic for a seed; not timed):

* `--pool` distinct two- and three-word topic phrases ("maritime corridor talks", ...) from a topic vocabulary;
* `--chats` chats, nine in ten private and one in ten groups, each following `--topics-per-chat` phrases drawn
  at random from the pool (100,000 subscriptions by default), written straight into the database;
* `--articles` news-sized articles of 120-220 words (function words alternating with words drawn Zipf from a
  20k pseudo-word vocabulary that shares no word with the topics), each mentioning 0-3 pool phrases,
  published 500 a day.

Steps, on a temporary database opened like the bot opens it (WAL, every migration):

1. store: `pipeline.store_drafts` in batches of 100 (one feed poll each);
2. enrich: `pipeline.enrich_pending` (story and people of each article), when the pipeline has that stage;
3. match: `pipeline.match_pending` with a fresh `MatchState`: loading the 100k subscriptions, building the
   matcher, matching every article and writing one outbox row per (chat, story). This is `match_s`, the time to
   match and fill the outbox;
4. deliver: the real python-telegram-bot `TelegramPlatform` and the `OutboxWorker`, with the default pace
   (1 message/s per chat, 20/min per group, 30/s in total), against the fake Bot API server of the tests
   (tests/fake_telegram.py) enforcing those published limits: a message that would exceed one is answered 429
   with `retry_after`, as Telegram does. Draining a backlog of this size at 30/s takes hours, so delivery runs
   for a fixed window (`--window` seconds) and the rate is measured over it; meanwhile a /help command is
   sent every 2 s from another chat and its reply time measured.

Peak memory is the process's peak resident set (ru_maxrss), fake server included. The last line is
`RESULT match_s=... delivered_per_s=... limit_per_s=... http_429=N peak_mb=... enrich_s=...` (`enrich_s`: step 2,
in this process, not part of `match_s`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from diplobot import pipeline
from diplobot.clock import iso
from diplobot.config import Config, DeliveryConfig, StoreConfig, TelegramConfig
from diplobot.handlers.dispatcher import Dispatcher
from diplobot.ingest.models import ArticleDraft
from diplobot.outbox import OutboxWorker
from diplobot.platforms.telegram import TelegramPlatform
from diplobot.store import alerts
from diplobot.store.db import open_database
from diplobot.store.worker import Store

T0 = datetime(2025, 9, 1, tzinfo=UTC)
LIMIT_PER_S = 30.0

TOPIC_ADJECTIVES = tuple(
    str.split(
        "maritime arctic nuclear regional bilateral trilateral energy grain border security naval "
        "humanitarian financial monetary digital climate water migration refugee trade customs "
        "military cyber space orbital satellite railway pipeline fishing mining uranium lithium "
        "cobalt wheat fertiliser shipping aviation tariff sovereign consular electoral judicial "
        "parliamentary constitutional veterans prisoner hostage ceasefire truce"
    )
)
TOPIC_NOUNS = tuple(
    str.split(
        "corridor talks accord pact treaty summit framework dialogue mission initiative compact mandate "
        "protocol roadmap package charter consortium forum commission tribunal memorandum guarantees "
        "exchange reforms sanctions embargo quota deal convoy observers inspection verification monitoring "
        "moratorium partnership alliance council"
    )
)
TOPIC_QUALIFIERS = tuple(str.split("review extension breakthrough collapse deadline ratification"))
FUNCTION_WORDS = tuple(
    str.split(
        "the of and to a in that is was for it with as on be at by this had not are but from or have an they which "
        "one were all there would their we been has when who will more no if out so said what up its about into than "
        "them can only other new some could time these two may then first any now such like over even most made after"
    )
)
SYLLABLES = tuple(c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou"))


def load_fake():
    """tests/fake_telegram.py, the fake Bot API server the Telegram tests use."""
    path = Path(__file__).resolve().parent.parent / "tests" / "fake_telegram.py"
    spec = importlib.util.spec_from_file_location("fake_telegram", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["fake_telegram"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def make_topics(rng: random.Random, n: int) -> list[str]:
    phrases: set[str] = set()
    while len(phrases) < n:
        words = [rng.choice(TOPIC_ADJECTIVES), rng.choice(TOPIC_NOUNS)]
        if rng.random() < 0.4:
            words.append(rng.choice(TOPIC_QUALIFIERS))
        phrases.add(" ".join(words))
    return sorted(phrases)


def make_vocabulary(rng: random.Random, n: int) -> list[str]:
    """Pronounceable pseudo-words, none of them a topic word, so only the inserted phrases match."""
    taken = set(TOPIC_ADJECTIVES + TOPIC_NOUNS + TOPIC_QUALIFIERS)
    words: set[str] = set()
    while len(words) < n:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in taken:
            words.add(word)
    return sorted(words)


def make_articles(rng: random.Random, topics: list[str], n: int) -> list[ArticleDraft]:
    """News-sized texts: function words and a Zipf-distributed 20k-word vocabulary, plus 0-3 topic phrases."""
    vocabulary = make_vocabulary(rng, 20_000)
    weights = list(accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))
    drafts = []
    for i in range(n):
        size = rng.randint(120, 220)
        content = rng.choices(vocabulary, cum_weights=weights, k=size // 2)
        words = [w for pair in zip(content, rng.choices(FUNCTION_WORDS, k=size // 2), strict=True) for w in pair]
        mentioned = rng.sample(topics, rng.choice((0, 1, 1, 2, 2, 3)))
        for phrase in mentioned:
            words.insert(rng.randrange(len(words)), phrase)
        title = f"Report {i}: " + (mentioned[0] if mentioned else " ".join(content[:5]))
        body = " ".join(words).capitalize() + "."
        drafts.append(
            ArticleDraft(
                title=title,
                url=f"https://wire.example/{i}",
                body=body,
                published_at=T0 + timedelta(days=i / 500, seconds=i),
            )
        )
    return drafts


def setup(db, rng: random.Random, topics: list[str], chats: int, per_chat: int) -> tuple[int, int]:
    """Chats and subscriptions written straight into the tables (the commands would take an hour)."""
    now = iso(T0)
    chat_rows, sub_rows = [], []
    for n in range(chats):
        group = n % 10 == 0
        chat_id = f"telegram:{-1_000_000 - n if group else 1_000_000 + n}"
        chat_rows.append((chat_id, "telegram", "group" if group else "private", "UTC", now))
        sub_rows += [(chat_id, phrase, 0, now) for phrase in rng.sample(topics, per_chat)]
    with db.atomic():
        db.conn.executemany(
            "insert into chats (id, platform, kind, timezone, created_at) values (?, ?, ?, ?, ?)", chat_rows
        )
        db.conn.executemany(
            "insert into subscriptions (chat_id, query, since_article_id, created_at) values (?, ?, ?, ?)", sub_rows
        )
        db.execute("""insert into meta (key, value) values ('subscriptions_rev', '1')
                      on conflict(key) do update set value = cast(value as integer) + 1""")
    return len(chat_rows), len(sub_rows)


def prepare(path: Path, args: argparse.Namespace) -> dict[str, float]:
    rng = random.Random(args.seed)
    topics = make_topics(rng, args.pool)
    drafts = make_articles(rng, topics, args.articles)
    db = open_database(path)
    started = time.perf_counter()
    chats, subs = setup(db, rng, topics, args.chats, args.topics_per_chat)
    print(
        f"setup: {chats} chats, {subs} subscriptions over {len(topics)} phrases "
        f"({time.perf_counter() - started:.1f} s, untimed)",
        flush=True,
    )

    started = time.perf_counter()
    for i in range(0, len(drafts), 100):
        pipeline.store_drafts(db, drafts[i : i + 100], source_id=None, now=iso(T0))
    store_s = time.perf_counter() - started
    print(f"store: {len(drafts)} articles in {store_s:.1f} s ({len(drafts) / store_s:.0f}/s)", flush=True)

    enrich_s = 0.0
    enrich = getattr(pipeline, "enrich_pending", None)
    if enrich is not None:
        started = time.perf_counter()
        enrich(db, T0)
        enrich_s = time.perf_counter() - started
        print(f"enrich: stories and people in {enrich_s:.1f} s ({len(drafts) / enrich_s:.0f}/s)", flush=True)

    started = time.perf_counter()
    created = pipeline.match_pending(db, pipeline.MatchState(), T0)
    match_s = time.perf_counter() - started
    (alert_count,) = db.execute("select count(*) from alerts").fetchone()
    (chats_alerted,) = db.execute("select count(distinct chat_id) from alerts").fetchone()
    print(
        f"match: {len(drafts)} articles x {subs} subscriptions -> {created} alerts for {chats_alerted} chats "
        f"in {match_s:.1f} s ({len(drafts) / match_s:.0f} articles/s, {alert_count / match_s:.0f} alerts/s)",
        flush=True,
    )
    started = time.perf_counter()
    alerts.due_alerts(db, "telegram", iso(T0 + timedelta(days=1)), 500)
    due_s = time.perf_counter() - started
    print(
        f"outbox query: the delivery worker's look for due alerts takes {due_s:.2f} s with {alert_count} "
        "pending (the database thread, which commands share, is busy meanwhile)",
        flush=True,
    )
    db.close()
    return {"store_s": store_s, "enrich_s": enrich_s, "match_s": match_s, "alerts": alert_count, "due_s": due_s}


async def deliver(path: Path, window: float) -> dict[str, float]:
    ft = load_fake()
    async with ft.FakeTelegram(limits=ft.Limits()) as tg, Store(path) as store:
        config = Config(
            telegram=TelegramConfig(token=tg.token, base_url=tg.base_url),  # the published limits
            store=StoreConfig(path=str(path)),
            delivery=DeliveryConfig(),
        )
        bot = TelegramPlatform(config, Dispatcher(store, config))
        await bot.start()
        worker = OutboxWorker(store, bot, config)
        worker.start()
        replies: list[float] = []
        try:
            await tg.wait_for(lambda: tg.called("sendMessage"), timeout=60)
            started = time.monotonic()
            user = 5_000_000
            while time.monotonic() - started < window:
                await asyncio.sleep(2.0)
                user += 1
                before = len(tg.sent(user))
                asked = time.monotonic()
                tg.push(ft.message_update("/help", chat_id=user, user_id=user))
                await tg.wait_for(lambda u=user, b=before: len(tg.sent(u)) > b, timeout=30)
                replies.append(time.monotonic() - asked)
            ended = time.monotonic()
        finally:
            await worker.stop()
            await bot.stop()
    users = {str(u) for u in range(5_000_001, user + 1)}
    sent = [c for c in tg.called("sendMessage") if started <= c.at < ended and c.params["chat_id"] not in users]
    delivered = sum(c.status == 200 for c in sent)
    http_429 = sum(c.status == 429 for c in tg.called("sendMessage"))
    per_s = delivered / (ended - started)
    print(
        f"deliver: {delivered} alerts accepted in a {ended - started:.1f} s window: {per_s:.1f}/s against "
        f"Telegram's {LIMIT_PER_S:g}/s (the outbox keeps a tenth for replies), {http_429} answered 429; "
        f"/help answered in median {statistics.median(replies):.3f} s, max {max(replies):.3f} s",
        flush=True,
    )
    return {"delivered_per_s": per_s, "http_429": http_429, "reply_max_s": max(replies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--topics-per-chat", type=int, default=10)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--pool", type=int, default=5_000, help="distinct topic phrases")
    parser.add_argument("--window", type=float, default=25.0, help="seconds of delivery to measure")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "load.db"
        prepared = prepare(path, args)
        delivered = asyncio.run(deliver(path, args.window))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    print(
        f"RESULT match_s={prepared['match_s']:.2f} delivered_per_s={delivered['delivered_per_s']:.2f} "
        f"limit_per_s={LIMIT_PER_S:g} http_429={delivered['http_429']} peak_mb={peak_mb:.0f} "
        f"enrich_s={prepared['enrich_s']:.2f}"
    )


if __name__ == "__main__":
    main()
