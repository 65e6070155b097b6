"""Opening the database: file permissions, pragmas and migrations."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from diplobot.store.migrations import MIGRATIONS


def open_database(path: str | Path) -> Database:
    """Open (creating if needed) the SQLite file with WAL, foreign keys and the current schema.

    A new file is created with mode 0600: it holds chat ids and subscriptions.
    """
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if not os.path.exists(path):
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        os.chmod(path, 0o600)
    conn = sqlite3.connect(path, timeout=30)
    db = Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    if path != ":memory:":
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
    MIGRATIONS.apply(db)
    return db


def schema_version(db: Database) -> int:
    """How many migrations the file has applied."""
    if not db["_sqlite_migrations"].exists():
        return 0
    return db.execute("select count(*) from _sqlite_migrations").fetchone()[0]


def quick_check(db: Database) -> str:
    """SQLite's own consistency check: "ok" or what is wrong."""
    return db.execute("pragma quick_check").fetchone()[0]


def ping(db: Database) -> None:
    """A trivial query: the database answers."""
    db.execute("select 1").fetchone()
