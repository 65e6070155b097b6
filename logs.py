"""Logging set-up: one line per event with level and component, text or JSON, secrets redacted.

Whatever a record carries (a feed title, a form field, an exception message) cannot forge another
record or drive the terminal: control characters, line and paragraph separators and bidi controls are
escaped in the text format (message and arguments alike; a traceback's lines are indented under its
record), and are JSON escapes in the JSON format.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

# Parsing libraries that log (or `warnings.warn`, seen as "py.warnings") their guesses about odd input:
# trafilatura's "wrong encoding detected", htmldate's and dateutil's date warnings. diplobot reports what
# matters about an input itself (IngestError, feed warnings), so theirs are DEBUG: shown with --verbose only.
THIRD_PARTY_QUIET = (
    "trafilatura",
    "pymorphy3",
    "htmldate",
    "courlan",
    "justext",
    "charset_normalizer",
    "dateparser",
    "dateutil",
    "feedparser",
    "readability",
    "py.warnings",
)

# Bot API URLs carry the token in the path; Slack tokens have recognisable prefixes.
_SECRET_PATTERNS = (
    re.compile(r"bot\d+:[A-Za-z0-9_-]+"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"\bxapp-[A-Za-z0-9-]+"),
)


# What a log line must not contain raw: C0/C1 controls (newlines, ANSI escapes), line/paragraph
# separators and bidi controls.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")  # json.dumps escapes C0
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
TRACEBACK_INDENT = "  | "


def _escaped(match: re.Match[str]) -> str:
    ch = match.group()
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def escape_controls(text: str) -> str:
    """`text` on one line: `\n` as the two characters backslash-n, ESC as `\x1b`, and so on."""
    return _UNSAFE.sub(_escaped, text)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("***", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites every record's message with secrets removed, whatever library logged it."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        """The message (with its arguments) and the traceback, both redacted; the traceback stays apart
        (`exc_text`) so formatters can lay it out under the record."""
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        record.msg, record.args = redact(record.getMessage(), self.secrets), None
        return True


def _details(record: logging.LogRecord) -> str:
    """The record's traceback and stack, if any."""
    parts = []
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


class TextFormatter(logging.Formatter):
    """`time LEVEL component: message` on one line; a traceback follows on lines of its own, each
    escaped and indented with `  | `, so no part of a record can pass for the start of another."""

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        safe.msg, safe.args = escape_controls(record.getMessage()), None
        safe.exc_info, safe.exc_text, safe.stack_info = None, None, None
        line = super().format(safe)
        details = _details(record)
        if details:
            line += "".join(f"\n{TRACEBACK_INDENT}{escape_controls(d)}" for d in details.splitlines())
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the traceback, if any, follows the message inside "message"."""

    def format(self, record: logging.LogRecord) -> str:
        details = _details(record)
        text = json.dumps(
            {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname,
                "component": record.name,
                "message": record.getMessage() + (f"\n{details}" if details else ""),
            },
            ensure_ascii=False,
        )
        return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def demote_third_party() -> None:
    """Make every record of the THIRD_PARTY_QUIET libraries (below CRITICAL) DEBUG, and route `warnings`
    into logging; handlers at INFO or above then drop them. Safe to call more than once, and meant for
    worker processes too, where parsing happens."""
    warnings.showwarning = _log_warning
    base = logging.getLogRecordFactory()
    if getattr(base, "demotes_third_party", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = base(*args, **kwargs)
        name = record.name if isinstance(record.name, str) else ""  # makeLogRecord builds with no name
        quiet = name in THIRD_PARTY_QUIET or name.split(".", 1)[0] in THIRD_PARTY_QUIET
        if quiet and record.levelno < logging.CRITICAL:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record

    factory.demotes_third_party = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _log_warning(  # noqa: PLR0917  (the signature of warnings.showwarning)
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:  # showwarning's own signature
    """`warnings.showwarning` replaced: a "py.warnings" record (demoted to DEBUG like the libraries')."""
    logging.getLogger("py.warnings").warning("%s:%s: %s: %s", filename, lineno, category.__name__, message)


def setup_logging(fmt: str = "text", level: str = "INFO", secrets: tuple[str, ...] = ()) -> None:
    demote_third_party()
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)  # also drops records demoted after the logger's own level check
    handler.addFilter(RedactingFilter(secrets))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default", "apscheduler.scheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_to_file(path: Path, *, terminal_level: str = "WARNING") -> Path | None:
    """Send the log set up by `setup_logging` to `path` (appended; created readable by the owner only) and
    only `terminal_level` and above to stderr: an interactive console's chat shares the terminal with stderr,
    and routine INFO lines would land between its messages. Returns the path, or None when it cannot be
    written (then stderr alone, still at `terminal_level`)."""
    root = logging.getLogger()
    terminal = next((h for h in root.handlers if type(h) is logging.StreamHandler), None)
    if terminal is None:
        return None
    terminal.setLevel(max(terminal.level, logging.getLevelName(terminal_level)))
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setLevel(logging.getLogger().level)
    handler.setFormatter(terminal.formatter)
    for log_filter in terminal.filters:
        handler.addFilter(log_filter)
    root.addHandler(handler)
    return path
