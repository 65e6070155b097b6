"""Articles: insert once, look up, search."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class NewArticle:
    """A row ready to insert; `canonical_url` and `content_hash` come from ingest."""

    title: str
    summary: str
    body: str
    url: str | None
    canonical_url: str | None
    guid: str | None
    published_at: str | None
    fetched_at: str
    content_hash: str
    source_id: int | None = None


def find_duplicate(db: Database, article: NewArticle) -> int | None:
    """The id of a stored article with the same canonical URL, feed guid or body hash."""
    row = db.execute(
        """select id from articles where content_hash = ?
           union all select id from articles where canonical_url = ?
           union all select id from articles where guid = ? limit 1""",
        [article.content_hash, article.canonical_url, article.guid],
    ).fetchone()
    return row[0] if row else None


def insert_article(db: Database, article: NewArticle) -> int | None:
    """Store `article` unless it is already there; returns the new id, or None for a duplicate."""
    if find_duplicate(db, article) is not None:
        return None
    try:
        cursor = db.execute(
            """insert into articles (source_id, url, canonical_url, guid, title, summary, body,
                   published_at, fetched_at, content_hash)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [article.source_id, article.url, article.canonical_url, article.guid, article.title,
             article.summary, article.body, article.published_at, article.fetched_at, article.content_hash],
        )
    except sqlite3.IntegrityError:  # another process stored it between our check and insert
        return None
    article_id = cursor.lastrowid
    db.execute("update articles set story_id = ? where id = ?", [article_id, article_id])
    return article_id


def get_article(db: Database, article_id: int) -> dict[str, Any] | None:
    rows = list(db.query(_ARTICLE_SELECT + " where a.id = ?", [article_id]))
    return rows[0] if rows else None


_ARTICLE_SELECT = """select a.id, a.title, a.summary, a.body, a.url, a.published_at, a.fetched_at,
    a.story_id, a.source_id, coalesce(s.title, s.url) as source from articles a
    left join sources s on s.id = a.source_id"""


def unmatched_ids(db: Database, limit: int = 500) -> list[int]:
    """Articles stored but not yet matched against subscriptions, oldest first."""
    rows = db.execute("select id from articles where matched_at is null order by id limit ?", [limit])
    return [r[0] for r in rows.fetchall()]


def mark_matched(db: Database, article_id: int, now: str) -> None:
    db.execute("update articles set matched_at = ? where id = ?", [now, article_id])


def max_article_id(db: Database) -> int:
    return db.execute("select coalesce(max(id), 0) from articles").fetchone()[0]


def articles_since(db: Database, since: str, limit: int = 5000) -> list[dict[str, Any]]:
    """Articles fetched at or after `since` (ISO), newest first."""
    return list(db.query(_ARTICLE_SELECT + " where a.fetched_at >= ? order by a.id desc limit ?",
                         [since, limit]))


def latest_articles(db: Database, limit: int = 10, offset: int = 0) -> list[dict[str, Any]]:
    return list(db.query(_ARTICLE_SELECT + " order by a.id desc limit ? offset ?", [limit, offset]))


def search_articles(db: Database, text: str, limit: int = 10) -> list[dict[str, Any]]:
    """Full-text search ranked by relevance; any user text is safe (each word is quoted).

    The snippet marks hits with \\x02 ... \\x03, characters ingest never stores.
    """
    query = db.quote_fts(text)
    if not query.strip('" '):
        return []
    try:
        return list(db.query(
            """select a.id, a.title, a.url, a.published_at, coalesce(s.title, s.url) as source,
                   snippet(articles_fts, -1, char(2), char(3), '…', 12) as snippet
               from articles_fts join articles a on a.id = articles_fts.rowid
               left join sources s on s.id = a.source_id
               where articles_fts match ? order by rank limit ?""",
            [query, limit],
        ))
    except sqlite3.OperationalError:
        return []


def story_outlets(db: Database, story_ids: set[int]) -> dict[int, int]:
    """How many different sources reported each story."""
    if not story_ids:
        return {}
    marks = ",".join("?" * len(story_ids))
    rows = db.execute(
        f"""select story_id, count(distinct coalesce(source_id, -id)) from articles
            where story_id in ({marks}) group by story_id""",
        list(story_ids),
    )
    return dict(rows.fetchall())


def article_counts(db: Database) -> dict[str, int]:
    row = db.execute(
        "select count(*), count(distinct story_id), sum(matched_at is null) from articles"
    ).fetchone()
    return {"articles": row[0], "stories": row[1], "unmatched": row[2] or 0}
