"""The bundled sample sources: the seed article and two small feeds shipped in the package.

So that a newcomer sees alerts arrive without any network, a sample feed releases its items a few
at a time: three at the first poll, then one more per polling interval, oldest first. When all of a
feed's items are out it starts over with replays, without end (also across restarts), so a chat that
subscribes after an hour still sees alerts: replay `k` of an item is a new article with its own guid,
link (`?replay=k`), publication time (the moment it is released) and a closing line that names it a
replay (also what keeps its text from being the same article as the original's). Everything follows
from the source's start time and polling interval, so a given moment always yields the same items.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
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
    """The items of a bundled sample released by `now`: at most the last feed's length of them.

    Older releases were returned by earlier polls (and are stored); a bot that was down longer than a
    whole round simply skips what it missed, as with any feed.
    """
    path = sample_path(url)
    if path.suffix != ".xml":
        return read_path(path)
    drafts = parse_feed(path.read_bytes(), url=None).drafts
    if not drafts:
        return []
    drafts.sort(key=lambda d: d.published_at or datetime.min.replace(tzinfo=UTC))
    every_s = max(every_s, 1)
    released = FIRST_RELEASE + int((now - started).total_seconds() // every_s)
    first = max(0, released - len(drafts))
    return [_release(drafts, n, started, every_s) for n in range(first, released)]


def _release(drafts: list[ArticleDraft], n: int, started: datetime, every_s: int) -> ArticleDraft:
    """The `n`-th item released (0-based): the feed's own items first, then replay after replay of them."""
    round_, draft = n // len(drafts), drafts[n % len(drafts)]
    if round_ == 0:
        return draft
    released_at = started + timedelta(seconds=(n - FIRST_RELEASE + 1) * every_s)
    when = draft.published_at
    first_published = f" first published {when.day} {when:%B %Y}" if when else ""
    note = f"(Replay {round_} of this bundled sample item,{first_published}.)"
    return replace(
        draft,
        url=_replay_link(draft.url, round_),
        guid=_replay_link(draft.guid, round_),
        published_at=released_at,
        summary=f"{draft.summary}\n\n{note}" if draft.summary else draft.summary,
        body=f"{draft.body}\n\n{note}" if draft.body else draft.body,
    )


def _replay_link(link: str | None, round_: int) -> str | None:
    if not link:
        return link
    return f"{link}{'&' if '?' in link else '?'}replay={round_}"
