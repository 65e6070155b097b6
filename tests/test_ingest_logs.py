"""Ingest output stays ours: third-party parsers' warnings go to logging at DEBUG, not to stderr."""

import logging
import subprocess
import sys
import warnings

import pytest

from diplobot.ingest.models import IngestError
from diplobot.ingest.pages import parse_page
from diplobot.logs import setup_logging

FRAGMENT = b"<p>Just a fragment of text.</p>"  # trafilatura logs "parsed tree length ... not valid HTML"


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level, factory = root.handlers[:], root.level, logging.getLogRecordFactory()
    showwarning = warnings.showwarning
    yield
    root.handlers[:], root.level = handlers, level
    logging.setLogRecordFactory(factory)
    warnings.showwarning = showwarning


def test_library_warnings_are_debug_records_and_ours_stay_warnings(restore_logging, capfd):
    setup_logging("text", "INFO")
    with pytest.raises(IngestError):
        parse_page(FRAGMENT)
    logging.getLogger("htmldate.core").warning("htmldate noise")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("tzname EEST identified but not understood", UserWarning, stacklevel=1)
    logging.getLogger("diplobot.poller").warning("source x failed: ours")

    quiet = capfd.readouterr().err
    setup_logging("text", "DEBUG")
    with pytest.raises(IngestError):
        parse_page(FRAGMENT)
    verbose = capfd.readouterr().err

    assert quiet.strip().endswith("WARNING diplobot.poller: source x failed: ours")
    assert quiet.count("\n") == 1, quiet
    assert "DEBUG trafilatura" in verbose and "WARNING trafilatura" not in verbose and "ERROR" not in verbose


@pytest.mark.slow
def test_diplobot_ingest_prints_only_its_own_lines(tmp_path):
    config = tmp_path / "diplobot.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "bot.db"}"\n', encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "fragment.html").write_bytes(FRAGMENT)
    (inbox / "dated.html").write_text(
        "<html><body><article><p>Talks were held. Posted Sep 4, 2025 10:00 EEST by staff.</p><p>"
        + "The delegations met again and agreed on the next steps. " * 5
        + "</p></article></body></html>"
    )

    run = subprocess.run(
        [sys.executable, "-m", "diplobot.bot", "--config", str(config), "ingest", str(inbox)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.stdout.startswith("1 new, 0 duplicates, 1 failed"), run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("failed: ") and "no article text" in lines[0], run.stderr
