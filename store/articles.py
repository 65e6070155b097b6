"""Articles: insert once, look up, search; the stage marks of the ingest pipeline (enriched, matched)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

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
    lang: str | None = None  # analysis/language.py: uk, ru, en, other; None when too short to tell


def find_duplicate(db: Database, article: NewArticle) -> int | None:
    """The id of a stored article with the same canonical URL, feed guid or body hash."""
    row = db.execute(
        """select id from articles where content_hash = ?
           union all select id from articles where canonical_url = ?
           union all select id from articles where guid = ? limit 1""",
        [article.content_hash, article.canonical_url, article.guid],
    ).fetchone()
    return row[0] if row else None


def stored_links(db: Database, links: Iterable[str]) -> set[str]:
    """Which of these links (canonical URLs or feed guids) a stored article has."""
    listed = json.dumps(list(links))
    return {
        row[0]
        for row in db.execute(
            """select canonical_url from articles where canonical_url in (select value from json_each(?))
           union select guid from articles where guid in (select value from json_each(?))""",
            [listed, listed],
        )
    }


_COLUMNS = "source_id, url, canonical_url, guid, title, summary, body, published_at, fetched_at, content_hash, lang"
_WIDTH = _COLUMNS.count(",") + 1
_MARKS = "(" + ", ".join(["?"] * _WIDTH) + ")"
_CHUNK = 500  # rows per INSERT at most, fewer if this SQLite allows fewer variables


def _values(article: NewArticle) -> tuple[Any, ...]:
    return (
        article.source_id,
        article.url,
        article.canonical_url,
        article.guid,
        article.title,
        article.summary,
        article.body,
        article.published_at,
        article.fetched_at,
        article.content_hash,
        article.lang,
    )


def insert_article(db: Database, article: NewArticle) -> int | None:
    """Store `article` unless it is already there; returns the new id, or None for a duplicate."""
    if find_duplicate(db, article) is not None:
        return None
    try:
        cursor = db.execute(f"insert into articles ({_COLUMNS}) values {_MARKS}", list(_values(article)))
    except sqlite3.IntegrityError:  # another process stored it between our check and insert
        return None
    article_id = cursor.lastrowid
    db.execute("update articles set story_id = ? where id = ?", [article_id, article_id])
    return article_id


def insert_articles(db: Database, batch: Iterable[NewArticle]) -> list[int | None]:
    """Store each article unless it is stored already or earlier in `batch`: its new id, or None for a duplicate.

    Call it inside `db.atomic()` (which begins IMMEDIATE: store/db.py), so that no other process stores anything
    between the duplicate checks and the inserts. New rows go in by multi-row INSERTs: FTS5 flushes its pending
    terms at every write statement's savepoint (fts5_main.c, xSavepoint), so a statement per row writes an index
    segment per row, which is markedly slower (bench/ingest.py).
    """
    batch = list(batch)
    ids: list[int | None] = [None] * len(batch)
    seen: set[tuple[str, str]] = set()
    fresh: list[int] = []
    for index, article in enumerate(batch):
        keys = {
            (kind, value)
            for kind, value in (("hash", article.content_hash), ("url", article.canonical_url), ("guid", article.guid))
            if value is not None
        }
        if keys & seen or find_duplicate(db, article) is not None:
            continue
        seen |= keys
        fresh.append(index)
    size = min(_CHUNK, db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // _WIDTH)
    chunks = -(-len(fresh) // size)
    for n in range(chunks):  # equal chunks: 100 rows go in as 50 + 50, not 99 + 1
        chunk = fresh[n * len(fresh) // chunks : (n + 1) * len(fresh) // chunks]
        for index, article_id in zip(chunk, _insert_chunk(db, [batch[i] for i in chunk]), strict=True):
            ids[index] = article_id
    return ids


def _insert_chunk(db: Database, chunk: list[NewArticle]) -> list[int | None]:
    """Insert rows known to be new in one statement and make each its own story until enrichment says otherwise."""
    marks = ", ".join([_MARKS] * len(chunk))
    try:  # a failing statement changes nothing
        returned = db.execute(
            f"insert into articles ({_COLUMNS}) values {marks} returning content_hash, id",
            [value for article in chunk for value in _values(article)],
        ).fetchall()
    except sqlite3.IntegrityError:  # stored meanwhile by a caller that holds no write lock: one by one
        return [insert_article(db, article) for article in chunk]
    db.execute(
        "update articles set story_id = id where id in (select value from json_each(?))",
        [json.dumps([article_id for _, article_id in returned])],
    )
    by_hash = dict(returned)  # RETURNING gives no order guarantee; content_hash is unique
    return [by_hash[article.content_hash] for article in chunk]


def get_article(db: Database, article_id: int) -> dict[str, Any] | None:
    rows = list(db.query(_ARTICLE_SELECT + " where a.id = ?", [article_id]))
    return rows[0] if rows else None


_ARTICLE_SELECT = """select a.id, a.title, a.summary, a.body, a.url, a.published_at, a.fetched_at,
    a.story_id, a.source_id, a.lang, coalesce(s.title, s.url) as source from articles a
    left join sources s on s.id = a.source_id"""


def unenriched_ids(db: Database, limit: int = 500) -> list[int]:
    """Articles stored but not yet enriched (story, people): those of polled sources first, then the rest (files
    and pages a person ingested, maybe thousands at once), each oldest first, so news never waits for an import."""
    return _polled_first(db, "enriched_at is null", limit)


def _polled_first(db: Database, pending: str, limit: int) -> list[int]:
    ids = [
        r[0]
        for r in db.execute(
            f"select id from articles where {pending} and source_id is not null order by id limit ?", [limit]
        )
    ]
    if len(ids) < limit:
        ids += [
            r[0]
            for r in db.execute(
                f"select id from articles where {pending} and source_id is null order by id limit ?", [limit - len(ids)]
            )
        ]
    return ids


def unenriched_among(db: Database, ids: list[int]) -> list[int]:
    """Those of `ids` not enriched yet (another process may have done some meanwhile), in id order."""
    rows = db.execute(
        """select id from articles where enriched_at is null
                         and id in (select value from json_each(?)) order by id""",
        [json.dumps(ids)],
    )
    return [r[0] for r in rows.fetchall()]


def unenriched_count(db: Database) -> int:
    return db.execute("select count(*) from articles where enriched_at is null").fetchone()[0]


def mark_enriched(db: Database, article_id: int, now: str) -> None:
    db.execute("update articles set enriched_at = ? where id = ?", [now, article_id])


def mark_enrich_failed(db: Database, article_id: int, now: str, reason: str) -> None:
    """The article keeps its own story and no people, but goes on to matching: it must not block the stage."""
    db.execute(
        "update articles set enriched_at = ?, enrich_error = ? where id = ? and enriched_at is null",
        [now, reason, article_id],
    )


def unmatched_ids(db: Database, limit: int = 500) -> list[int]:
    """Articles enriched but not yet matched against subscriptions, polled sources' first (as `unenriched_ids`).

    Matching needs the story (alerts are one per chat and story), so it waits for the enrichment stage.
    """
    return _polled_first(db, "matched_at is null and enriched_at is not null", limit)


def mark_matched(db: Database, article_id: int, now: str) -> bool:
    """Mark the article matched; False when another process already had."""
    cursor = db.execute("update articles set matched_at = ? where id = ? and matched_at is null", [now, article_id])
    return cursor.rowcount > 0


def max_article_id(db: Database) -> int:
    return db.execute("select coalesce(max(id), 0) from articles").fetchone()[0]


def articles_since(db: Database, since: str, limit: int = 5000) -> list[dict[str, Any]]:
    """Articles fetched at or after `since` (ISO), newest first."""
    return list(db.query(_ARTICLE_SELECT + " where a.fetched_at >= ? order by a.id desc limit ?", [since, limit]))


def latest_articles(db: Database, limit: int = 10, offset: int = 0) -> list[dict[str, Any]]:
    return list(db.query(_ARTICLE_SELECT + " order by a.id desc limit ? offset ?", [limit, offset]))


# When an article happened, for "newest first" and date windows: its publication date, but never later than when it
# was fetched (a feed's future date must not pin an item to the top), else the fetch date.
PUBLISHED_AT = "min(coalesce(a.published_at, a.fetched_at), a.fetched_at)"


def topic_candidates(
    db: Database,
    fts: str | None,
    *,
    since: str | None,
    until: str | None,
    by: Literal["fetched", "published"],
    limit: int,
) -> list[int]:
    """Ids of the articles that pass an FTS5 expression (all articles when None) and fall in [since, until) by
    fetch or publication date (`PUBLISHED_AT`), newest first by that date; at most `limit`.

    The expression comes from analysis.topics (quoted strings only), never from user text directly. Reading a row's
    dates walks past its text (the date columns come after the body), so dates are taken from indexes: publication
    order and windows from `articles_when` (on `PUBLISHED_AT`), fetch windows from `_recent_candidates`. The unary
    `+` keeps the planner from reading every found row by id instead of walking that index.
    """
    if by == "fetched" and fts is not None and since is not None:
        return _recent_candidates(db, fts, since=since, until=until, limit=limit)
    when = "a.fetched_at" if by == "fetched" else PUBLISHED_AT
    found, where, params = "", [], []
    if fts is not None:
        found = "with found(id) as materialized (select rowid from articles_fts where articles_fts match ?) "
        where.append("+a.id in found")
        params.append(fts)
    if since is not None:
        where.append(f"{when} >= ?")
        params.append(since)
    if until is not None:
        where.append(f"{when} < ?")
        params.append(until)
    condition = f"where {' and '.join(where)}" if where else ""
    rows = db.execute(
        f"{found}select a.id from articles a {condition} order by {when} desc, a.id desc limit ?", [*params, limit]
    )
    return [row[0] for row in rows.fetchall()]


def _recent_candidates(db: Database, fts: str, *, since: str, until: str | None, limit: int) -> list[int]:
    """`topic_candidates` for a fetch-date window (digests, the /subscribe count), at a cost that follows the
    window rather than every article the expression finds: the window comes from the retention index
    (`articles_prunable`: the fetch date of every article not pruned yet), and only the pruned articles the
    expression finds are read (their text is gone, so that is cheap)."""
    until = until or "9999"
    return [
        row[0]
        for row in db.execute(
            """with found(id) as materialized (select rowid from articles_fts where articles_fts match ?)
           select id from (
               select a.id, a.fetched_at from articles a
                where a.pruned_at is null and a.fetched_at >= ? and a.fetched_at < ? and +a.id in found
               union all
               select a.id, a.fetched_at from articles a
                where a.id in (select id from found except select id from articles where pruned_at is null)
                  and a.fetched_at >= ? and a.fetched_at < ?)
           order by fetched_at desc, id desc limit ?""",
            [fts, since, until, since, until, limit],
        ).fetchall()
    ]


def articles_by_ids(db: Database, ids: Sequence[int]) -> list[dict[str, Any]]:
    """These articles (as `get_article` gives them), in the order of `ids`; ids not stored are left out."""
    rows = {
        row["id"]: row
        for row in db.query(
            _ARTICLE_SELECT + " where a.id in (select value from json_each(?))", [json.dumps(list(ids))]
        )
    }
    return [rows[article_id] for article_id in ids if article_id in rows]


def search_articles(db: Database, text: str, limit: int = 10) -> list[dict[str, Any]]:
    """Full-text search ranked by relevance; any user text is safe (each word is quoted).

    The snippet marks hits with \\x02 ... \\x03, characters ingest never stores.
    """
    query = db.quote_fts(text)
    if not query.strip('" '):
        return []
    try:
        return list(
            db.query(
                """select a.id, a.title, a.url, a.published_at, coalesce(s.title, s.url) as source,
                   snippet(articles_fts, -1, char(2), char(3), '…', 12) as snippet
               from articles_fts join articles a on a.id = articles_fts.rowid
               left join sources s on s.id = a.source_id
               where articles_fts match ? order by rank limit ?""",
                [query, limit],
            )
        )
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
        """select count(*), count(distinct story_id), sum(matched_at is null), sum(enriched_at is null),
                  sum(enrich_error is not null) from articles"""
    ).fetchone()
    return {
        "articles": row[0],
        "stories": row[1],
        "unmatched": row[2] or 0,
        "unenriched": row[3] or 0,
        "enrichment failed": row[4] or 0,
    }


def article_total(db: Database) -> int:
    return db.execute("select count(*) from articles").fetchone()[0]
