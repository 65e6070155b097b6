"""In an interactive console (stdin a terminal) the log goes to diplobot.log, not between the chat's lines."""

import os
import pty
import subprocess
import sys
import time

import pytest


def start_console(tmp_path, stdin):
    config = tmp_path / "diplobot.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "data" / "bot.db"}"\n', encoding="utf-8")
    (tmp_path / "data").mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "diplobot.bot", "--config", str(config), "console"],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_an_interactive_console_logs_to_a_file_and_shows_only_warnings(tmp_path):
    controller, terminal = pty.openpty()
    proc = start_console(tmp_path, terminal)
    os.close(terminal)
    try:
        os.write(controller, b"/help\n")
        time.sleep(3)  # a few polls of the bundled samples: INFO lines ("ingested ...") are logged meanwhile
        os.write(controller, b"\x04")  # Ctrl-D: end of input
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        os.close(controller)
    log_file = tmp_path / "data" / "diplobot.log"
    assert proc.returncode == 0, err
    assert "/subscribe" in out  # the chat answered
    assert f"the log goes to {log_file} while you chat here" in err
    assert " INFO " not in err and " INFO " not in out
    logged = log_file.read_text(encoding="utf-8")
    assert " INFO diplobot.runtime: " in logged
    assert oct(log_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow
def test_a_console_reading_a_pipe_keeps_logging_to_stderr(tmp_path):
    proc = start_console(tmp_path, subprocess.PIPE)
    out, err = proc.communicate("/help\n", timeout=30)
    assert proc.returncode == 0 and "/subscribe" in out
    assert " INFO diplobot.runtime: " in err and "the log goes to" not in err
    assert not (tmp_path / "data" / "diplobot.log").exists()
