"""Sources: what to poll, when, and how it went."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from diplobot.clock import from_iso, iso


def upsert_source(
    db: Database,
    url: str,
    *,
    kind: str,
    every_s: int,
    full_text: bool,
    title: str | None,
    now: str,
    origin: str = "cli",
) -> int:
    """Add a source, or update the settings of the one with this URL; returns its id.

    `origin`: "config" or "sample" for sources synced from the config at start-up, "cli" for the rest.
    """
    db.execute(
        """insert into sources (url, kind, every_s, full_text, title, created_at, next_poll_at, origin)
           values (?, ?, ?, ?, ?, ?, ?, ?)
           on conflict(url) do update set kind = excluded.kind, every_s = excluded.every_s,
               full_text = excluded.full_text, title = coalesce(excluded.title, sources.title),
               origin = excluded.origin""",
        [url, kind, every_s, int(full_text), title or None, now, now, origin],
    )
    return db.execute("select id from sources where url = ?", [url]).fetchone()[0]


def remove_unlisted(db: Database, keep: list[str], origins: tuple[str, ...]) -> list[str]:
    """Remove the sources of these origins whose URL is not in `keep` (their articles stay); returns their URLs."""
    with db.atomic():  # a statement with RETURNING is not committed by sqlite-utils on its own
        rows = db.execute(
            f"""delete from sources where origin in ({",".join("?" * len(origins))})
                and url not in (select value from json_each(?)) returning url""",
            [*origins, json.dumps(keep)],
        ).fetchall()
    return [row[0] for row in rows]


def remove_source(db: Database, key: str) -> bool:
    """Remove by id or URL; stored articles stay."""
    cursor = db.execute("delete from sources where url = ? or cast(id as text) = ?", [key, key])
    return cursor.rowcount > 0


def list_sources(db: Database) -> list[dict[str, Any]]:
    return list(db.query("select * from sources order by id"))


def get_source(db: Database, source_id: int) -> dict[str, Any] | None:
    rows = list(db.query("select * from sources where id = ?", [source_id]))
    return rows[0] if rows else None


def due_sources(db: Database, now: str) -> list[dict[str, Any]]:
    """Sources not paused whose next poll time has come."""
    return list(
        db.query(
            "select * from sources where paused = 0 and (next_poll_at is null or next_poll_at <= ?) order by id",
            [now],
        )
    )


def record_success(
    db: Database,
    source_id: int,
    *,
    now: str,
    next_poll_at: str,
    etag: str | None = None,
    last_modified: str | None = None,
    title: str | None = None,
    warning: str | None = None,
) -> None:
    db.execute(
        """update sources set last_polled_at = ?, last_ok_at = ?, next_poll_at = ?, error_count = 0,
               last_error = ?, etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),
               title = coalesce(title, ?) where id = ?""",
        [now, now, next_poll_at, warning, etag, last_modified, title, source_id],
    )


def record_failure(db: Database, source_id: int, *, error: str, now: str, retry_in_s: float, max_failures: int) -> bool:
    """Count a failure and schedule a retry; pause after `max_failures` in a row. True if paused."""
    row = db.execute("select error_count from sources where id = ?", [source_id]).fetchone()
    if row is None:
        return False
    count = row[0] + 1
    paused = count >= max_failures
    next_poll = iso(from_iso(now) + timedelta(seconds=retry_in_s))
    db.execute(
        """update sources set last_polled_at = ?, error_count = ?, last_error = ?, next_poll_at = ?,
               paused = ?, paused_reason = ? where id = ?""",
        [
            now,
            count,
            error,
            next_poll,
            int(paused),
            f"paused after {count} failures in a row: {error}" if paused else None,
            source_id,
        ],
    )
    return paused


def resume_source(db: Database, key: str, now: str) -> bool:
    cursor = db.execute(
        """update sources set paused = 0, paused_reason = null, error_count = 0, next_poll_at = ?
           where url = ? or cast(id as text) = ?""",
        [now, key, key],
    )
    return cursor.rowcount > 0
