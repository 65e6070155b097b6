"""What trend charts read: candidate articles of a period by publication date, their texts, titles, sources.

`StoredTrendCorpus` is analysis.trend_counts' `TrendCorpus`. The candidate query reads only the `articles_when`
index (migration m012: the publication date as `PUBLISHED_AT` defines it, story id, source id), never the rows:
a row's dates come after its body, so reading them from the table walks each long article's overflow pages.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlite_utils import Database

# Must stay the same expression as in migration m012's index (and store/articles.py's PUBLISHED_AT), or SQLite
# cannot use the index.
_WHEN = "min(coalesce(published_at, fetched_at), fetched_at)"


class StoredTrendCorpus:
    """The stored articles as trend counting sees them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def candidates(self, fts: str | None, since: str, until: str) -> list[tuple[int, int, str]]:
        """(id, story id, when) of the articles in [since, until) that pass the FTS5 expression (from
        analysis.topics, never user text), oldest first (in index order: by story and id within one second)."""
        where = f"{_WHEN} >= ? and {_WHEN} < ?"
        params: list[str] = [since, until]
        if fts is not None:
            where += " and id in (select rowid from articles_fts where articles_fts match ?)"
            params.append(fts)
        rows = self.db.execute(
            f"select id, story_id, {_WHEN} as w from articles indexed by articles_when where {where} order by w", params
        )
        return rows.fetchall()

    def texts(self, ids: Sequence[int], *, body: bool = True) -> list[tuple[int, str, str, str]]:
        """(id, title, summary, body) of these articles; without `body` the body is '' and its pages are not read."""
        column = "body" if body else "''"
        return self.db.execute(
            f"select id, title, summary, {column} from articles where id in (select value from json_each(?))",
            [json.dumps(list(ids))],
        ).fetchall()

    def headline_matches(self, fts: str, first_id: int, last_id: int) -> set[int]:
        """The ids from `first_id` to `last_id` whose title or summary alone passes the FTS5 expression (a column
        filter over the whole expression; the id range keeps the index from listing older and newer articles)."""
        return {
            row[0]
            for row in self.db.execute(
                "select rowid from articles_fts where articles_fts match ? and rowid between ? and ?",
                ["{title summary} : (" + fts + ")", first_id, last_id],
            )
        }

    def titles(self, ids: Sequence[int]) -> dict[int, str]:
        return dict(
            self.db.execute(
                "select id, title from articles where id in (select value from json_each(?))", [json.dumps(list(ids))]
            ).fetchall()
        )


def source_count(db: Database, since: str, until: str) -> int:
    """How many sources have articles published in [since, until) (files ingested without a source not counted)."""
    return db.execute(
        f"select count(distinct source_id) from articles indexed by articles_when where {_WHEN} >= ? and {_WHEN} < ?",
        [since, until],
    ).fetchone()[0]


def first_published(db: Database) -> str | None:
    """The earliest publication date stored (the start of an `all` chart), None without articles."""
    return db.execute(f"select min({_WHEN}) from articles indexed by articles_when").fetchone()[0]


def candidates_per_day(db: Database, fts: str | None, since: str, until: str) -> list[tuple[str, int]]:
    """Articles per UTC day in [since, until) that pass the FTS5 expression, counted by SQL alone over the same index
    rows `candidates` reads: the bare count bench/trend.py compares the trend count with. (The inner ORDER BY keeps
    SQLite from flattening the subquery, which would compute each date again from the table row.)"""
    where = f"{_WHEN} >= ? and {_WHEN} < ?"
    params: list[str] = [since, until]
    if fts is not None:
        where += " and id in (select rowid from articles_fts where articles_fts match ?)"
        params.append(fts)
    return db.execute(
        f"select substr(w, 1, 10) as day, count(*) from (select {_WHEN} as w from articles indexed by "
        f"articles_when where {where} order by w) group by day",
        params,
    ).fetchall()
