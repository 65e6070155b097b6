"""Isolation: untrusted or heavy work runs where a limit stops it, and commands never wait for batch work."""

import asyncio
import sqlite3
import threading
from datetime import timedelta

import pytest
import sandbox_probe

from diplobot.clock import iso
from diplobot.handlers.incoming import Incoming
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import MAX_TITLE_CHARS, Pipeline, ingest_drafts, store_drafts
from diplobot.poller import poll_due
from diplobot.sandbox import LimitExceeded, Limits, Sandbox
from diplobot.store import alerts, articles, sources
from diplobot.texts import clip


@pytest.fixture
def sandbox():
    with Sandbox(Limits(cpu_s=1, memory_mb=512, timeout_s=60), processes=1) as box:
        yield box


@pytest.mark.slow
async def test_a_task_that_spins_is_stopped_by_the_cpu_limit_and_the_pool_goes_on(sandbox):
    with pytest.raises(LimitExceeded, match="CPU time"):
        await sandbox.run(sandbox_probe.spin_forever)
    assert await sandbox.run(sandbox_probe.add, 2, 3) == 5


async def test_a_task_that_hangs_is_stopped_by_the_wall_clock_limit():
    with Sandbox(Limits(cpu_s=5, memory_mb=512, timeout_s=0.5), processes=1) as box:
        with pytest.raises(LimitExceeded, match=r"longer than 0\.5 s"):
            await box.run(sandbox_probe.sleep_for, 30)
        assert await box.run(sandbox_probe.sleep_for, 0) == "slept"


async def test_a_task_that_wants_too_much_memory_is_stopped(sandbox):
    with pytest.raises(LimitExceeded, match="more than 512 MB"):
        await sandbox.run(sandbox_probe.allocate, 2048)
    assert await sandbox.run(sandbox_probe.allocate, 1) == 1024 * 1024


async def test_a_task_error_comes_back_as_itself(sandbox):
    with pytest.raises(ValueError, match="odd input"):
        await sandbox.run(sandbox_probe.fail_with, "odd input")


def test_titles_are_clipped_at_a_word_boundary():
    title = "ceasefire " * 1000
    clipped = clip(title, MAX_TITLE_CHARS)
    assert len(clipped) <= MAX_TITLE_CHARS and clipped.endswith("ceasefire…")
    assert clip("short title", MAX_TITLE_CHARS) == "short title"


async def test_an_eight_megabyte_title_is_stored_clipped(store):
    await store.run(
        store_drafts,
        [ArticleDraft(title="talks " * 1_400_000, body="Envoys met.")],
        source_id=None,
        now="2025-09-04T10:00:00Z",
    )
    (row,) = await store.run(articles.latest_articles, 1)
    assert len(row["title"]) <= MAX_TITLE_CHARS


class AlwaysOverLimit:
    """A sandbox whose every task is stopped by its limit."""

    async def run(self, fn, *args, **kwargs):
        raise LimitExceeded("took longer than 1 s and was stopped")


async def test_an_article_whose_analysis_hits_a_limit_is_marked_and_still_alerts(store, chat, clock):
    await chat("/subscribe ceasefire")
    await store.run(
        store_drafts,
        [
            ArticleDraft(title="Ceasefire holds", body="The ceasefire held overnight."),
            ArticleDraft(title="Truce talks", body="A ceasefire is discussed."),
        ],
        source_id=None,
        now="2025-09-04T10:00:00Z",
    )
    # Workers whose every task hits its limit stand in for hostile articles, however fast the machine (a real
    # wall-clock limit too short for any analysis still let a warm worker finish a small article first).
    created = await Pipeline(store, AlwaysOverLimit(), clock=clock).enrich_and_match(clock.now())  # type: ignore[arg-type]
    assert created == 2
    counts = await store.run(articles.article_counts)
    assert counts["enrichment failed"] == 2 and counts["unenriched"] == 0


async def test_articles_are_enriched_in_a_worker_process(store, clock):
    await store.run(
        store_drafts,
        [ArticleDraft(title="Envoys meet", body="Steve Witkoff met Rustem Umerov.")],
        source_id=None,
        now="2025-09-04T10:00:00Z",
    )
    with Sandbox(processes=1) as box:
        await Pipeline(store, box, clock=clock).enrich_and_match(clock.now())
    counts = await store.run(articles.article_counts)
    assert counts["unenriched"] == 0 and counts["enrichment failed"] == 0


async def test_a_command_is_answered_while_batch_work_holds_the_write_lock(config, store, dispatcher):
    """The batch lane (another connection) holds a write transaction open until /help has been answered:
    were /help to need the write lock, it would wait for it and this test would time out."""
    await dispatcher.handle(Incoming(chat_id="test:1", user_id="test:u1", text="/help"))  # the chat exists
    answered = threading.Event()

    def hold_write_lock() -> None:
        conn = sqlite3.connect(config.store.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("update meta set value = value where 0")
        answered.wait(30)
        conn.execute("COMMIT")
        conn.close()

    holder = asyncio.create_task(asyncio.to_thread(hold_write_lock))
    await asyncio.sleep(0.2)
    for text in ("/help", "/topics", "/latest", "/search ceasefire", "/who Witkoff"):
        reply = await asyncio.wait_for(
            dispatcher.handle(Incoming(chat_id="test:1", user_id="test:u1", text=text)), timeout=10
        )
        assert reply.plain()
    answered.set()
    await holder


async def test_a_feed_whose_parsing_hits_a_limit_fails_that_source_only_and_backs_off(
    httpserver, store, fetcher, config, clock
):
    items = "".join(f"<item><title>Item {i}</title><link>https://wire.example/{i}</link></item>" for i in range(5000))
    httpserver.expect_request("/feed.xml").respond_with_data(
        f"<rss version='2.0'><channel>{items}</channel></rss>", content_type="application/rss+xml"
    )
    url = httpserver.url_for("/feed.xml")
    await store.run(
        sources.upsert_source, url, kind="feed", every_s=60, full_text=False, title=None, now=iso(clock.now())
    )
    # A wall-clock limit too short for parsing this feed stands in for a hostile one.
    with Sandbox(Limits(cpu_s=5, memory_mb=1024, timeout_s=0.001), processes=1) as box:
        (result,) = await poll_due(store, fetcher, config.ingest, clock.now(), runner=box)
    assert result.error == "reading it took longer than 0.001 s and was stopped"
    (source,) = await store.run(sources.list_sources)
    assert source["error_count"] == 1 and "took longer" in source["last_error"]
    assert source["next_poll_at"] > iso(clock.now())


async def test_a_store_call_that_leaves_a_transaction_open_cannot_stall_other_connections(store, caplog):
    def forgets_to_commit(db):
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("update meta set value = value where 0")

    await store.run(forgets_to_commit)
    assert "left a transaction open" in caplog.text
    other = sqlite3.connect(store.path, timeout=0.1)
    with other:
        other.execute("update meta set value = value where 0")  # the write lock is free
    other.close()


async def test_a_breaking_story_is_not_queued_behind_a_backlog_of_alerts(store, chat, clock):
    await chat("/subscribe ceasefire", chat_id="test:backlog")
    await chat("/subscribe zanzibar corridor", chat_id="test:watcher")
    backlog = [
        ArticleDraft(
            title=f"Ceasefire report {i}", body=f"The ceasefire held in town {i}.", url=f"https://wire.example/{i}"
        )
        for i in range(120)
    ]
    await ingest_drafts(store, backlog, now=clock.now())
    await ingest_drafts(
        store,
        [
            ArticleDraft(
                title="Zanzibar corridor talks", body="Talks on the zanzibar corridor.", url="https://wire.example/z"
            )
        ],
        now=clock.now(),
    )
    due = await store.run(alerts.due_alerts, "test", iso(clock.now()), 2, per_chat=1)
    assert [a["chat_id"] for a in due] == ["test:watcher", "test:backlog"]
    # the outbox's quick look, while it is busy with many chats, finds it too
    newest = await store.run(alerts.newest_due_alerts, "test", iso(clock.now()), exclude=("test:backlog",))
    assert [a["chat_id"] for a in newest] == ["test:watcher"]


async def test_a_breaking_story_matched_before_an_import_of_older_news_still_goes_first(store, chat, clock):
    """The import's alerts are created after the live item's (higher ids), but theirs is older news."""
    await chat("/subscribe ceasefire", chat_id="test:backlog")
    await chat("/subscribe zanzibar corridor", chat_id="test:watcher")
    live = ArticleDraft(
        title="Zanzibar corridor talks", body="Talks on the zanzibar corridor.", url="https://w.example/z"
    )
    await ingest_drafts(store, [live], now=clock.now())
    archive = [
        ArticleDraft(
            title=f"Ceasefire report {i}",
            body=f"The ceasefire held in town {i}.",
            url=f"https://wire.example/{i}",
            published_at=clock.now() - timedelta(days=30, minutes=i),
        )
        for i in range(60)
    ]
    await ingest_drafts(store, archive, now=clock.now())
    due = await store.run(alerts.due_alerts, "test", iso(clock.now()), 2, per_chat=1)
    assert [a["chat_id"] for a in due] == ["test:watcher", "test:backlog"]
    newest = await store.run(alerts.newest_due_alerts, "test", iso(clock.now()))
    assert newest[0]["chat_id"] == "test:watcher"


async def test_news_from_polled_sources_is_enriched_and_matched_before_an_import_backlog(store, clock):
    now = iso(clock.now())
    await store.run(
        store_drafts,
        [ArticleDraft(title=f"Archive {i}", body=f"Old report {i}.") for i in range(30)],
        source_id=None,
        now=now,
    )
    source_id = await store.run(
        sources.upsert_source,
        "https://wire.example/feed",
        kind="feed",
        every_s=60,
        full_text=False,
        title=None,
        now=now,
    )
    await store.run(
        store_drafts, [ArticleDraft(title="Breaking", body="Envoys met today.")], source_id=source_id, now=now
    )
    (first, *rest) = await store.run(articles.unenriched_ids, 5)
    assert first == 31 and rest == [1, 2, 3, 4]


def test_new_spellings_rebuild_the_matcher_at_once_but_not_at_every_step_of_a_backlog(tmp_path):
    from diplobot.pipeline import SPELLINGS_REBUILD_S, MatchState
    from diplobot.store.db import open_database
    from diplobot.store.people import _VARIANTS_KEY

    db = open_database(tmp_path / "m.db")
    now = [1000.0]
    state = MatchState(monotonic=lambda: now[0])

    def new_spelling(n: int) -> None:
        db.execute(
            "insert into meta (key, value) values (?, ?) on conflict(key) do update set value = excluded.value",
            [_VARIANTS_KEY, str(n)],
        )

    state.refresh(db)
    first = state.matcher
    now[0] += SPELLINGS_REBUILD_S + 1  # quiet for a while: a new spelling is news, rebuilt at once
    new_spelling(1)
    state.refresh(db)
    assert state.matcher is not first
    second = state.matcher
    now[0] += 1  # a backlog keeps adding spellings: the next rebuild waits for the interval
    new_spelling(2)
    state.refresh(db)
    assert state.matcher is second
    now[0] += SPELLINGS_REBUILD_S
    state.refresh(db)
    assert state.matcher is not second and state.revision[1] == 2
    db.close()
