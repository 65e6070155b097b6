"""Retention: text older than `[store] keep_days` goes in batches, the rest stays, space comes back (fixed clock)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from diplobot.bot import app
from diplobot.clock import iso
from diplobot.handlers.who import who
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import MatchState, match_pending, store_drafts
from diplobot.scheduler import RETENTION_EVERY_H, Jobs, build_scheduler
from diplobot.store.articles import search_articles
from diplobot.store.db import open_database
from diplobot.store.retention import (
    INCREMENTAL,
    auto_vacuum_mode,
    convert_to_incremental,
    free_pages,
    prune_old_text,
    retention_summary,
)

OLD_DAYS = 500
YERMAK = (
    "Yermak meets Sautter in Berlin",
    "Head of the presidential Office Andriy Yermak met his German counterpart Gunther Sautter on Monday. "
    "They discussed zeppelinfield logistics.",
)


@pytest.fixture
def db(config):
    db = open_database(config.store.path)
    yield db
    db.close()


def add(db, clock, days_ago: int, texts, *, published_days_ago: int | None = None, enrich: bool = True) -> None:
    """Store articles as if fetched `days_ago` (published then too unless told), enriched and matched."""
    now = clock.now()
    published = now - timedelta(days=days_ago if published_days_ago is None else published_days_ago)
    drafts = [
        ArticleDraft(
            title=title,
            body=body,
            summary=f"summary of {title}",
            published_at=published,
            url=f"https://news.example/{days_ago}/{n}-{abs(hash(title))}",
        )
        for n, (title, body) in enumerate(texts)
    ]
    store_drafts(db, drafts, source_id=None, now=iso(now - timedelta(days=days_ago)))
    if enrich:
        match_pending(db, MatchState(), now)


def row(db, title):
    return db.execute(
        "select summary, body, pruned_at, url, published_at, story_id from articles where title = ?", [title]
    ).fetchone()


async def test_old_text_goes_while_titles_links_dates_stories_and_people_stay(db, store, clock):
    add(db, clock, OLD_DAYS, [YERMAK])
    add(db, clock, 10, [("Fresh talks in Geneva", "Delegations met about quokkaharbour shipping.")])
    before = row(db, YERMAK[0])
    mentions = db.execute("select count(*) from person_mentions").fetchone()[0]

    report = await prune_old_text(store, 400, clock.now())

    assert report is not None and report.pruned == 1
    summary, body, pruned_at, *kept = row(db, YERMAK[0])
    assert (summary, body, pruned_at) == ("", "", iso(clock.now()))
    assert kept == list(before[3:])
    assert row(db, "Fresh talks in Geneva")[:3] == (
        "summary of Fresh talks in Geneva",
        "Delegations met about quokkaharbour shipping.",
        None,
    )
    assert db.execute("select count(*) from person_mentions").fetchone()[0] == mentions > 0
    assert (
        db.execute(
            "select count(*) from story_vectors where article_id = (select id from articles where title = ?)",
            [YERMAK[0]],
        ).fetchone()[0]
        == 0
    )


async def test_search_keeps_old_titles_and_forgets_old_text(db, store, clock):
    add(db, clock, OLD_DAYS, [YERMAK])
    add(db, clock, 10, [("Fresh talks in Geneva", "Delegations met about quokkaharbour shipping.")])
    assert search_articles(db, "zeppelinfield")

    await prune_old_text(store, 400, clock.now())

    assert search_articles(db, "zeppelinfield") == []
    assert [r["title"] for r in search_articles(db, "Sautter Berlin")] == [YERMAK[0]]
    assert search_articles(db, "quokkaharbour")
    db.execute("insert into articles_fts (articles_fts) values ('integrity-check')")  # raises when out of step


async def test_who_history_survives_pruning(db, store, clock):
    add(db, clock, OLD_DAYS, [YERMAK])
    before = who(db, "Yermak", tz="UTC").plain()
    assert "head of the Presidential Office" in before and YERMAK[0] in before

    await prune_old_text(store, 400, clock.now())

    assert who(db, "Yermak", tz="UTC").plain() == before


async def test_pruning_runs_in_batches_and_counts_once(db, store, clock):
    add(db, clock, OLD_DAYS, [(f"Old report {n}", f"Body number {n} of an old report.") for n in range(7)])

    first = await prune_old_text(store, 400, clock.now(), batch=3, pause=0)
    clock.advance(days=1)
    second = await prune_old_text(store, 400, clock.now(), batch=3, pause=0)

    assert (first.pruned, second.pruned) == (7, 0)
    assert db.execute("select count(*) from articles where body != ''").fetchone()[0] == 0
    summary = retention_summary(db)
    assert summary["article texts pruned"] == "7"
    assert summary["last prune"].startswith(f"{iso(clock.now())[:10]} 10:00: 0 articles older than ")


async def test_keep_days_zero_keeps_everything(db, store, clock):
    add(db, clock, 3000, [YERMAK])
    assert await prune_old_text(store, 0, clock.now()) is None
    assert row(db, YERMAK[0])[1] == YERMAK[1]
    assert retention_summary(db)["last prune"] == "never"


async def test_only_articles_both_old_and_long_stored_and_fully_processed_lose_text(db, store, clock):
    add(db, clock, 1, [("Archive import", "An old report stored yesterday.")], published_days_ago=OLD_DAYS)
    add(db, clock, 399, [("Almost old", "Not old enough yet.")])
    add(db, clock, OLD_DAYS, [("Never enriched", "Still waiting for its story.")], enrich=False)

    report = await prune_old_text(store, 400, clock.now())

    assert report.pruned == 0
    assert db.execute("select count(*) from articles where body = ''").fetchone()[0] == 0


async def test_freed_space_goes_back_to_the_file_system(db, store, clock):
    big = "Diplomats met again to talk about the ceasefire and its guarantees. " * 300
    add(db, clock, OLD_DAYS, [(f"Long report {n}", f"{n} {big}") for n in range(60)])
    add(db, clock, 1, [("Today", "Short.")])
    assert auto_vacuum_mode(db) == INCREMENTAL
    pages_before = db.execute("pragma page_count").fetchone()[0]

    report = await prune_old_text(store, 400, clock.now())

    assert report.pruned == 60 and report.freed_bytes > 500_000
    assert free_pages(db) == 0
    assert db.execute("pragma page_count").fetchone()[0] < pages_before / 2
    assert "returned" in retention_summary(db)["last prune"]


def test_an_existing_file_without_incremental_vacuum_is_converted_once_when_small(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("create table leftover (x)")  # a file made before incremental vacuum: mode none
    conn.commit()
    conn.close()
    db = open_database(path)
    assert auto_vacuum_mode(db) == INCREMENTAL
    assert db.execute("select count(*) from articles").fetchone()[0] == 0
    db.close()


def test_a_big_existing_file_is_left_as_it_is():
    db = open_database(":memory:")
    db.conn.executescript("PRAGMA auto_vacuum = NONE; VACUUM")
    assert not convert_to_incremental(db, max_bytes=0)
    assert auto_vacuum_mode(db) == 0


async def test_the_daily_job_uses_keep_days_and_is_scheduled(db, store, config, clock):
    add(db, clock, 31, [YERMAK])
    jobs = Jobs(store, fetcher=None, config=replace(config, store=replace(config.store, keep_days=30)), clock=clock)
    assert await jobs.retention() == 1
    job = build_scheduler(jobs, "UTC").get_job("retention")
    assert job.trigger.interval == timedelta(hours=RETENTION_EVERY_H)
    assert job.next_run_time > clock.now()


def test_stats_shows_size_and_what_was_pruned(tmp_path):
    config = tmp_path / "diplobot.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "s.db"}"\nkeep_days = 90\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "stats"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for line in ("database size", "article texts pruned", "last prune", "never", "article text kept", "90 days"):
        assert line in result.output
