"""Polling one source: fetch (conditionally), parse, store, and record how it went.

A failure never raises out of here: it becomes the source's `last_error`, raises its error count,
and after `max_failures` in a row pauses it, so one bad source never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from diplobot.clock import from_iso, iso
from diplobot.config import IngestConfig
from diplobot.ingest.feeds import parse_feed
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.files import iter_inputs, read_path
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.pages import fetch_page
from diplobot.ingest.samples import sample_drafts
from diplobot.pipeline import IngestCounts, store_drafts, unstored_drafts
from diplobot.store import sources
from diplobot.store.worker import Store

log = logging.getLogger(__name__)

MAX_RETRY_S = 6 * 3600
PAGES_AT_ONCE = 4  # full-text page fetches in flight per source


@dataclass
class PollResult:
    """One source's outcome, printable as one line."""

    url: str
    counts: IngestCounts | None = None
    unchanged: bool = False
    error: str | None = None
    paused: bool = False

    def line(self) -> str:
        if self.error:
            return f"{self.url}: FAILED: {self.error}" + (" (source paused)" if self.paused else "")
        if self.unchanged:
            return f"{self.url}: unchanged (304)"
        c = self.counts or IngestCounts()
        return f"{self.url}: {c.new} new, {c.duplicates} already stored"


def source_kind(url: str) -> str:
    if url.startswith("sample:"):
        return "sample"
    if url.startswith(("http://", "https://")):
        return "feed"
    return "file"


async def poll_source(store: Store, fetcher: Fetcher, source: dict[str, Any], config: IngestConfig,
                      now: datetime) -> PollResult:
    result = PollResult(url=source["url"])
    try:
        drafts, meta = await _read(fetcher, source, now)
    except IngestError as exc:
        result.error = str(exc)
        retry = min(source["every_s"] * 2 ** source["error_count"], MAX_RETRY_S)
        retry = max(retry, getattr(exc, "retry_after", 0) or 0)
        result.paused = await store.run(sources.record_failure, source["id"], error=str(exc),
                                        now=iso(now), retry_in_s=retry, max_failures=config.max_failures)
        log.warning("source %s failed: %s", source["url"], exc)
        return result
    next_poll = iso(now + timedelta(seconds=source["every_s"] * random.uniform(0.95, 1.05)))
    if drafts is None:
        result.unchanged = True
    else:
        known = 0
        if source["full_text"]:  # pages only for items not stored yet
            fresh = await store.run(unstored_drafts, drafts)
            known = len(drafts) - len(fresh)
            drafts = await _with_full_texts(fetcher, fresh)
        result.counts = await store.run(store_drafts, drafts, source_id=source["id"], now=iso(now))
        result.counts.duplicates += known
    await store.run(sources.record_success, source["id"], now=iso(now), next_poll_at=next_poll, **meta)
    return result


async def _read(fetcher: Fetcher, source: dict[str, Any], now: datetime
                ) -> tuple[list[ArticleDraft] | None, dict[str, Any]]:
    """The source's drafts (None when unchanged) and what to remember about the fetch."""
    kind = source["kind"]
    if kind == "sample":
        started = from_iso(source["created_at"])
        return sample_drafts(source["url"], started, now, source["every_s"]), {}
    if kind == "file":
        return await asyncio.to_thread(_read_files, Path(source["url"])), {}
    fetched = await fetcher.get(source["url"], etag=source["etag"], last_modified=source["last_modified"])
    meta = {"etag": fetched.etag, "last_modified": fetched.last_modified}
    if fetched.status == 304:
        return None, meta
    parsed = await asyncio.to_thread(parse_feed, fetched.body, url=fetched.url,
                                     content_type=fetched.content_type)
    meta.update(title=parsed.title, warning=parsed.warning)
    return parsed.drafts, meta


def _read_files(path: Path) -> list[ArticleDraft]:
    """Every article in a file, or in the files of a folder (recursively)."""
    return [draft for file in iter_inputs([path]) for draft in read_path(file)]


async def _with_full_texts(fetcher: Fetcher, drafts: list[ArticleDraft]) -> list[ArticleDraft]:
    """Each draft with its page's main text as body (a few pages at a time); the feed's text when the page fails."""
    limit = asyncio.Semaphore(PAGES_AT_ONCE)

    async def one(draft: ArticleDraft) -> ArticleDraft:
        if not draft.url:
            return draft
        try:
            async with limit:
                page = await fetch_page(fetcher, draft.url)
        except IngestError as exc:
            log.info("full text of %s unavailable: %s", draft.url, exc)
            return draft
        return replace(draft, body=page.body or draft.body)

    return list(await asyncio.gather(*(one(d) for d in drafts)))


async def poll_due(store: Store, fetcher: Fetcher, config: IngestConfig, now: datetime,
                   *, all_sources: bool = False) -> list[PollResult]:
    """Poll every due source (or every unpaused one), a few at a time."""
    until = datetime.max.replace(tzinfo=now.tzinfo) if all_sources else now
    rows = await store.run(sources.due_sources, iso(until))
    limit = asyncio.Semaphore(4)

    async def one(row: dict[str, Any]) -> PollResult:
        async with limit:
            return await poll_source(store, fetcher, row, config, now)

    return list(await asyncio.gather(*(one(r) for r in rows)))
