"""A deployment's own cross-language lexicon entries (config `[topics] lexicon`), kept so every process matches alike.

The file is read where the config is read and written here at start-up (runtime.sync_config_sources); the topic
service of any process (the bot, a cron `diplobot ingest`, `diplobot digest`) reads the rows back and adds them
to the bundled lexicon (analysis/lexicon.py). Rows: en, uk, ru, domain, several phrases joined by "|".
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

Row = tuple[str, str, str, str]


def replace_lexicon(db: Database, rows: Iterable[Row]) -> None:
    """Make `rows` the deployment's entries (none: the bundled lexicon alone)."""
    rows = list(rows)
    with db.atomic():
        db.execute("delete from topic_lexicon")
        db.conn.executemany("insert into topic_lexicon (en, uk, ru, domain) values (?, ?, ?, ?)", rows)


def lexicon_rows(db: Database) -> list[Row]:
    """The deployment's entries in file order."""
    rows = db.execute("select en, uk, ru, domain from topic_lexicon order by id").fetchall()
    return [(en, uk, ru, domain) for en, uk, ru, domain in rows]
