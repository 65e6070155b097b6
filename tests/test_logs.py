"""Log lines: nothing a record carries can forge another record or drive the terminal."""

import io
import json
import logging

import pytest

from diplobot.logs import JsonFormatter, RedactingFilter, TextFormatter

FORGED = "help\n2031-01-01 00:00:00,000 CRITICAL diplobot: forged\r\x1b[2J\x1b]8;;http://evil\x07\u2028\u202e"


@pytest.fixture
def logged():
    """A logger writing through diplobot's handler set-up in the given format; returns its output."""
    loggers = []

    def make(fmt: str) -> tuple[logging.Logger, io.StringIO]:
        out = io.StringIO()
        handler = logging.StreamHandler(out)
        handler.addFilter(RedactingFilter(("SECRET-1",)))
        handler.setFormatter(
            JsonFormatter() if fmt == "json" else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        logger = logging.getLogger(f"test.logs.{fmt}")
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)
        loggers.append(logger)
        return logger, out

    yield make
    for logger in loggers:
        logger.handlers.clear()


def test_text_lines_escape_controls_in_the_message_and_its_arguments(logged):
    log, out = logged("text")
    log.warning("refused %s from %s", FORGED, "SECRET-1")
    log.info(FORGED)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "help\\n2031-01-01 00:00:00,000 CRITICAL diplobot: forged\\r\\x1b[2J\\x1b]8;;http://evil\\x07" in lines[0]
    assert "\\u2028\\u202e" in lines[0] and "SECRET-1" not in lines[0] and "***" in lines[0]
    assert not any(ch in out.getvalue() for ch in "\r\x1b\x07\u2028\u202e")


def test_a_traceback_stays_under_its_record_and_cannot_start_a_line_of_its_own(logged):
    log, out = logged("text")
    try:
        raise ValueError(FORGED)
    except ValueError:
        log.exception("command failed")
    first, *rest = out.getvalue().splitlines()
    assert first.endswith("ERROR test.logs.text: command failed")
    assert rest and all(line.startswith("  | ") for line in rest)
    assert any("ValueError: help" in line for line in rest)


def test_json_lines_are_one_object_each_with_every_control_escaped(logged):
    log, out = logged("json")
    log.warning("refused %s", FORGED)
    try:
        raise ValueError("boom\nCRITICAL forged")
    except ValueError:
        log.exception("failed")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == f"refused {FORGED}" and first["level"] == "WARNING"
    assert "Traceback" in second["message"] and "boom\nCRITICAL forged" in second["message"]
    assert not any(ch in out.getvalue() for ch in "\r\x1b\x07\u2028\u202e")
