"""Several real processes on one database, and clean exits from any state."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diplobot.store.db import open_database

pytestmark = pytest.mark.slow

DIPLOBOT = [sys.executable, "-m", "diplobot.bot"]


def write_articles(folder: Path, prefix: str, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"{prefix}-{i}.md").write_text(
            f"# {prefix} envoy talks round {i}\n\nDelegation {prefix} met counterparts in city {i} "
            f"to discuss a ceasefire and prisoner exchange number {i} with mediators.\n",
            encoding="utf-8",
        )
    return folder


def config_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "diplobot.toml"
    path.write_text(
        f'[store]\npath = "{tmp_path / "bot.db"}"\n[delivery]\npoll_interval = 0.3\n{extra}', encoding="utf-8"
    )
    return path


def article_count(tmp_path: Path) -> int:
    db = open_database(tmp_path / "bot.db")
    try:
        return db.execute("select count(*) from articles where matched_at is not null").fetchone()[0]
    finally:
        db.close()


def test_three_ingests_at_once_all_store_everything(tmp_path):
    config = config_file(tmp_path)
    folders = [write_articles(tmp_path / name, name, 40) for name in ("a", "b", "c")]
    procs = [
        subprocess.Popen(
            [*DIPLOBOT, "--config", str(config), "ingest", str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in folders
    ]
    results = [(proc.wait(timeout=120), proc.stdout.read(), proc.stderr.read()) for proc in procs]
    for code, stdout, stderr in results:
        assert code == 0, stderr
        assert stdout.startswith("40 new, 0 duplicates, 0 failed"), stdout
    assert article_count(tmp_path) == 120


def test_a_cron_ingest_beside_the_running_bot_loses_nothing(tmp_path):
    config = config_file(tmp_path)
    bot = subprocess.Popen(
        [*DIPLOBOT, "--config", str(config), "run", "--no-console"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for round_ in range(3):
            folder = write_articles(tmp_path / f"round{round_}", f"r{round_}", 30)
            done = subprocess.run(
                [*DIPLOBOT, "--config", str(config), "ingest", str(folder)],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith("30 new, 0 duplicates, 0 failed"), done.stdout
    finally:
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=15) == 0
    assert article_count(tmp_path) >= 90


def test_the_console_exits_at_the_end_of_piped_input(tmp_path):
    config = config_file(tmp_path)
    started = time.monotonic()
    done = subprocess.run(
        [*DIPLOBOT, "--config", str(config), "console"],
        input="/subscribe ceasefire\n/settings timezone Europe/Kyiv\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ceasefire" in done.stdout and "Europe/Kyiv" in done.stdout
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("delay_s", [0.0, 0.3, 1.0])
def test_sigterm_at_any_moment_of_start_up_ends_the_process_within_ten_seconds(tmp_path, delay_s):
    config = config_file(tmp_path)
    proc = subprocess.Popen(
        [*DIPLOBOT, "--config", str(config), "run", "--no-console"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay_s)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    assert time.monotonic() - sent < 10


def test_a_second_signal_during_the_stop_ends_the_process_at_once(tmp_path):
    config = config_file(tmp_path)
    proc = subprocess.Popen(
        [*DIPLOBOT, "--config", str(config), "run", "--no-console"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while "running with" not in (line := proc.stderr.readline()):
        assert line, "the bot exited before it was running"
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
