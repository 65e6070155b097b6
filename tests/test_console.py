"""The console chat end to end: a real `diplobot console` process driven through stdin."""

import contextlib
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seeds" / "000_fd9a76e71e4bf2ca.txt"
LONDON = FIXTURES / "corpus" / "articles" / "2025-03-02-london-summit-coalition-of-the-willing.txt"


class ConsoleProcess:
    def __init__(self, config: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "diplobot.bot", "--config", str(config), "console"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.seen: list[str] = []

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def send(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def wait_for(self, needle: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"{needle!r} not printed; got:\n" + "\n".join(self.seen))

    def drain(self, seconds: float) -> list[str]:
        end, got = time.monotonic() + seconds, []
        while time.monotonic() < end:
            with contextlib.suppress(queue.Empty):
                got.append(self.lines.get(timeout=0.1))
        self.seen.extend(got)
        return got


def ingest(config: Path, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "diplobot.bot", "--config", str(config), "ingest", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def config(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = tmp_path / "diplobot.toml"
    path.write_text(
        f'[store]\npath = "{tmp_path / "bot.db"}"\n[delivery]\npoll_interval = 0.3\n'
        f'[[sources]]\nurl = "{inbox}"\nevery = "1h"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
def test_console_subscribe_alert_once_then_unsubscribe(config):
    bot = ConsoleProcess(config)
    try:
        bot.send("/subscribe coalition of the willing")
        bot.wait_for('Subscribed (topic 1): phrase "coalition of the willing"')
        assert ingest(config, SEED).returncode == 0
        alert = bot.wait_for("🔔")
        bot.wait_for("«coalition of the willing»")
        assert "Yermak" in alert or any("Yermak" in line for line in bot.seen)
        assert ingest(config, SEED).stdout.startswith("0 new, 1 duplicates")
        assert not any("🔔" in line for line in bot.drain(1.5))
        bot.send("/unsubscribe 1")
        bot.wait_for("Unsubscribed")
        assert ingest(config, LONDON).returncode == 0
        assert not any("🔔" in line for line in bot.drain(1.5))
        bot.proc.stdin.close()
        assert bot.proc.wait(timeout=15) == 0
    finally:
        bot.proc.kill()


@pytest.mark.slow
def test_console_answers_unknown_and_malformed_commands(config):
    bot = ConsoleProcess(config)
    try:
        bot.send("/frobnicate")
        bot.wait_for("I don't know /frobnicate")
        bot.send('/subscribe "security guarantees')
        bot.wait_for("Usage: /subscribe")
        bot.send("/subscribe " + "x" * 10_000)
        bot.wait_for("the limit is 1,000")
        bot.proc.stdin.close()
        assert bot.proc.wait(timeout=15) == 0
    finally:
        bot.proc.kill()


@pytest.mark.parametrize("size", [5_000, 8_000_000])
def test_a_huge_hostile_title_prints_fast_as_one_clean_message(size):
    from diplobot.handlers.alerts import alert_reply
    from diplobot.platforms.console import render

    title = ("\x1b[2J\x1b]8;;http://evil\x07ceasefire\u2800\U000e0041 " * (size // 30 + 1))[:size]
    reply = alert_reply(
        {
            "title": title,
            "url": "https://wire.example/x",
            "source": "Wire",
            "summary": "",
            "body": "",
            "published_at": None,
        },
        [{"id": 1, "describe": 'phrase "ceasefire"', "phrase": "ceasefire", "field": "title", "start": 0, "end": 9}],
        "UTC",
    )
    text = render(reply)  # cut before any other work: a hang here is caught by the test's timeout
    assert len(text) <= 4096 and "Matched:" in text and "[Unsubscribe: /unsubscribe #1]" in text
    assert not any(ch in text for ch in "\x1b\x07\u2800\U000e0041")


@pytest.mark.slow
def test_the_console_refuses_a_flood_once_and_then_stays_quiet(tmp_path):
    path = tmp_path / "diplobot.toml"
    path.write_text(f'[store]\npath = "{tmp_path / "bot.db"}"\n[ops]\ncommands_per_minute = 2\n', encoding="utf-8")
    commands = "/help\n/frobnicate\n/help\n/nothing\n/subscribe " + "x" * 2000 + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "diplobot.bot", "--config", str(path), "console"],
        input=commands,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.count("at most 2 commands a minute") == 1
    assert "I don't know /frobnicate" in done.stdout and "/nothing" not in done.stdout
    assert "the limit is" not in done.stdout
