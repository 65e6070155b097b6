"""Subscriptions: a chat's topics. Every change bumps a revision so matchers reload cheaply."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from diplobot.store.articles import max_article_id


def subscriptions_revision(db: Database) -> int:
    row = db.execute("select value from meta where key = 'subscriptions_rev'").fetchone()
    return int(row[0]) if row else 0


def bump_revision(db: Database) -> None:
    db.execute(
        """insert into meta (key, value) values ('subscriptions_rev', '1')
           on conflict(key) do update set value = cast(value as integer) + 1"""
    )


def add_subscription(db: Database, chat_id: str, query: str, now: str) -> int | None:
    """Subscribe; None when the chat already has this exact query.

    Only articles stored after this moment can alert (`since_article_id`), so a new topic does not
    flood the chat with old news.
    """
    with db.atomic():
        try:
            cursor = db.execute(
                """insert into subscriptions (chat_id, query, since_article_id, created_at)
                   values (?, ?, ?, ?)""",
                [chat_id, query, max_article_id(db), now],
            )
        except sqlite3.IntegrityError:
            return None
        bump_revision(db)
    return cursor.lastrowid


def remove_subscription(db: Database, chat_id: str, subscription_id: int) -> bool:
    with db.atomic():
        cursor = db.execute("delete from subscriptions where chat_id = ? and id = ?", [chat_id, subscription_id])
        if cursor.rowcount:
            bump_revision(db)
    return cursor.rowcount > 0


def chat_subscriptions(db: Database, chat_id: str) -> list[dict[str, Any]]:
    """The chat's topics in the order they were added (the numbers users see)."""
    return list(db.query("select * from subscriptions where chat_id = ? order by id", [chat_id]))


def all_subscriptions(db: Database) -> list[dict[str, Any]]:
    """Every subscription of an active chat (what the matcher needs)."""
    return list(
        db.query(
            """select s.id, s.chat_id, s.query, s.since_article_id, s.muted_until from subscriptions s
           join chats c on c.id = s.chat_id where c.active = 1"""
        )
    )


def mute_subscription(db: Database, chat_id: str, subscription_id: int, until: str | None) -> bool:
    cursor = db.execute(
        "update subscriptions set muted_until = ? where chat_id = ? and id = ?", [until, chat_id, subscription_id]
    )
    return cursor.rowcount > 0


def subscription_count(db: Database) -> int:
    return db.execute("select count(*) from subscriptions").fetchone()[0]
