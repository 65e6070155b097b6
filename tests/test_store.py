"""The store: schema, permissions, dedup, outbox states, and the one DB thread."""

import os
import threading

import pytest

from diplobot.store import alerts, articles, chats, sources, subscriptions
from diplobot.store.db import open_database, schema_version
from diplobot.store.worker import Store

NOW = "2025-09-04T10:00:00+00:00"


def article(**changes):
    values = dict(
        title="Talks in Paris",
        summary="",
        body="Yermak met Witkoff.",
        url="https://x.org/a",
        canonical_url="https://x.org/a",
        guid=None,
        published_at=NOW,
        fetched_at=NOW,
        content_hash="h1",
    )
    values.update(changes)
    return articles.NewArticle(**values)


@pytest.fixture
def db(tmp_path):
    return open_database(tmp_path / "t.db")


def test_database_file_is_private_and_migrated(tmp_path):
    db = open_database(tmp_path / "new.db")
    assert os.stat(tmp_path / "new.db").st_mode & 0o777 == 0o600
    assert schema_version(db) >= 1
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert db.execute("pragma foreign_keys").fetchone()[0] == 1


def test_same_url_guid_or_body_is_stored_once(db):
    first = articles.insert_article(db, article())
    assert first is not None
    assert articles.insert_article(db, article(content_hash="other")) is None  # same canonical URL
    assert articles.insert_article(db, article(canonical_url=None, url=None, content_hash="h1")) is None
    assert articles.insert_article(db, article(canonical_url="https://y", guid=None, content_hash="h2"))
    assert articles.insert_article(db, article(canonical_url="https://z", guid="g", content_hash="h3"))
    assert articles.insert_article(db, article(canonical_url="https://w", guid="g", content_hash="h4")) is None
    assert articles.article_counts(db)["articles"] == 3


def test_a_new_article_is_its_own_story_until_grouped(db):
    article_id = articles.insert_article(db, article())
    assert articles.get_article(db, article_id)["story_id"] == article_id


@pytest.mark.parametrize("text", ['Sanctions "X', "NOT yet", "u.s. (talks", "foo-bar", "*", '"', "'; drop table"])
def test_search_survives_hostile_text(db, text):
    articles.insert_article(db, article(title="Sanctions and talks", body="foo bar yet u.s. talks"))
    assert isinstance(articles.search_articles(db, text), list)


def test_search_marks_hits_in_the_snippet(db):
    articles.insert_article(db, article(body="The coalition of the willing met in Paris."))
    (row,) = articles.search_articles(db, "willing")
    assert "\x02willing\x03" in row["snippet"]


def test_one_alert_per_chat_and_story(db):
    chats.ensure_chat(db, "console:local", timezone="UTC", now=NOW)
    article_id = articles.insert_article(db, article())
    kwargs = dict(
        chat_id="console:local", article_id=article_id, story_id=article_id, topics=[], next_attempt_at=NOW, now=NOW
    )
    assert alerts.create_alert(db, **kwargs)
    assert alerts.create_alert(db, **kwargs) is None
    assert alerts.alert_counts(db)["pending"] == 1


def test_due_alerts_skip_muted_and_inactive_chats(db):
    for chat in ("telegram:1", "telegram:2", "telegram:3"):
        chats.ensure_chat(db, chat, timezone="UTC", now=NOW)
        article_id = articles.insert_article(db, article(canonical_url=chat, content_hash=chat))
        alerts.create_alert(
            db, chat_id=chat, article_id=article_id, story_id=article_id, topics=[], next_attempt_at=NOW, now=NOW
        )
    chats.update_chat(db, "telegram:2", muted_until="2099-01-01T00:00:00+00:00")
    chats.set_inactive(db, "telegram:3", "blocked")
    due = alerts.due_alerts(db, "telegram", NOW)
    assert [a["chat_id"] for a in due] == ["telegram:1"]
    assert alerts.alert_counts(db)["failed"] == 1


def test_subscriptions_bump_the_revision_and_start_after_stored_articles(db):
    chats.ensure_chat(db, "console:local", timezone="UTC", now=NOW)
    articles.insert_article(db, article())
    before = subscriptions.subscriptions_revision(db)
    sub_id = subscriptions.add_subscription(db, "console:local", "ceasefire", NOW)
    assert subscriptions.add_subscription(db, "console:local", "ceasefire", NOW) is None
    assert subscriptions.subscriptions_revision(db) == before + 1
    assert subscriptions.chat_subscriptions(db, "console:local")[0]["since_article_id"] == 1
    assert subscriptions.remove_subscription(db, "console:local", sub_id)
    assert subscriptions.subscriptions_revision(db) == before + 2


def test_a_moved_chat_keeps_its_topics_alerts_and_settings_and_merges_with_the_new_id(db):
    old, new = "telegram:-42", "telegram:-10042"
    chats.ensure_chat(db, old, kind="group", title="Desk", timezone="Europe/Kyiv", now=NOW)
    chats.ensure_chat(db, new, kind="supergroup", timezone="UTC", now=NOW)  # already spoke to the bot
    for query in ("ceasefire", "grain corridor"):
        subscriptions.add_subscription(db, old, query, NOW)
    subscriptions.add_subscription(db, new, "ceasefire", NOW)
    article_id = articles.insert_article(db, article())
    alerts.create_alert(
        db, chat_id=old, article_id=article_id, story_id=article_id, topics=[], next_attempt_at=NOW, now=NOW
    )
    revision = subscriptions.subscriptions_revision(db)

    assert chats.move_chat(db, old, "-10042") == new
    assert sorted(s["query"] for s in subscriptions.chat_subscriptions(db, new)) == ["ceasefire", "grain corridor"]
    assert [a["chat_id"] for a in alerts.due_alerts(db, "telegram", NOW)] == [new]
    assert chats.get_chat(db, new)["timezone"] == "UTC"  # the new chat's own settings win
    assert chats.get_chat(db, old)["active"] == 0 and subscriptions.subscriptions_revision(db) > revision
    assert chats.move_chat(db, old, "-10042") == new  # Telegram announces it twice: idempotent
    assert len(subscriptions.chat_subscriptions(db, new)) == 2


def test_a_moved_chat_that_the_bot_never_saw_under_its_new_id_takes_its_settings_along(db):
    chats.ensure_chat(db, "telegram:-7", kind="group", title="Desk", timezone="Europe/Kyiv", now=NOW)
    chats.update_chat(db, "telegram:-7", digest_time="08:00")
    chats.move_chat(db, "telegram:-7", "-1007")
    moved = chats.get_chat(db, "telegram:-1007")
    assert (moved["kind"], moved["title"], moved["timezone"], moved["digest_time"], moved["active"]) == (
        "supergroup",
        "Desk",
        "Europe/Kyiv",
        "08:00",
        1,
    )


def test_a_source_is_paused_after_repeated_failures(db):
    source_id = sources.upsert_source(
        db, "https://x.org/rss", kind="feed", every_s=600, full_text=False, title=None, now=NOW
    )
    for _ in range(2):
        paused = sources.record_failure(db, source_id, error="HTTP 500", now=NOW, retry_in_s=60, max_failures=3)
        assert not paused
    assert sources.record_failure(db, source_id, error="HTTP 500", now=NOW, retry_in_s=60, max_failures=3)
    (row,) = sources.list_sources(db)
    assert row["paused"] and "3 failures in a row: HTTP 500" in row["paused_reason"]
    assert sources.due_sources(db, "2099-01-01T00:00:00+00:00") == []


async def test_store_runs_every_call_on_one_thread(tmp_path):
    async with Store(tmp_path / "t.db") as store:
        names = {await store.run(lambda db: threading.current_thread().name) for _ in range(5)}
    assert len(names) == 1 and names.pop().startswith("diplobot-db")
