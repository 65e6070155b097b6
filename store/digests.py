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


def finish_digest(
    db: Database, digest_id: int, *, now: str, message_id: str | None = None, error: str | None = None
) -> None:
    """The digest went out (or, with `error`, never will); its built text is no longer needed."""
    db.execute(
        "update digests set state = ?, sent_at = ?, message_id = ?, last_error = ?, reply = null where id = ?",
        ["failed" if error else "sent", now, message_id, error, digest_id],
    )


def queue_digest(db: Database, digest_id: int, *, reply_json: str, now: str) -> None:
    """A built digest goes to the outbox: state 'ready' until a delivery worker sends it."""
    db.execute(
        "update digests set state = 'ready', reply = ?, next_attempt_at = ? where id = ?", [reply_json, now, digest_id]
    )


def due_digests(
    db: Database, platform: str, now: str, *, exclude: tuple[str, ...] = (), limit: int = 100
) -> list[dict[str, Any]]:
    """Built digests whose time has come, for active chats of one platform not in `exclude`."""
    return list(
        db.query(
            f"""select d.*, c.kind as chat_kind from digests d join chats c on c.id = d.chat_id
            where d.state = 'ready' and d.next_attempt_at <= ? and c.platform = ? and c.active = 1
              and d.chat_id not in ({",".join("?" * len(exclude))})
            order by d.next_attempt_at, d.id limit ?""",
            [now, platform, *exclude, limit],
        )
    )


def retry_digest(db: Database, digest_id: int, *, error: str, next_attempt_at: str) -> None:
    db.execute(
        "update digests set attempts = attempts + 1, last_error = ?, next_attempt_at = ? where id = ?",
        [error, next_attempt_at, digest_id],
    )


def release_digest(db: Database, digest_id: int) -> None:
    """Give a claimed period back (sending failed for a reason worth retrying)."""
    db.execute("delete from digests where id = ?", [digest_id])


def last_digest_end(db: Database, chat_id: str) -> str | None:
    row = db.execute("select max(period_end) from digests where chat_id = ? and state = 'sent'", [chat_id]).fetchone()
    return row[0]


def chat_digests(db: Database, chat_id: str) -> list[dict[str, Any]]:
    return list(db.query("select * from digests where chat_id = ? order by id", [chat_id]))
