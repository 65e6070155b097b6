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
from diplobot.ingest.sniff import (
    FEED_SUFFIXES,
    HTML_SUFFIXES,
    JSON_SUFFIXES,
    JSONL_SUFFIXES,
    MARKDOWN_SUFFIXES,
    TEXT_SUFFIXES,
)

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
        _refuse_non_article(path.suffix.lower(), b"")
        data = _read_bytes(path, max_bytes)
        if path.suffix.lower() not in _ARTICLE_SUFFIXES:  # named as an article: its reader says what is wrong
            _refuse_non_article("", data[:16])
        document = parse_document(data, name=path.name)
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


# Files that are never articles, known by suffix or, without a telling suffix, by their first bytes: each is
# skipped with what it is ("PDF is not supported"), never read as text in a guessed encoding nor called binary.
_ARTICLE_SUFFIXES = FEED_SUFFIXES | HTML_SUFFIXES | MARKDOWN_SUFFIXES | TEXT_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES
_SAVE_AS = "save it as text, Markdown or HTML to read it"
_DOCUMENTS = {
    ".pdf": "PDF",
    ".docx": "a Word document (.docx)",
    ".doc": "a Word document (.doc)",
    ".odt": "an OpenDocument text (.odt)",
    ".rtf": "an RTF document",
    ".epub": "an e-book (.epub)",
    ".pages": "a Pages document",
    ".xlsx": "a spreadsheet (.xlsx)",
    ".xls": "a spreadsheet (.xls)",
    ".ods": "a spreadsheet (.ods)",
    ".csv": "a CSV table",
    ".pptx": "a presentation (.pptx)",
    ".ppt": "a presentation (.ppt)",
    ".odp": "a presentation (.odp)",
}
_NOT_ARTICLES = {
    **dict.fromkeys(
        (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".svg", ".ico"), "an image"
    ),
    **dict.fromkeys(
        (".mp3", ".wav", ".ogg", ".m4a", ".flac", ".mp4", ".mov", ".avi", ".mkv", ".webm"), "audio or video"
    ),
    **dict.fromkeys((".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".rar"), "an archive"),
    **dict.fromkeys(
        (
            ".py",
            ".pyc",
            ".pyo",
            ".js",
            ".mjs",
            ".ts",
            ".css",
            ".scss",
            ".sh",
            ".bash",
            ".c",
            ".h",
            ".cpp",
            ".java",
            ".go",
            ".rs",
            ".rb",
            ".pl",
            ".lua",
            ".sql",
        ),
        "source code",
    ),
    **dict.fromkeys((".toml", ".yaml", ".yml", ".ini", ".cfg", ".lock"), "a configuration file"),
    **dict.fromkeys((".db", ".sqlite", ".sqlite3"), "a database"),
    **dict.fromkeys((".exe", ".dll", ".so", ".dylib", ".bin", ".o"), "a program"),
}
_MAGIC = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"{\\rtf", "an RTF document"),
)
_MAGIC_NOT_ARTICLES = (
    (b"\x89PNG", "an image (PNG)"),
    (b"\xff\xd8\xff", "an image (JPEG)"),
    (b"GIF8", "an image (GIF)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "an archive"),
    (b"Rar!", "an archive"),
    (b"SQLite format 3", "a database"),
    (b"\x7fELF", "a program"),
)


def _refuse_non_article(suffix: str, head: bytes) -> None:
    """IngestError saying what the file is when its suffix (or, with `head`, its first bytes) is no article's."""
    what = _DOCUMENTS.get(suffix) or next((name for magic, name in _MAGIC if head.startswith(magic)), None)
    if what:
        raise IngestError(f"{what} is not supported: {_SAVE_AS}")
    what = _NOT_ARTICLES.get(suffix) or next(
        (name for magic, name in _MAGIC_NOT_ARTICLES if head.startswith(magic)), None
    )
    if what:
        shown = f"{what} ({suffix})" if suffix and "(" not in what else what
        raise IngestError(f"{shown} is not an article")
