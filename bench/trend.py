"""Trend charts at 100,000 stored articles: the story count, the drawing, the whole reply, against bare SQL counts.

Usage (from the repository root, with the package installed): python bench/trend.py [--n 100000] [--rounds 5]
[--seed 7] [--db PATH]

Data: bench/ingest.py's generated feed items (English-like news, 500 published a day, so 100,000 span 200 days; about
30% are rewritten copies of an earlier item), stored with `pipeline.store_drafts` in batches of 100, each fetched at
its items' publication time. Stories are the generator's own (each copy joins its original's story), set directly
instead of running enrichment, which would take many minutes at this size and is not what is measured. Not timed.
`--db PATH` keeps the database there and reuses it on the next run with the same `--n` and `--seed`.

Timed, each the median over `--rounds`, for "ceasefire" over the last 90 days of the data (the default period),
dates in Europe/Kyiv:

* bare_ms: the baseline the issue sets, a bare indexed GROUP BY day over the same rows: the articles of the period
  that pass the topic's FTS5 prefilter, counted per day by SQL alone (`trends.candidates_per_day`), no matching,
  no stories;
* period_ms: for scale, every article of the period per day from the `articles_published` index;
* query_ms: the trend count (`StoryCounts.stories_per_day`: candidates, exact matching, one count per story on its
  first day, each day's biggest story and its headline) with the verdicts remembered from an earlier count, as when
  a chart is asked again or a digest charts the same topics;
* query_cold_ms: the same with nothing remembered (every candidate's text read and matched: the first chart of a
  topic in a running bot, or the CLI);
* chart_ms: drawing the PNG for three topics (ceasefire, prisoner exchange, "security guarantees");
* reply_ms / reply_cold_ms: the whole /trend reply for "ceasefire" (count, sources, caption, PNG), warm and cold.

Targets (issue 16): query_ms <= 2 x bare_ms, the whole reply < 1 s. The last line is `RESULT chart_ms_100k=...
query_ms_100k=... ...`.
"""

from __future__ import annotations

import argparse
import tempfile
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
from diplobot.handlers import trend as trend_handler
from diplobot.handlers.trend import Topic, trend_reply
from diplobot.store import articles, trends
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = kept_database(
            args.db or Path(tmp) / "trend.db",
            "bench_trend",
            f"{args.n}:{args.seed}",
            lambda path: build(path, args.n, args.seed),
        )
        figures = measure(db, args.rounds)
        db.close()
    for name, value in figures.items():
        print(f"{name:>16} {value:9.1f} ms")
    ratio = figures["query_ms"] / figures["bare_ms"]
    print(
        f"query / bare: {ratio:.2f} (target <= 2); whole reply {figures['reply_ms']:.0f} ms warm, "
        f"{figures['reply_cold_ms']:.0f} ms cold (target < 1000)"
    )
    k = args.n // 1000
    print(
        "RESULT "
        + " ".join(f"{name.removesuffix('_ms')}_ms_{k}k={value:.0f}" for name, value in figures.items())
        + f" query_vs_bare={ratio:.2f}"
    )


def measure(db: Database, rounds: int) -> dict[str, float]:
    zone = ZoneInfo(TZ)
    now = from_iso(db.execute("select max(fetched_at) from articles").fetchone()[0]) + timedelta(hours=1)
    last = now.astimezone(zone).date()
    first = last - timedelta(days=DAYS - 1)
    since = datetime.combine(first, datetime.min.time(), zone)
    service = lambda: Topics(articles.StoredArticles(db))  # noqa: E731  (a fresh service per command, as /trend)
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
    render_trend(chart)  # matplotlib's first import and font loading are start-up costs, not a chart's
    topic = [Topic("ceasefire", ceasefire)]

    def cold_reply() -> object:
        trend_handler._VERDICTS.pop(db, None)
        return trend_reply(db, topic, first, last, TZ, period="90d", until=now)

    trend_reply(db, topic, first, last, TZ, period="90d", until=now)
    return {
        "bare_ms": median_ms(lambda: trends.candidates_per_day(db, fts, iso(since), iso(now)), rounds),
        "period_ms": median_ms(
            lambda: db.execute(
                "select substr(published_at, 1, 10) as day, count(*) from articles where published_at >= ? and "
                "published_at < ? group by day",
                [iso(since), iso(now)],
            ).fetchall(),
            rounds,
        ),
        "query_ms": median_ms(
            lambda: MatchedStoryCounts(trends.StoredTrendCorpus(db), service(), warm.verdicts).stories_per_day(
                ceasefire, since, now, TZ
            ),
            rounds,
        ),
        "query_cold_ms": median_ms(
            lambda: MatchedStoryCounts(trends.StoredTrendCorpus(db), service(), Verdicts()).stories_per_day(
                ceasefire, since, now, TZ
            ),
            rounds,
        ),
        "chart_ms": median_ms(lambda: render_trend(chart), rounds),
        "reply_ms": median_ms(lambda: trend_reply(db, topic, first, last, TZ, period="90d", until=now), rounds),
        "reply_cold_ms": median_ms(cold_reply, rounds),
    }


if __name__ == "__main__":
    main()
