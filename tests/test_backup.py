"""`diplobot backup`: a consistent copy taken while another process writes, verified, restorable; refusals."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diplobot.bot import app
from diplobot.store import backup as backup_module
from diplobot.store.articles import search_articles
from diplobot.store.backup import BackupError, backup_database, verify_copy
from diplobot.store.db import open_database

# A second process that stores one small article after another until the stop file appears.
WRITER = """
import sys, time
from pathlib import Path
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import store_drafts
from diplobot.store.db import open_database

db = open_database(sys.argv[1])
stop = Path(sys.argv[2])
n = 0
while not stop.exists():
    draft = ArticleDraft(title=f"Writer report {n}", body=f"Report {n} about the talks in Geneva. " * 20,
                         url=f"https://writer.example/{n}")
    store_drafts(db, [draft], source_id=None, now="2025-09-04T10:00:00+00:00")
    n += 1
    time.sleep(0.002)
print(n)
"""


def live_count(path: Path) -> int:
    conn = sqlite3.connect(path, timeout=30)
    try:
        return conn.execute("select count(*) from articles").fetchone()[0]
    finally:
        conn.close()


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def live(tmp_path) -> Path:
    path = tmp_path / "live" / "diplobot.db"
    open_database(path).close()
    return path


@pytest.mark.slow
def test_backup_while_another_process_writes_is_consistent_and_restores(live, tmp_path):
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(live), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: live_count(live) >= 300)
        seen: list[int] = []

        def progress(done: int, total: int) -> None:  # small steps, each a little slow: writes land meanwhile
            seen.append(live_count(live))
            time.sleep(0.02)

        result = backup_database(live, tmp_path / "copy.db", step_pages=4, progress=progress)
    finally:
        stop.touch()
        written = int(writer.communicate(timeout=30)[0])

    assert len(seen) > 3 and seen[-1] > seen[0], "the writer kept writing during the backup"
    assert written > result.counts["articles"] >= 300
    assert result.size == (tmp_path / "copy.db").stat().st_size > 0
    assert verify_copy(result.path) == result.counts
    assert (tmp_path / "copy.db").stat().st_mode & 0o777 == 0o600

    restored = tmp_path / "restored" / "diplobot.db"  # restore: stop the bot, copy the file back
    restored.parent.mkdir()
    shutil.copy(result.path, restored)
    db = open_database(restored)
    try:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        count = result.counts["articles"]
        assert db.execute("select count(*) from articles").fetchone()[0] == count
        titles = [r[0] for r in db.execute("select title from articles order by id")]
        assert titles == [f"Writer report {n}" for n in range(count)]  # a prefix: no gap, no torn write
        assert search_articles(db, f"Writer report {count - 1}")
        db.execute("insert into articles_fts (articles_fts) values ('integrity-check')")
    finally:
        db.close()


def test_the_copy_is_one_self_contained_file(live, tmp_path):
    result = backup_database(live, tmp_path / "copy.db")
    conn = sqlite3.connect(result.path)
    assert conn.execute("pragma journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "live"]


def test_a_backup_that_fails_its_check_keeps_the_previous_one(live, tmp_path, monkeypatch):
    target = tmp_path / "copy.db"
    target.write_bytes(b"previous backup")

    def broken(path, expected):
        raise BackupError("the copy failed its integrity check: page 2 is broken")

    monkeypatch.setattr(backup_module, "_verify", broken)
    with pytest.raises(BackupError, match="integrity"):
        backup_database(live, target)
    assert target.read_bytes() == b"previous backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "live"]


def test_verify_refuses_a_file_that_is_not_a_database(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(BackupError, match="not a readable SQLite database"):
        verify_copy(bad)


def cli(tmp_path: Path, live: Path, *args: str):
    config = tmp_path / "diplobot.toml"
    config.write_text(f'[store]\npath = "{live}"\n', encoding="utf-8")
    return CliRunner().invoke(app, ["--config", str(config), *args], terminal_width=200)


def test_cli_backup_prints_size_and_counts(live, tmp_path):
    result = cli(tmp_path, live, "backup", str(tmp_path / "b.db"))
    assert result.exit_code == 0, result.output
    assert f"backup written to {tmp_path / 'b.db'}: " in result.output
    assert "KiB; integrity ok; 0 articles, 0 chats, 0 subscriptions" in result.output


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{live}", "is the live database or one of its files"),
        ("{live}-wal", "is the live database or one of its files"),
        ("{tmp}", "is a folder"),
        ("{tmp}/missing/b.db", "no folder"),
    ],
)
def test_cli_backup_refuses_the_live_database_and_bad_targets(live, tmp_path, target, message):
    before = live.read_bytes()
    result = cli(tmp_path, live, "backup", target.format(live=live, tmp=tmp_path))
    assert result.exit_code == 1
    assert "backup failed: " in result.output and message in result.output
    assert live.read_bytes() == before


def test_cli_backup_without_a_database_fails(tmp_path):
    result = cli(tmp_path, tmp_path / "none.db", "backup", str(tmp_path / "b.db"))
    assert result.exit_code == 1
    assert "no database at" in result.output
    assert not os.path.exists(tmp_path / "none.db")
