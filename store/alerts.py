"""The alert outbox: the only hand-off between matching and delivery.

One row per (chat, story). States: pending -> sent | failed. Any process may add rows (a cron
`diplobot poll`, say); the running bot's delivery worker picks them up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from .articles import PUBLISHED_AT


def create_alert(
    db: Database,
    *,
    chat_id: str,
    article_id: int,
    story_id: int,
    topics: list[dict[str, Any]],
    next_attempt_at: str,
    now: str,
    held: bool = False,
) -> int | None:
    """Queue an alert; None when this chat already has one for the story.

    A later copy of an already-sent story flags that alert for an edit instead ("also reported by").
    """
    cursor = db.execute(
        """insert into alerts (chat_id, article_id, story_id, topics, next_attempt_at, created_at, held, news_at)
           values (?, ?, ?, ?, ?, ?, ?, ?) on conflict(story_id, chat_id) do nothing""",
        [chat_id, article_id, story_id, json.dumps(topics), next_attempt_at, now, int(held), _news_at(db, article_id)],
    )
    if cursor.rowcount:
        return cursor.lastrowid
    db.execute(
        """update alerts set edit_pending = 1 where chat_id = ? and story_id = ? and state = 'sent'
           and article_id != ?""",
        [chat_id, story_id, article_id],
    )
    return None


def _news_at(db: Database, article_id: int) -> str | None:
    """How new the alert's news is: its article's date (`PUBLISHED_AT`), which orders the outbox's newest alerts."""
    row = db.execute(f"select {PUBLISHED_AT} from articles a where a.id = ?", [article_id]).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class NewAlert:
    """One chat's alert for an article: its topics and when it may go (later when held by quiet hours)."""

    chat_id: str
    topics: str  # JSON: the list of topic dicts `create_alert` takes
    next_attempt_at: str
    held: bool = False


def create_alerts(db: Database, *, article_id: int, story_id: int, new: list[NewAlert], now: str) -> int:
    """`create_alert` for many chats at once (one article); returns how many were queued.

    Chats that already have an alert for the story get none; their sent one is flagged for an edit. Call it in a
    write transaction (the matching step's): the chats that have the story are looked up first, then the others'
    rows go in by one `executemany`, the cheapest way into the (chat, story) unique index.
    """
    if not new:
        return 0
    listed = json.dumps([a.chat_id for a in new])
    have = {
        row[0]
        for row in db.execute(
            "select chat_id from alerts where story_id = ? and chat_id in (select value from json_each(?))",
            [story_id, listed],
        ).fetchall()
    }
    news_at = _news_at(db, article_id)
    rows = [
        (a.chat_id, article_id, story_id, a.topics, a.next_attempt_at, now, int(a.held), news_at)
        for a in new
        if a.chat_id not in have
    ]
    created = (
        db.conn.executemany(
            """insert into alerts (chat_id, article_id, story_id, topics, next_attempt_at, created_at, held, news_at)
           values (?, ?, ?, ?, ?, ?, ?, ?) on conflict(story_id, chat_id) do nothing""",
            rows,
        ).rowcount
        if rows
        else 0
    )
    if have:
        db.execute(
            """update alerts set edit_pending = 1 where chat_id in (select value from json_each(?))
               and story_id = ? and state = 'sent' and article_id != ?""",
            [json.dumps(sorted(have)), story_id, article_id],
        )
    return created


def alerting_chats(db: Database, chat_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Of these chats, those that take instant alerts, with what decides when (time zone, quiet hours)."""
    rows = db.execute(
        """select id, timezone, quiet_start, quiet_end from chats
           where id in (select value from json_each(?)) and alerts_mode = 'instant'""",
        [json.dumps(chat_ids)],
    ).fetchall()
    return {chat_id: {"timezone": tz, "quiet_start": start, "quiet_end": end} for chat_id, tz, start, end in rows}


def pending_edits(db: Database, platform: str, limit: int = 50) -> list[dict[str, Any]]:
    """Sent alerts whose story has new outlets to show."""
    rows = db.query(
        """select al.* from alerts al join chats c on c.id = al.chat_id
           where al.edit_pending = 1 and c.platform = ? and c.active = 1 order by al.id limit ?""",
        [platform, limit],
    )
    return [dict(r, topics=json.loads(r["topics"])) for r in rows]


def clear_edit(db: Database, alert_id: int) -> None:
    db.execute("update alerts set edit_pending = 0 where id = ?", [alert_id])


CANDIDATES_PER_SLOT = 10  # due alerts looked at per alert returned


def due_alerts(
    db: Database, platform: str, now: str, limit: int = 500, *, per_chat: int = 50, exclude: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Pending alerts whose time has come, for active, unmuted chats of one platform.

    At most `per_chat` per chat and none for `exclude` (chats already being served), so one chat's
    backlog never starves the others. The candidates are the oldest due alerts and those of the newest news
    (`news_at`, the article's date: not the newest rows, which a backlog matched after a live item would
    fill): a backlog (a big import) always drains, and a breaking story never waits behind it. Each chat's
    first alert comes before any chat's second, newest news first.
    """
    # Only candidates are numbered (indexes alerts_due and alerts_pending_news), never the whole backlog:
    # with 100,000s pending, numbering them all would hold the database thread for seconds. Left to itself the
    # planner sorts every due alert for the newest ones; the partial index hands them over in order.
    rows = db.query(
        f"""with eligible as (
                select id from chats where platform = ? and active = 1 and (muted_until is null or muted_until <= ?)
                  and id not in ({",".join("?" * len(exclude))})),
            candidates as (
                select * from (select * from alerts where state = 'pending' and next_attempt_at <= ?
                                 and chat_id in eligible order by next_attempt_at limit ?)
                union
                select * from (select * from alerts indexed by alerts_pending_news
                                 where state = 'pending' and next_attempt_at <= ? and chat_id in eligible
                                 order by news_at desc, id desc limit ?))
            select * from (
                select al.*, c.kind as chat_kind,
                       row_number() over (partition by al.chat_id order by al.next_attempt_at, al.id) as n
                from candidates al join chats c on c.id = al.chat_id)
            where n <= ? order by n, news_at desc, id desc limit ?""",
        [platform, now, *exclude, now, limit * CANDIDATES_PER_SLOT, now, limit * CANDIDATES_PER_SLOT, per_chat, limit],
    )
    return [dict(r, topics=json.loads(r["topics"])) for r in rows]


NEWEST = 20  # alerts the outbox's quick look considers


def newest_due_alerts(db: Database, platform: str, now: str, *, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The due alerts of the newest news (index alerts_pending_news), one per chat, for active, unmuted chats not
    in `exclude`."""
    rows = db.query(
        f"""select al.*, c.kind as chat_kind from (
                select * from alerts indexed by alerts_pending_news where state = 'pending' and next_attempt_at <= ?
                order by news_at desc, id desc limit ?) al
            join chats c on c.id = al.chat_id
            where c.platform = ? and c.active = 1 and (c.muted_until is null or c.muted_until <= ?)
              and c.id not in ({",".join("?" * len(exclude))})
            order by al.news_at desc, al.id desc""",
        [now, NEWEST, platform, now, *exclude],
    )
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(row["chat_id"], dict(row, topics=json.loads(row["topics"])))
    return list(first.values())


def mark_sent(db: Database, alert_id: int, *, message_id: str, now: str) -> None:
    db.execute(
        """update alerts set state = 'sent', sent_at = ?, message_id = ?, attempts = attempts + 1,
               last_error = null where id = ?""",
        [now, message_id, alert_id],
    )


def mark_retry(db: Database, alert_id: int, *, error: str, next_attempt_at: str, count_attempt: bool = True) -> int:
    """Schedule another try; returns the attempts made so far."""
    db.execute(
        """update alerts set attempts = attempts + ?, last_error = ?, next_attempt_at = ?
           where id = ?""",
        [int(count_attempt), error, next_attempt_at, alert_id],
    )
    return db.execute("select attempts from alerts where id = ?", [alert_id]).fetchone()[0]


def mark_failed(db: Database, alert_id: int, *, error: str) -> None:
    db.execute(
        "update alerts set state = 'failed', last_error = ?, attempts = attempts + 1 where id = ?", [error, alert_id]
    )


def delay_chat(db: Database, chat_id: str, until: str) -> None:
    """Hold every pending alert and built digest of a chat until `until` (after a 429 for that chat)."""
    with db.atomic():
        db.execute(
            """update alerts set next_attempt_at = max(next_attempt_at, ?)
               where chat_id = ? and state = 'pending'""",
            [until, chat_id],
        )
        db.execute(
            "update digests set next_attempt_at = max(next_attempt_at, ?) where chat_id = ? and state = 'ready'",
            [until, chat_id],
        )


def alert_counts(db: Database) -> dict[str, int]:
    counts = {"pending": 0, "sent": 0, "failed": 0}
    for state, n in db.execute("select state, count(*) from alerts group by state").fetchall():
        counts[state] = n
    return counts


def recent_failures(db: Database, limit: int = 5) -> list[dict[str, Any]]:
    return list(
        db.query(
            "select id, chat_id, article_id, last_error from alerts where state = 'failed' order by id desc limit ?",
            [limit],
        )
    )


def chat_alerts(db: Database, chat_id: str) -> list[dict[str, Any]]:
    return [
        dict(r, topics=json.loads(r["topics"]))
        for r in db.query("select * from alerts where chat_id = ? order by id", [chat_id])
    ]


def release_held(db: Database, chat_id: str, at: str) -> int:
    """Move the chat's alerts held by quiet hours to `at` (now, when the quiet hours ended or the chat was unmuted;
    the new end, when they changed); returns how many. They stay marked held, so they still arrive folded."""
    cursor = db.execute(
        "update alerts set next_attempt_at = ? where chat_id = ? and state = 'pending' and held = 1",
        [at, chat_id],
    )
    return cursor.rowcount
