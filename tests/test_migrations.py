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
