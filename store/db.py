"""Opening the database: file permissions, pragmas, migrations, and writes that several processes share.

The bot, a cron `diplobot ingest` and `diplobot poll` may all write to one file at once. SQLite lets
one writer in at a time; a transaction that starts as a reader and later writes cannot wait for the
lock (SQLITE_BUSY at once, whatever the busy timeout), so every write transaction here begins
IMMEDIATE, which does wait.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Generator, Iterator
from pathlib import Path

from sqlite_utils import Database

from diplobot.store.migrations import MIGRATIONS
from diplobot.store.retention import convert_to_incremental, prepare_auto_vacuum

BUSY_TIMEOUT_S = 30


class SharedDatabase(Database):
    """sqlite-utils' Database whose outermost `atomic()` takes the write lock at its start."""

    @contextlib.contextmanager
    def atomic(self) -> Generator[Database, None, None]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.rollback()
            raise


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
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    db = SharedDatabase(conn)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
    if path == ":memory:":
        MIGRATIONS.apply(db)
        return db
    with _schema_lock(path):  # two processes opening a new file must not both create its tables
        prepare_auto_vacuum(db)  # before the first table: retention hands freed pages back (store/retention.py)
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        MIGRATIONS.apply(db)
        convert_to_incremental(db)  # a file made before that: once, when small
    return db


@contextlib.contextmanager
def _schema_lock(path: str) -> Iterator[None]:
    with open(path + ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def is_locked(exc: BaseException) -> bool:
    """SQLite gave up waiting for another process's write lock (it held it past the busy timeout)."""
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


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
