"""Migrations are defined, and so applied, in numeric order; databases migrated in an older order stay valid."""

import re

from sqlite_utils import Database

from diplobot.store.db import open_database
from diplobot.store.migrations import MIGRATIONS

NAME = re.compile(r"^m(\d{3})_[a-z0-9_]+$")


def defined_names() -> list[str]:
    return [migration.name for migration in MIGRATIONS.pending(Database(memory=True))]


def test_migration_names_are_numbered_and_strictly_increasing():
    names = defined_names()
    assert names and all(NAME.match(name) for name in names), names
    numbers = [int(NAME.match(name)[1]) for name in names]
    assert numbers == sorted(set(numbers)), f"migrations out of numeric order: {names}"


def test_a_fresh_database_applies_them_in_numeric_order(tmp_path):
    db = open_database(tmp_path / "fresh.db")
    applied = [m.name for m in MIGRATIONS.applied(db)]  # in the order they were recorded
    assert applied == defined_names()
    assert applied == sorted(applied)


def test_a_database_migrated_in_the_old_order_has_nothing_pending(tmp_path):
    """Files created before the reordering recorded m005 before m003 and m002: the same names, all applied."""
    db = Database(tmp_path / "old.db")
    MIGRATIONS.ensure_migrations_table(db)
    old_order = ["m001_core", "m005_digests", "m003_stories", "m006_ingest_stages", "m002_people"]
    by_name = {m.name: m for m in MIGRATIONS.pending(db)}
    for name in old_order:
        with db.atomic():
            by_name[name].fn(db)
            MIGRATIONS._record_applied(db, name)
    MIGRATIONS.apply(db)
    assert MIGRATIONS.pending(db) == []
    assert [m.name for m in MIGRATIONS.applied(db)][: len(old_order)] == old_order
    assert {m.name for m in MIGRATIONS.applied(db)} == set(defined_names())


def test_rebuilding_the_alerts_table_keeps_every_alert_and_dates_the_pending_ones(tmp_path):
    db = Database(tmp_path / "before.db")
    db.execute("PRAGMA foreign_keys = ON")
    MIGRATIONS.apply(db, stop_before="m016_alerts_rebuilt")
    db.execute("insert into chats (id, platform, kind, created_at) values ('t:1', 'test', 'private', '2025-09-01')")
    for n, published in ((1, "2025-09-02T08:00:00+00:00"), (2, None)):
        db.execute(
            "insert into articles (id, title, fetched_at, content_hash, published_at) values (?, 'T', ?, ?, ?)",
            [n, "2025-09-03T08:00:00+00:00", f"h{n}", published],
        )
    db.execute(
        "insert into alerts (chat_id, article_id, story_id, topics, next_attempt_at, created_at, state, held) "
        "values ('t:1', 1, 1, '[]', '2025-09-03', '2025-09-03', 'pending', 1), "
        "('t:1', 2, 2, '[]', '2025-09-03', '2025-09-03', 'sent', 0)"
    )
    MIGRATIONS.apply(db)
    rows = db.execute("select article_id, state, held, news_at from alerts order by id").fetchall()
    assert rows == [(1, "pending", 1, "2025-09-02T08:00:00+00:00"), (2, "sent", 0, None)]
    indexes = {row[0] for row in db.execute("select name from sqlite_master where tbl_name = 'alerts'")}
    assert {"alerts_due", "alerts_pending_news", "alerts_held"} <= indexes
    db.execute(
        "insert into alerts (chat_id, article_id, story_id, topics, next_attempt_at, created_at) "
        "values ('t:1', 1, 1, '[]', '2025-09-04', '2025-09-04') on conflict(story_id, chat_id) do nothing"
    )
    assert db.execute("select count(*) from alerts").fetchone()[0] == 2  # still one alert per (story, chat)
