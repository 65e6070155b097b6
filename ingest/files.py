"""Reading articles from local files and folders: any format parse_document recognises.

A file's format is decided by its content (an RSS file saved as `.rdf` or with no suffix is a feed,
an extensionless HTML page is a page), and its suffix only breaks ties. Every problem is an
IngestError naming the file and the reason, so one bad file in a folder is reported and skipped
rather than stopping the whole import; warnings (a guessed encoding, a damaged feed) name the file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from diplobot.ingest.documents import ParsedDocument, parse_document
from diplobot.ingest.fetch import DEFAULT_MAX_BYTES
from diplobot.ingest.models import ArticleDraft, IngestError

log = logging.getLogger(__name__)

_PROBLEMS_SHOWN = 3  # per-file problems named in a folder source's warning; the rest are counted


def iter_inputs(paths: Iterable[Path]) -> Iterator[Path]:
    """The files to read: files as given, folders recursively in name order, hidden entries skipped.

    A path that does not exist is passed through, so that reading it reports the problem.
    """
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            yield from (Path(folder, f) for f in sorted(files) if not f.startswith("."))


def read_path(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[ArticleDraft]:
    """The articles in one file (one per text/Markdown/HTML file; several for JSON and feeds); warnings are logged."""
    document = read_input(path, max_bytes=max_bytes)
    for warning in document.warnings:
        log.warning("%s", warning)
    return document.drafts


def read_input(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedDocument:
    """One file given to `diplobot ingest`: its document, whose warnings each name the file.

    A feed without items is an error here: one input that gave nothing is a failed input.
    """
    document = _read_file(path, max_bytes)
    try:
        document.articles()
    except IngestError as exc:
        raise IngestError(f"{path.name}: {exc}") from None
    return document


def read_source(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedDocument:
    """A file or folder source's articles, for polling: a folder stores what it can.

    Unreadable files in a folder become one warning naming them (the source is not failed for them);
    a feed with no items is simply nothing new. Only when every file of a folder fails, or a single
    file source fails, is it an IngestError. Warnings name the file.
    """
    if not path.is_dir():
        return _read_file(path, max_bytes)
    drafts: list[ArticleDraft] = []
    problems: list[str] = []
    warnings: list[str] = []
    files = 0
    for file in iter_inputs([path]):
        files += 1
        try:
            document = _read_file(file, max_bytes)
        except IngestError as exc:
            problems.append(str(exc))
            continue
        drafts.extend(document.drafts)
        warnings.extend(document.warnings)
    if problems and len(problems) == files:
        raise IngestError(f"none of the {files} files could be read: {_summary(problems)}")
    if problems:
        warnings.insert(0, f"{len(problems)} of {files} files skipped: {_summary(problems)}")
    return ParsedDocument("folder", drafts, warnings=warnings)


def _summary(problems: list[str]) -> str:
    shown = "; ".join(problems[:_PROBLEMS_SHOWN])
    more = len(problems) - _PROBLEMS_SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def _read_file(path: Path, max_bytes: int) -> ParsedDocument:
    """One file as a ParsedDocument whose warnings start with the file's path."""
    try:
        document = parse_document(_read_bytes(path, max_bytes), name=path.name)
    except IngestError as exc:
        raise IngestError(f"{path.name}: {exc}") from None
    document.warnings = [f"{path}: {warning}" for warning in document.warnings]
    return document


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """At most `max_bytes` + 1 bytes, so a huge (or endless) file is refused without being read."""
    try:
        if path.is_dir():
            raise IngestError("is a folder, not a file")
        if not path.is_file():
            raise IngestError("no such file" if not path.exists() else "not a regular file")
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise IngestError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise IngestError(f"file larger than {max_bytes / 1048576:g} MiB cap")
    if not data.strip():
        raise IngestError("empty file")
    return data
