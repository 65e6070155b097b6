"""Digest bookkeeping: which period each chat has had, so none is sent twice, even across restarts."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database


def claim_digest(db: Database, chat_id: str, period_key: str, start: str, end: str) -> int | None:
    """Reserve a period for sending; None when it was already claimed (sent or in flight)."""
    try:
        cursor = db.execute(
            """insert into digests (chat_id, period_key, period_start, period_end)
               values (?, ?, ?, ?)""",
            [chat_id, period_key, start, end],
        )
    except sqlite3.IntegrityError:
        return None
    return cursor.lastrowid


def finish_digest(db: Database, digest_id: int, *, now: str, message_id: str | None = None,
                  error: str | None = None) -> None:
    db.execute(
        "update digests set state = ?, sent_at = ?, message_id = ?, last_error = ? where id = ?",
        ["failed" if error else "sent", now, message_id, error, digest_id],
    )


def release_digest(db: Database, digest_id: int) -> None:
    """Give a claimed period back (sending failed for a reason worth retrying)."""
    db.execute("delete from digests where id = ?", [digest_id])


def last_digest_end(db: Database, chat_id: str) -> str | None:
    row = db.execute(
        "select max(period_end) from digests where chat_id = ? and state = 'sent'", [chat_id]
    ).fetchone()
    return row[0]


def chat_digests(db: Database, chat_id: str) -> list[dict[str, Any]]:
    return list(db.query("select * from digests where chat_id = ? order by id", [chat_id]))
