"""Alerts for many chats at once (matching writes one article's alerts together): the same rows as one at a time."""

import json

import pytest

from diplobot.store import alerts, chats
from diplobot.store.db import open_database

NOW = "2025-09-04T10:00:00+00:00"
TOPICS = [
    {
        "id": 1,
        "query": "ceasefire",
        "describe": "ceasefire",
        "phrase": "ceasefire",
        "field": "title",
        "start": 0,
        "end": 9,
    }
]


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "t.db")
    for n in range(4):
        chats.ensure_chat(database, f"test:{n}", timezone="UTC", now=NOW)
    database["articles"].insert_all(
        {"id": i, "title": f"Article {i}", "fetched_at": NOW, "content_hash": str(i), "story_id": 1} for i in (1, 2)
    )
    yield database
    database.close()


def rows(db):
    return [
        dict(r)
        for r in db.query(
            "select chat_id, article_id, story_id, topics, next_attempt_at, created_at, "
            "held, state, edit_pending from alerts order by chat_id"
        )
    ]


def test_a_batch_writes_the_rows_one_call_per_chat_would(db, tmp_path):
    other = open_database(tmp_path / "other.db")
    for n in range(4):
        chats.ensure_chat(other, f"test:{n}", timezone="UTC", now=NOW)
    other["articles"].insert({"id": 1, "title": "Article 1", "fetched_at": NOW, "content_hash": "1", "story_id": 1})
    plan = [(f"test:{n}", "2025-09-04T22:00:00+00:00" if n == 2 else NOW, n == 2) for n in range(3)]
    with db.atomic():
        created = alerts.create_alerts(
            db,
            article_id=1,
            story_id=1,
            now=NOW,
            new=[alerts.NewAlert(chat_id, json.dumps(TOPICS), when, held) for chat_id, when, held in plan],
        )
    for chat_id, when, held in plan:
        alerts.create_alert(
            other, chat_id=chat_id, article_id=1, story_id=1, topics=TOPICS, next_attempt_at=when, now=NOW, held=held
        )
    assert created == 3
    assert rows(db) == rows(other)
    other.close()


def test_chats_that_have_the_story_get_no_second_alert_and_a_sent_one_is_flagged_for_an_edit(db):
    def queue(article_id, chat_ids):
        with db.atomic():
            return alerts.create_alerts(
                db,
                article_id=article_id,
                story_id=1,
                now=NOW,
                new=[alerts.NewAlert(chat_id, json.dumps(TOPICS), NOW) for chat_id in chat_ids],
            )

    assert queue(1, ["test:0", "test:1"]) == 2
    (sent,) = [r["id"] for r in db.query("select id from alerts where chat_id = 'test:0'")]
    alerts.mark_sent(db, sent, message_id="m1", now=NOW)
    assert queue(2, ["test:0", "test:1", "test:2"]) == 1  # another outlet's copy of the story
    flagged = {r["chat_id"]: r["edit_pending"] for r in rows(db)}
    assert flagged == {"test:0": 1, "test:1": 0, "test:2": 0}  # only the sent alert is edited
    assert queue(2, []) == 0


def test_only_chats_taking_instant_alerts_are_offered(db):
    chats.update_chat(db, "test:1", alerts_mode="digest")
    found = alerts.alerting_chats(db, ["test:0", "test:1", "test:9"])
    assert set(found) == {"test:0"} and found["test:0"]["timezone"] == "UTC"
