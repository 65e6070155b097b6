"""Stories: the SQL of story assignment (enrichment/stories.py decides; analysis/stories.py compares).

What is kept per article, so that no candidate's text is read or tokenised again:

* `story_vectors`: its story features (term counts and names, as JSON text), written when it is enriched;
* `story_terms`: document frequencies of those terms for IDF, counted once per article (`story_documents` records
  which, and `meta` holds their count), because the FTS5 vocabulary holds porter stems that the Python side does
  not reproduce.

Candidates come from the FTS5 index: `ranked_ids` ranks by bm25 within a rowid range (the articles of a time
window), so its cost follows the few days' articles rather than the whole table; the ranking reads the FTS5 index
alone, and only the few best rows are read from the tables afterwards (`window_rows`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlite_utils import Database

_DOCUMENTS_KEY = "story_documents"


@dataclass(frozen=True)
class StorySource:
    """What story features are worked out from; `when` is the publication date, else the fetch date."""

    title: str
    summary: str
    body: str
    when: str | None


@contextmanager
def snapshot(db: Database) -> Iterator[None]:
    """Reads that share one snapshot: a read transaction, unless the caller's transaction is open already."""
    if db.conn.in_transaction:
        yield
        return
    db.conn.execute("begin deferred")
    try:
        yield
    finally:
        db.conn.execute("commit")


def story_source(db: Database, article_id: int) -> StorySource | None:
    row = db.execute(
        "select title, summary, body, coalesce(published_at, fetched_at) from articles where id = ?", [article_id]
    ).fetchone()
    return None if row is None else StorySource(row[0] or "", row[1] or "", row[2] or "", row[3])


def stored_vector(db: Database, article_id: int) -> tuple[StorySource, str | None]:
    """An article's source and its stored vector (None: it has none)."""
    title, summary, body, when, vector = db.execute(
        """select title, summary, body, coalesce(published_at, fetched_at), v.features
           from articles a left join story_vectors v on v.article_id = a.id where a.id = ?""",
        [article_id],
    ).fetchone()
    return StorySource(title or "", summary or "", body or "", when), vector


def save_vector(db: Database, article_id: int, vector: str) -> None:
    db.execute("insert or replace into story_vectors (article_id, features) values (?, ?)", [article_id, vector])


def count_document(db: Database, article_id: int) -> bool:
    """Record that the article's terms are counted; False when they were already."""
    return db.execute("insert or ignore into story_documents (article_id) values (?)", [article_id]).rowcount > 0


def set_story(db: Database, article_id: int, story_id: int) -> None:
    db.execute("update articles set story_id = ? where id = ?", [story_id, article_id])


def add_frequencies(db: Database, counts: Mapping[str, int], documents: int) -> None:
    """Add to the terms' document frequencies, and `documents` to the count of documents."""
    if counts:
        db.execute(
            """insert into story_terms (term, documents) select key, value from json_each(?) where true
               on conflict (term) do update set documents = documents + excluded.documents""",
            [json.dumps(counts)],
        )
    if documents:
        db.execute(
            """insert into meta (key, value) values (?, ?)
               on conflict (key) do update set value = cast(value as integer) + excluded.value""",
            [_DOCUMENTS_KEY, documents],
        )


def stored_documents(db: Database) -> int:
    row = db.execute("select value from meta where key = ?", [_DOCUMENTS_KEY]).fetchone()
    return int(row[0]) if row else 0


def last_counted(db: Database) -> int:
    return int(db.execute("select max(article_id) from story_documents").fetchone()[0] or 0)


def stored_frequencies(db: Database, terms: Iterable[str]) -> list[tuple[str, int]]:
    return db.execute(
        "select term, documents from story_terms where term in (select value from json_each(?))",
        [json.dumps(list(terms))],
    ).fetchall()


def counted_after(db: Database, last: int) -> list[tuple[int, str, int]]:
    """(article, vector, story) of the articles counted after article `last`."""
    return db.execute(
        """select d.article_id, v.features, coalesce(a.story_id, a.id) from story_documents d
           join story_vectors v on v.article_id = d.article_id join articles a on a.id = d.article_id
           where d.article_id > ?""",
        [last],
    ).fetchall()


def ranked_ids(db: Database, terms: Iterable[str], first_id: int, before: int, limit: int) -> list[int]:
    """The `limit` best FTS5 rows for any of these terms (bm25) among the articles with ids in [first_id, before).

    Terms are quoted in sorted order, so that the same set of terms is the same query.
    """
    query = " OR ".join('"{}"'.format(term.replace('"', '""')) for term in sorted(terms))
    return [
        rowid
        for (rowid,) in db.execute(
            """select rowid from articles_fts where articles_fts match ? and rowid >= ? and rowid < ?
           order by rank limit ?""",
            [query, first_id, before, limit],
        ).fetchall()
    ]


def other_language_ids(db: Database, first_id: int, before: int, limit: int) -> list[int]:
    """The newest Ukrainian and Russian articles with ids in [first_id, before) (partial index articles_cyrillic)."""
    return [
        row[0]
        for row in db.execute(
            """select id from articles where lang in ('uk', 'ru') and id >= ? and id < ? order by id desc limit ?""",
            [first_id, before, limit],
        ).fetchall()
    ]


def window_rows(db: Database, ids: list[int], start: str, end: str) -> dict[int, tuple[str, str | None]]:
    """Of these articles, those dated within [start, end]: id -> (date, stored vector or None)."""
    return {
        row[0]: (row[1], row[2])
        for row in db.execute(
            """select a.id, coalesce(a.published_at, a.fetched_at), v.features
           from articles a left join story_vectors v on v.article_id = a.id
           where a.id in (select value from json_each(?)) and coalesce(a.published_at, a.fetched_at) between ? and ?""",
            [json.dumps(ids), start, end],
        ).fetchall()
    }


def vectors_of(db: Database, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """These articles' dates and stored vectors (None: none stored): id -> (date, vector)."""
    return {
        row[0]: (row[1], row[2])
        for row in db.execute(
            """select a.id, coalesce(a.published_at, a.fetched_at), v.features
           from articles a left join story_vectors v on v.article_id = a.id
           where a.id in (select value from json_each(?))""",
            [json.dumps(ids)],
        ).fetchall()
    }


def first_published_id(db: Database, start: str, end: str) -> int | None:
    """The least id of the articles published within [start, end]."""
    row = db.execute("select min(id) from articles where published_at between ? and ?", [start, end]).fetchone()
    return None if row[0] is None else int(row[0])


def story_ids(db: Database, article_ids: list[int]) -> dict[int, int]:
    """Each article's story (its own id when it has none yet)."""
    return dict(
        db.execute(
            "select id, coalesce(story_id, id) from articles where id in (select value from json_each(?))",
            [json.dumps(article_ids)],
        ).fetchall()
    )
