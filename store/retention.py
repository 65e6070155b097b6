"""Retention: after `[store] keep_days` an article keeps its title, links, dates, story and people, but not its text.

The text (summary and body) is most of the file, and nobody reads a year-old body again; the rest is small and is
what `/who` history, stories and trends are made of. The FTS5 update trigger (migration m006) re-indexes a pruned
article with its title alone, so `/search` still finds old headlines. Story vectors, derived from the text and only
compared within a few days of publication (analysis/stories.py), go with it.

An article is pruned when it was stored *and* published more than `keep_days` ago, and only after enrichment and
matching have read it: an archive imported today keeps its text for `keep_days` like any new article.

Work comes in batches of `PRUNE_BATCH` articles, one short write transaction each, so commands and other processes
get the database between batches; freed pages then go back to the file system a few at a time with incremental
vacuum. That needs `auto_vacuum = INCREMENTAL`, which SQLite only sets on a file with no tables yet or by a full
VACUUM: `prepare_auto_vacuum` sets it for new files, and `convert_to_incremental` rewrites an existing file once when
it is small enough for that to be quick. A bigger file keeps its size (new articles reuse the freed pages) until
someone runs the VACUUM by hand (README, "Backups").

What was pruned is recorded in the meta table and shown by `diplobot stats`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlite_utils import Database

from diplobot.clock import iso

if TYPE_CHECKING:
    from diplobot.store.worker import Store

log = logging.getLogger(__name__)

PRUNE_BATCH = 500  # articles per write transaction
VACUUM_STEP_PAGES = 2048  # pages handed back per step (8 MiB with 4 KiB pages)
BATCH_PAUSE_S = 0.01  # between batches, so another process waiting for the write lock gets it
CONVERT_MAX_BYTES = 64 * 1024 * 1024  # an existing file up to this size is vacuumed once to enable incremental vacuum
INCREMENTAL = 2  # PRAGMA auto_vacuum: 0 none, 1 full, 2 incremental

_TOTAL = "retention_pruned_total"
_LAST_RUN = "retention_last_run"
_LAST_PRUNED = "retention_last_pruned"
_LAST_CUTOFF = "retention_last_cutoff"
_LAST_FREED = "retention_last_freed_bytes"


@dataclass(frozen=True)
class PruneReport:
    """What one retention run did."""

    cutoff: str
    pruned: int
    freed_bytes: int


def cutoff_for(now: datetime, keep_days: int) -> str | None:
    """The ISO time before which article text goes, or None when `keep_days` is 0 (keep forever)."""
    return iso(now - timedelta(days=keep_days)) if keep_days > 0 else None


def prune_batch(db: Database, cutoff: str, now: str, limit: int = PRUNE_BATCH) -> int:
    """Remove the text of up to `limit` articles stored and published before `cutoff`; how many were pruned."""
    with db.atomic():
        ids = [
            row[0]
            for row in db.execute(
                """select id from articles
               where pruned_at is null and fetched_at < ? and coalesce(published_at, fetched_at) < ?
                   and enriched_at is not null and matched_at is not null
               order by fetched_at limit ?""",
                [cutoff, cutoff, limit],
            ).fetchall()
        ]
        if not ids:
            return 0
        listed = json.dumps(ids)
        # The update trigger takes the old text out of the FTS5 index and puts the title back in.
        db.execute(
            """update articles set summary = '', body = '', pruned_at = ?
                      where id in (select value from json_each(?))""",
            [now, listed],
        )
        db.execute("delete from story_vectors where article_id in (select value from json_each(?))", [listed])
        db.execute(
            """insert into meta (key, value) values (?, ?)
                      on conflict(key) do update set value = cast(value as integer) + excluded.value""",
            [_TOTAL, len(ids)],
        )
    return len(ids)


def free_pages(db: Database) -> int:
    return db.execute("pragma freelist_count").fetchone()[0]


def page_size(db: Database) -> int:
    return db.execute("pragma page_size").fetchone()[0]


def auto_vacuum_mode(db: Database) -> int:
    return db.execute("pragma auto_vacuum").fetchone()[0]


def vacuum_step(db: Database, pages: int = VACUUM_STEP_PAGES) -> int:
    """Hand up to `pages` free pages back to the file system; how many were handed back (0 without incremental mode).

    Through executescript: the pragma frees one page per step of its statement, and only a script runs it to the end.
    """
    if auto_vacuum_mode(db) != INCREMENTAL:
        return 0
    before = free_pages(db)
    db.conn.executescript(f"PRAGMA incremental_vacuum({int(pages)})")
    return before - free_pages(db)


def record_run(db: Database, report: PruneReport, now: str) -> None:
    """Remember the last run for `diplobot stats` (the running total is kept by `prune_batch`)."""
    with db.atomic():
        for key, value in (
            (_LAST_RUN, now),
            (_LAST_PRUNED, report.pruned),
            (_LAST_CUTOFF, report.cutoff),
            (_LAST_FREED, report.freed_bytes),
        ):
            db.execute("insert or replace into meta (key, value) values (?, ?)", [key, str(value)])


def retention_summary(db: Database) -> dict[str, str]:
    """What retention removed so far and the space it left, as `diplobot stats` rows."""
    meta = dict(db.execute("select key, value from meta where key like 'retention_%'").fetchall())
    summary = {"article texts pruned": meta.get(_TOTAL, "0")}
    if _LAST_RUN in meta:
        summary["last prune"] = (
            f"{meta[_LAST_RUN][:16].replace('T', ' ')}: {meta[_LAST_PRUNED]} articles "
            f"older than {meta[_LAST_CUTOFF][:10]}, {_mib(int(meta[_LAST_FREED]))} returned"
        )
    else:
        summary["last prune"] = "never"
    mode = "incremental" if auto_vacuum_mode(db) == INCREMENTAL else "off (see README, Backups)"
    summary["free space in file"] = f"{_mib(free_pages(db) * page_size(db))} (auto-vacuum {mode})"
    return summary


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB"


async def prune_old_text(
    store: Store, keep_days: int, now: datetime, *, batch: int = PRUNE_BATCH, pause: float = BATCH_PAUSE_S
) -> PruneReport | None:
    """The daily job: prune article text older than `keep_days` batch by batch, then return the freed space.

    Each batch and each vacuum step is its own `store.run` call, so other work queued on the store and other
    processes waiting for the write lock go in between. None when `keep_days` is 0.
    """
    cutoff = cutoff_for(now, keep_days)
    if cutoff is None:
        return None
    pruned = 0
    while True:
        done = await store.run(prune_batch, cutoff, iso(now), batch)
        pruned += done
        if done < batch:
            break
        await asyncio.sleep(pause)
    freed_pages = 0
    while (step := await store.run(vacuum_step)) > 0:
        freed_pages += step
        await asyncio.sleep(pause)
    report = PruneReport(cutoff, pruned, freed_pages * await store.run(page_size))
    await store.run(record_run, report, iso(now))
    if pruned or freed_pages:
        log.info(
            "retention: removed the text of %d article(s) older than %s; %s returned",
            pruned,
            cutoff[:10],
            _mib(report.freed_bytes),
        )
    return report


def prepare_auto_vacuum(db: Database) -> None:
    """Ask for incremental auto-vacuum before any table exists: SQLite applies it to a new file only."""
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")


def convert_to_incremental(db: Database, max_bytes: int = CONVERT_MAX_BYTES) -> bool:
    """Switch an existing file to incremental auto-vacuum by one VACUUM, if it is small enough for that to be quick.

    VACUUM rewrites the whole file and waits for other connections' transactions; a file bigger than `max_bytes`
    is left alone (its freed pages are still reused). True when the file was converted.
    """
    if auto_vacuum_mode(db) == INCREMENTAL or db.conn.in_transaction:
        return False
    size = db.execute("pragma page_count").fetchone()[0] * page_size(db)
    if size > max_bytes:
        return False
    try:
        db.conn.executescript("PRAGMA auto_vacuum = INCREMENTAL; VACUUM")
    except sqlite3.OperationalError as exc:  # busy in another process: try again at the next start
        log.info("incremental auto-vacuum not enabled yet: %s", exc)
        return False
    log.info("database switched to incremental auto-vacuum (one-time VACUUM of %s)", _mib(size))
    return True
