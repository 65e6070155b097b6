"""Topic look-ups over stored articles: digests, /latest, /search, the /subscribe count and a trend count.

Usage (from the repository root, with the package installed): python bench/topics.py [--n 20000] [--rounds 5]
[--seed 7] [--db PATH]

Data: bench/ingest.py's generated feed items (English-like news, 500 published a day, so 20,000 span 40 days),
stored with `pipeline.store_drafts` in batches of 100, each batch fetched at its items' publication time. Not
timed. `--db PATH` keeps the database there and reuses it on the next run with the same `--n` and `--seed`.

Timed, each the median over `--rounds`, all through analysis.topics.Topics (the service every command uses) on the
newest day of the data:

* digest_ms: `handlers.digest.digest_reply` for a chat following three topics (ceasefire, "security guarantees"
  -loan, prisoner exchange), over the last day, previous-day comparison included;
* digest_week_ms: the same over the last seven days;
* digest_scan_ms: the baseline, what digests did before the FTS5 prefilter: read every article stored in the day
  (`articles_since`) and match each with a bare matcher;
* digest_all_ms and digest_all_scan_ms: the same two for a period that holds every stored article (the first
  digest after importing an archive);
* latest_ms: the five newest articles for "ceasefire" (`/latest`);
* search_ms: the first page of `/search "security guarantees" -loan` with its total;
* subscribe_ms: the `/subscribe` count (matching articles of the last seven days) for "prisoner exchange";
* trend_ms: stories per day for "ceasefire" over every stored article (what a trend chart counts), uncapped.

The last line is `RESULT digest_ms=... digest_week_ms=... digest_scan_ms=... digest_all_ms=...
digest_all_scan_ms=... latest_ms=... search_ms=... subscribe_ms=... trend_ms=...`.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from benchlib import ingest_bench, kept_database, median_ms, store_generated  # bench/ is on sys.path
from sqlite_utils import Database

from diplobot.analysis.matcher import Matcher
from diplobot.analysis.query import parse_query
from diplobot.analysis.topics import Topics, Window
from diplobot.clock import iso
from diplobot.enrichment.corpus import StoredArticles
from diplobot.handlers.digest import digest_reply
from diplobot.store import articles
from diplobot.store.chats import ensure_chat
from diplobot.store.db import open_database
from diplobot.store.subscriptions import add_subscription

TOPICS = ("ceasefire", '"security guarantees" -loan', "prisoner exchange")


def build(path: Path, n: int, seed: int) -> None:
    db = open_database(str(path))
    store_generated(db, ingest_bench().Generator(seed).drafts(n))
    db.execute("insert into meta (key, value) values ('bench_topics', ?)", [f"{n}:{seed}"])
    db.close()


def scan_digest(db: Database, start: datetime, end: datetime) -> int:
    """The old digest read: every article stored since `start`, matched by a bare matcher."""
    matcher = Matcher()
    matcher.update({i: parse_query(text) for i, text in enumerate(TOPICS)})
    found = 0
    for row in articles.articles_since(db, iso(start), 20_000):
        if row["fetched_at"] < iso(end) and matcher.match(row["title"], row["summary"], row["body"]):
            found += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = kept_database(
            args.db or Path(tmp) / "topics.db",
            "bench_topics",
            f"{args.n}:{args.seed}",
            lambda path: build(path, args.n, args.seed),
        )
        end = datetime.fromisoformat(db.execute("select max(fetched_at) from articles").fetchone()[0])
        day, week = end - timedelta(days=1), end - timedelta(days=7)
        first = datetime.fromisoformat(db.execute("select min(fetched_at) from articles").fetchone()[0])
        chat = ensure_chat(db, "bench:1", kind="private", title=None, timezone="UTC", now=iso(end))
        for text in TOPICS:
            add_subscription(db, chat["id"], text, iso(end))
        service = lambda: Topics(StoredArticles(db))  # noqa: E731  (a fresh service per command)
        ceasefire, guarantees, exchange = (parse_query(text) for text in TOPICS)
        figures = {
            "digest_ms": median_ms(lambda: digest_reply(db, chat, day, end, default_tz="UTC"), args.rounds),
            "digest_week_ms": median_ms(lambda: digest_reply(db, chat, week, end, default_tz="UTC"), args.rounds),
            "digest_scan_ms": median_ms(lambda: scan_digest(db, day, end), args.rounds),
            "digest_all_ms": median_ms(lambda: digest_reply(db, chat, first, end, default_tz="UTC"), args.rounds),
            "digest_all_scan_ms": median_ms(lambda: scan_digest(db, first, end), args.rounds),
            "latest_ms": median_ms(lambda: service().find({0: ceasefire}, limit=5, count=False), args.rounds),
            "search_ms": median_ms(lambda: service().find({0: guarantees}, limit=5), args.rounds),
            "subscribe_ms": median_ms(
                lambda: service().find({0: exchange}, window=Window(since=iso(week), by="fetched"), limit=0),
                args.rounds,
            ),
            "trend_ms": median_ms(
                lambda: service().stories_per_day(ceasefire, Window(), "UTC", cap=10**9), args.rounds
            ),
        }
        total = db.execute("select count(*) from articles").fetchone()[0]
        days, complete = service().stories_per_day(ceasefire, Window(), "UTC", cap=10**9)
        print(
            f"{total:,} articles; trend: {sum(map(len, days.values())):,} ceasefire stories on {len(days)} days "
            f"(complete: {complete}); search total: {service().find({0: guarantees}, limit=0).total:,}"
        )
        for name, value in figures.items():
            print(f"{name:>16} {value:9.1f} ms")
        db.close()
    print("RESULT " + " ".join(f"{name}={value:.0f}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
