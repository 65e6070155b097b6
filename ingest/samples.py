"""The bundled sample sources: the seed article and two small feeds shipped in the package.

So that a newcomer sees alerts arrive without any network, a sample feed releases its items a few
at a time: three at the first poll, then one more per polling interval, oldest first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from diplobot.ingest.feeds import parse_feed
from diplobot.ingest.files import read_path
from diplobot.ingest.models import ArticleDraft, IngestError

SAMPLE_SOURCES = ("sample:paris-2025-09-04.txt", "sample:wire.xml", "sample:agency.xml")
FIRST_RELEASE = 3


def sample_path(url: str) -> Path:
    name = url.removeprefix("sample:")
    path = Path(str(resources.files("diplobot.samples").joinpath(name)))
    if "/" in name or not path.is_file():
        raise IngestError(f"{url}: no such bundled sample")
    return path


def sample_drafts(url: str, started: datetime, now: datetime, every_s: int) -> list[ArticleDraft]:
    """The items of a bundled sample released by `now`."""
    path = sample_path(url)
    if path.suffix != ".xml":
        return read_path(path)
    drafts = parse_feed(path.read_bytes(), url=None).drafts
    drafts.sort(key=lambda d: d.published_at or datetime.min.replace(tzinfo=UTC))
    released = FIRST_RELEASE + int((now - started).total_seconds() // max(every_s, 1))
    return drafts[:released]
