"""Chats and their settings. A chat id is `platform:native-id`, e.g. `telegram:-1001234`."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from diplobot.store.subscriptions import bump_revision

SETTINGS = (
    "timezone",
    "muted_until",
    "alerts_mode",
    "digest_time",
    "digest_weekday",
    "digest_skip_empty",
    "digest_since",
    "quiet_start",
    "quiet_end",
    "title",
    "kind",
    "digest_chart",
)


def ensure_chat(
    db: Database, chat_id: str, *, kind: str = "private", title: str | None = None, timezone: str, now: str
) -> dict[str, Any]:
    """The chat's row, created on first contact. A chat that comes back is active again.

    Writes only when something changed, so that a command in a known chat needs no write lock.
    """
    chat = get_chat(db, chat_id)
    if chat and chat["active"] and chat["kind"] == kind and (title is None or chat["title"] == title):
        return chat
    platform = chat_id.split(":", 1)[0]
    db.execute(
        """insert into chats (id, platform, kind, title, timezone, created_at) values (?, ?, ?, ?, ?, ?)
           on conflict(id) do update set active = 1, inactive_reason = null,
               kind = excluded.kind, title = coalesce(excluded.title, chats.title)""",
        [chat_id, platform, kind, title, timezone, now],
    )
    return get_chat(db, chat_id)  # type: ignore[return-value]


def get_chat(db: Database, chat_id: str) -> dict[str, Any] | None:
    rows = list(db.query("select * from chats where id = ?", [chat_id]))
    return rows[0] if rows else None


def update_chat(db: Database, chat_id: str, **values: Any) -> None:
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise ValueError(f"not a chat setting: {', '.join(sorted(unknown))}")
    assignments = ", ".join(f"{k} = ?" for k in values)
    db.execute(f"update chats set {assignments} where id = ?", [*values.values(), chat_id])


def set_inactive(db: Database, chat_id: str, reason: str) -> None:
    """The chat blocked the bot or is gone: stop its pending alerts too."""
    with db.atomic():
        db.execute("update chats set active = 0, inactive_reason = ? where id = ?", [reason, chat_id])
        db.execute(
            """update alerts set state = 'failed', last_error = ?
               where chat_id = ? and state = 'pending'""",
            [f"chat inactive: {reason}", chat_id],
        )


def move_chat(db: Database, old_id: str, new_native_id: str, *, kind: str = "supergroup") -> str:
    """A Telegram group upgraded to a supergroup gets a new id: its topics, settings, outbox and digest
    history follow it, so nothing is lost or sent twice. Idempotent; returns the new chat id.

    Where the new chat already has the same topic, alert or digest period, its own row wins; the old
    chat is marked inactive, which fails the leftover pending alerts.
    """
    new_id = f"{old_id.split(':', 1)[0]}:{new_native_id}"
    copied = ", ".join(s for s in SETTINGS if s != "kind")
    with db.atomic():
        db.execute(
            f"""insert or ignore into chats (id, platform, kind, {copied}, created_at)
                       select ?, platform, ?, {copied}, created_at from chats where id = ?""",
            [new_id, kind, old_id],
        )
        moved = sum(
            db.execute(f"update or ignore {table} set chat_id = ? where chat_id = ?", [new_id, old_id]).rowcount
            for table in ("subscriptions", "alerts", "digests")
        )
        if moved:
            bump_revision(db)
        if get_chat(db, old_id):
            set_inactive(db, old_id, f"moved to {new_id}")
    return new_id


def chats_with_digest(db: Database) -> list[dict[str, Any]]:
    return list(db.query("select * from chats where active = 1 and digest_time is not null"))


def chat_counts(db: Database) -> dict[str, int]:
    row = db.execute("select count(*), sum(active) from chats").fetchone()
    return {"chats": row[0], "active_chats": row[1] or 0}
