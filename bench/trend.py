"""Trend charts at 100,000 stored articles: the story count, the drawing, the whole reply, against bare SQL counts.

Usage (from the repository root, with the package installed): python bench/trend.py [--n 100000] [--rounds 5]
[--seed 7] [--db PATH]

Data: bench/ingest.py's generated feed items (English-like news, 500 published a day, so 100,000 span 200 days; about
30% are rewritten copies of an earlier item), stored with `pipeline.store_drafts` in batches of 100, each fetched at
its items' publication time. Stories are the generator's own (each copy joins its original's story), set directly
instead of running enrichment, which would take many minutes at this size and is not what is measured. Not timed.
`--db PATH` keeps the database there and reuses it on the next run with the same `--n` and `--seed`.

Timed, each the median over `--rounds` (bare_ms and query_ms over 3 x rounds, timed in turn so that their ratio is
not skewed by other work on a shared machine), for "ceasefire" over the last 90 days of the data (the default
period), dates in Europe/Kyiv:

* bare_ms: the baseline the issue sets, a bare indexed GROUP BY day over the same rows: the articles of the period
  that pass the topic's FTS5 prefilter, counted per day by SQL alone (`trends.candidates_per_day`), no matching,
  no stories;
* period_ms: for scale, every article of the period per day from the `articles_published` index;
* query_ms: the trend count (`StoryCounts.stories_per_day`: candidates, exact matching, one count per story on its
  first day, each day's biggest story and its headline) with the verdicts remembered from an earlier count, as when
  a chart is asked again or a digest charts the same topics;
* query_cold_ms: the same with nothing remembered for the topic (its candidates read and matched), in this process,
  where what a process loads once is loaded: the counting part of a topic's first chart;
* chart_ms: drawing the PNG for three topics (ceasefire, prisoner exchange, "security guarantees");
* reply_ms: the whole /trend command (`/trend ceasefire`: the handler from its arguments to the reply with the
  caption and the PNG, in a read transaction as the dispatcher runs it), asked again;
* reply_cold_ms: the same command as the FIRST /trend after the bot has started: each round is a new Python process
  that imports what `diplobot run` imports (diplobot.runtime), opens the database (a new connection: SQLite's page
  cache empty; the operating system's file cache is warm, as for a bot whose database is in use), does what the
  bot does at start-up for charts (`handlers.trend.warm`, run by runtime.Runtime.start beside the sandbox workers'
  start: the lexicon, the morphology dictionaries, matplotlib and its font, then one full garbage collection),
  and then times its first /trend.
  Nothing about the topic is remembered: no verdicts, no forms of its phrases, no matcher;
* warmup_ms: that start-up step itself (not part of any reply; the bot does it while the sandbox workers start);
* reply_unwarmed_ms: the first /trend in a new process without that step (what `diplobot trend` on the command
  line sees, and the bot would see without it), for comparison.

Targets (issue 16): query_ms <= 2 x bare_ms, the whole reply < 1 s, also cold (reply_cold_ms). The last line is
`RESULT chart_ms_100k=... query_ms_100k=... ...`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchlib import ingest_bench, kept_database, median_ms, store_generated  # bench/ is on sys.path
from sqlite_utils import Database

from diplobot.analysis.query import parse_query
from diplobot.analysis.topics import Topics
from diplobot.analysis.trend import build_series
from diplobot.analysis.trend_counts import MatchedStoryCounts, Verdicts
from diplobot.charts import TrendChart, render_trend
from diplobot.clock import from_iso, iso
from diplobot.config import Config
from diplobot.enrichment.corpus import StoredArticles
from diplobot.handlers import trend as trend_handler
from diplobot.handlers.dispatcher import default_commands
from diplobot.handlers.registry import Context
from diplobot.handlers.reply import Reply
from diplobot.store import trends
from diplobot.store.db import open_database

TZ = "Europe/Kyiv"
DAYS = 90
TOPICS = ("ceasefire", "prisoner exchange", '"security guarantees"')


def build(path: Path, n: int, seed: int) -> None:
    generator = ingest_bench().Generator(seed)
    drafts = generator.drafts(n)
    db = open_database(str(path))
    store_generated(db, drafts)
    ids = {url: article_id for article_id, url in db.execute("select id, url from articles")}
    story = [ids[draft.url] for draft in drafts]  # stored URLs are the drafts' (no tracking parameters to drop...)
    with db.atomic():
        db.conn.executemany(
            "update articles set story_id = ? where id = ?",
            [(story[origin], story[index]) for index, origin in enumerate(generator.origin)],
        )
        db.execute("insert into meta (key, value) values ('bench_trend', ?)", [f"{n}:{seed}"])
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--first-reply", type=Path, help=argparse.SUPPRESS)  # a new process's first /trend
    parser.add_argument("--no-warm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_reply:
        print(json.dumps(first_reply(args.first_reply, warm=not args.no_warm)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "trend.db"
        db = kept_database(path, "bench_trend", f"{args.n}:{args.seed}", lambda path: build(path, args.n, args.seed))
        figures = measure(db, args.rounds)
        db.close()
        figures |= measure_first_replies(path, args.rounds)
    for name, value in figures.items():
        print(f"{name:>16} {value:9.1f} ms")
    ratio = figures["query_ms"] / figures["bare_ms"]
    print(
        f"query / bare: {ratio:.2f} (target <= 2); whole reply {figures['reply_ms']:.0f} ms asked again, "
        f"{figures['reply_cold_ms']:.0f} ms as the first /trend after start-up (target < 1000; "
        f"{figures['reply_unwarmed_ms']:.0f} ms without the start-up step)"
    )
    k = args.n // 1000
    print(
        "RESULT "
        + " ".join(f"{name.removesuffix('_ms')}_ms_{k}k={value:.0f}" for name, value in figures.items())
        + f" query_vs_bare={ratio:.2f}"
    )


def data_now(db: Database) -> datetime:
    """The bench's "now": an hour after the newest article was fetched."""
    return from_iso(db.execute("select max(fetched_at) from articles").fetchone()[0]) + timedelta(hours=1)


def command_reply(db: Database, now: datetime, args: str = "ceasefire") -> Reply:
    """`/trend <args>` as the dispatcher runs it: the handler, in a read transaction, for a chat in TZ."""
    ctx = Context(
        db=db,
        chat={"id": "bench", "timezone": TZ},
        user_id="bench",
        now=now,
        config=Config(),
        commands=default_commands(),
    )
    with Database.atomic(db):
        reply = trend_handler.trend(ctx, args)
    assert reply.image is not None, reply.plain()
    return reply


def measure(db: Database, rounds: int) -> dict[str, float]:
    zone = ZoneInfo(TZ)
    now = data_now(db)
    last = now.astimezone(zone).date()
    first = last - timedelta(days=DAYS - 1)
    since = datetime.combine(first, datetime.min.time(), zone)
    service = lambda: Topics(StoredArticles(db))  # noqa: E731  (a fresh service per command, as /trend)
    ceasefire = parse_query("ceasefire")
    fts = service().prefilter([ceasefire])
    warm = MatchedStoryCounts(trends.StoredTrendCorpus(db), service(), Verdicts())
    days = warm.stories_per_day(ceasefire, since, now, TZ)  # remembers the verdicts
    total = db.execute("select count(*) from articles").fetchone()[0]
    candidates = len(trends.StoredTrendCorpus(db).candidates(fts, iso(since), iso(now)))
    print(
        f"{total:,} articles; {DAYS} days to {last}: {candidates:,} ceasefire candidates, "
        f"{sum(d.stories for d in days):,} stories on {len(days)} days"
    )
    series = tuple(
        build_series(
            text,
            MatchedStoryCounts(trends.StoredTrendCorpus(db), service()).stories_per_day(
                parse_query(text), since, now, TZ
            ),
            first,
            last,
        )
        for text in TOPICS
    )
    chart = TrendChart(", ".join(TOPICS), f"{first}–{last} · per day", series)
    render_trend(chart)  # loaded once per process: measured by reply_cold_ms and warmup_ms, not here
    command_reply(db, now)  # remembers ceasefire's verdicts for this connection, as a running bot would
    bare_ms, query_ms = paired_ms(
        lambda: trends.candidates_per_day(db, fts, iso(since), iso(now)),
        lambda: MatchedStoryCounts(trends.StoredTrendCorpus(db), service(), warm.verdicts).stories_per_day(
            ceasefire, since, now, TZ
        ),
        3 * rounds,
    )
    return {
        "bare_ms": bare_ms,
        "period_ms": median_ms(
            lambda: db.execute(
                "select substr(published_at, 1, 10) as day, count(*) from articles where published_at >= ? and "
                "published_at < ? group by day",
                [iso(since), iso(now)],
            ).fetchall(),
            rounds,
        ),
        "query_ms": query_ms,
        "query_cold_ms": median_ms(
            lambda: MatchedStoryCounts(trends.StoredTrendCorpus(db), service(), Verdicts()).stories_per_day(
                ceasefire, since, now, TZ
            ),
            rounds,
        ),
        "chart_ms": median_ms(lambda: render_trend(chart), rounds),
        "reply_ms": median_ms(lambda: command_reply(db, now), rounds),
    }


def paired_ms(first: Callable[[], object], second: Callable[[], object], rounds: int) -> tuple[float, float]:
    """The median times of two quick runs timed in turn, so that a ratio of them is not skewed by the other work
    on a shared machine changing between the two."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for run, out in zip((first, second), times, strict=True):
            started = time.perf_counter()
            run()
            out.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def measure_first_replies(path: Path, rounds: int) -> dict[str, float]:
    """The first /trend in new processes (see the module docstring), with and without the start-up step."""

    def run(*extra: str) -> dict[str, float]:
        command = [sys.executable, __file__, "--first-reply", str(path), *extra]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return json.loads(done.stdout.splitlines()[-1])

    warmed = [run() for _ in range(rounds)]
    unwarmed = [run("--no-warm") for _ in range(rounds)]
    return {
        "reply_cold_ms": statistics.median(one["reply_ms"] for one in warmed),
        "warmup_ms": statistics.median(one["warmup_ms"] for one in warmed),
        "reply_unwarmed_ms": statistics.median(one["reply_ms"] for one in unwarmed),
    }


def first_reply(path: Path, *, warm: bool) -> dict[str, float]:
    """In this new process: what `diplobot run` imports, the database opened, the start-up step (unless not
    `warm`), then the first /trend ceasefire, timed."""
    import diplobot.runtime  # noqa: F401  (the bot has imported everything it imports at start)

    db = open_database(str(path))
    now = data_now(db)
    started = time.perf_counter()
    if warm:
        trend_handler.warm(db)
    warmed = time.perf_counter()
    command_reply(db, now)
    done = time.perf_counter()
    db.close()
    return {"warmup_ms": (warmed - started) * 1000, "reply_ms": (done - warmed) * 1000}


if __name__ == "__main__":
    main()
