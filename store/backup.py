"""Backups: a consistent copy of the live database, taken while the bot keeps writing, then checked.

SQLite's online backup API copies the file page by page. The source connection holds one read transaction for the
whole copy, so every page comes from the same snapshot: the copy never restarts when another process writes, and
in WAL mode (every file `open_database` makes) readers do not block writers, so the bot goes on storing and sending
meanwhile. The copy goes to a temporary file next to the target, is switched out of WAL mode (one self-contained
file), checked with `PRAGMA integrity_check` and against the snapshot's counts, and only then renamed over the
target: a failed backup never replaces the previous one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STEP_PAGES = 4096  # pages copied per backup step (16 MiB with 4 KiB pages); between steps `progress` is called
COUNTED = ("articles", "chats", "subscriptions")


class BackupError(Exception):
    """The backup could not be written or did not check out; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    counts: dict[str, int]


def backup_database(
    source: Path, target: Path, *, step_pages: int = STEP_PAGES, progress: Callable[[int, int], None] | None = None
) -> BackupResult:
    """Copy the live database at `source` to `target`, verify the copy, and return its size and counts.

    `progress(done_pages, total_pages)` is called after each step. Raises BackupError.
    """
    source, target = Path(source), Path(target)
    _check_paths(source, target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        counts = _copy(source, tmp, step_pages, progress)
        _verify(tmp, counts)
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite: {exc}") from None
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return BackupResult(target, target.stat().st_size, counts)


def _check_paths(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the path of a new file")
    live = source.resolve()
    own_files = {live, *(Path(f"{live}{suffix}") for suffix in ("-wal", "-shm", "-journal", ".lock"))}
    if target.resolve() in own_files or (target.exists() and os.path.samefile(target, source)):
        raise BackupError(f"{target} is the live database or one of its files; give the path of a new file")
    if not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent}")


def _copy(source: Path, tmp: Path, step_pages: int, progress: Callable[[int, int], None] | None) -> dict[str, int]:
    """Copy one snapshot of `source` into `tmp` (mode 0600: it holds chat ids); the snapshot's counts."""
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"file:{source}?mode=rw", uri=True, timeout=30, isolation_level=None)
    dst = sqlite3.connect(tmp, isolation_level=None)
    try:
        src.execute("BEGIN")  # one read snapshot for the counts and every page
        counts = _counts(src)

        def step(_status: int, remaining: int, total: int) -> None:
            if progress:
                progress(total - remaining, total)

        src.backup(dst, pages=step_pages, progress=step)
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode = DELETE")  # the copy is one file, readable without -wal/-shm
    finally:
        dst.close()
        src.close()
    return counts


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    return {name: conn.execute(f"select count(*) from {name}").fetchone()[0] for name in COUNTED if name in tables}


def _verify(path: Path, expected: dict[str, int]) -> None:
    found = verify_copy(path)
    if found != expected:
        raise BackupError(f"the copy's counts {found} differ from the database's {expected}")


def verify_copy(path: Path) -> dict[str, int]:
    """Check a backup file on its own (integrity and counts): what a restore would bring back. Raises BackupError."""
    if not Path(path).is_file():
        raise BackupError(f"no file {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        counts = _counts(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from None
    finally:
        conn.close()
    if problems != ["ok"]:
        raise BackupError(f"{path} failed its integrity check: {'; '.join(problems[:5])}")
    return counts
