"""Polling one source: fetch (conditionally), parse, store, and record how it went.

A failure never raises out of here: it becomes the source's `last_error`, raises its error count,
and after `max_failures` in a row pauses it, so one bad source never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from diplobot.clock import from_iso, iso
from diplobot.config import IngestConfig
from diplobot.ingest.documents import ParsedDocument, parse_document
from diplobot.ingest.fetch import Fetcher
from diplobot.ingest.files import read_source
from diplobot.ingest.models import ArticleDraft, IngestError
from diplobot.ingest.pages import fetch_page
from diplobot.ingest.samples import sample_drafts
from diplobot.ingest.urls import display_url
from diplobot.pipeline import IngestCounts, store_drafts, unstored_drafts
from diplobot.sandbox import THREADS, LimitExceeded, Runner
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
        """One line for people (CLI, logs): the URL with its credentials masked."""
        name = display_url(self.url)
        if self.error:
            return f"{name}: FAILED: {self.error}" + (" (source paused)" if self.paused else "")
        if self.unchanged:
            return f"{name}: unchanged (304)"
        c = self.counts or IngestCounts()
        return f"{name}: {c.new} new, {c.duplicates} already stored"


def source_kind(url: str) -> str:
    """'sample', 'feed' for any URL, or 'file' for a local path. A URL of another scheme (`ftp://x`) is a feed
    too, never a path: its polls fail saying that only http(s) is fetched (`sources add` refuses it outright)."""
    if url.startswith("sample:"):
        return "sample"
    if url.startswith(("http://", "https://")) or re.match(r"[A-Za-z][A-Za-z0-9+.-]+://", url):
        return "feed"
    return "file"


async def poll_source(
    store: Store,
    fetcher: Fetcher,
    source: dict[str, Any],
    config: IngestConfig,
    now: datetime,
    *,
    runner: Runner = THREADS,
) -> PollResult:
    """Poll one source; its parsing (and full-text pages') runs with `runner`, a sandbox worker in the bot.

    Any failure, foreseen (IngestError) or not (a bug, a hostile answer nobody thought of), is this
    source's alone: recorded, backed off, and after `max_failures` in a row the source is paused.
    """
    name = display_url(source["url"])
    try:
        return await _poll_source(store, fetcher, source, now, runner)
    except IngestError as exc:
        log.warning("source %s failed: %s", name, exc)
        return await _failed(store, source, config, now, error=str(exc), retry_after=getattr(exc, "retry_after", None))
    except LimitExceeded as exc:
        log.warning("source %s failed: reading it %s", name, exc)
        return await _failed(store, source, config, now, error=f"reading it {exc}")
    except Exception as exc:
        log.warning("source %s failed unexpectedly", name, exc_info=True)
        error = f"unexpected {type(exc).__name__}: {exc}".replace(source["url"], name)
        return await _failed(store, source, config, now, error=error[:300])


async def _failed(
    store: Store,
    source: dict[str, Any],
    config: IngestConfig,
    now: datetime,
    *,
    error: str,
    retry_after: float | None = None,
) -> PollResult:
    """Record a failed poll: back off (at least as long as the server asked, at most MAX_RETRY_S)."""
    backoff = source["every_s"] * 2 ** min(source["error_count"], 32)
    retry = min(max(backoff, retry_after or 0), MAX_RETRY_S)
    paused = await store.run(
        sources.record_failure,
        source["id"],
        error=error,
        now=iso(now),
        retry_in_s=retry,
        max_failures=config.max_failures,
    )
    return PollResult(url=source["url"], error=error, paused=paused)


async def _poll_source(
    store: Store, fetcher: Fetcher, source: dict[str, Any], now: datetime, runner: Runner
) -> PollResult:
    result = PollResult(url=source["url"])
    drafts, meta = await _read(fetcher, source, now, runner)
    next_poll = iso(now + timedelta(seconds=source["every_s"] * random.uniform(0.95, 1.05)))
    if drafts is None:
        result.unchanged = True
    else:
        known = 0
        if source["full_text"]:  # pages only for items not stored yet
            fresh = await store.run(unstored_drafts, drafts)
            known = len(drafts) - len(fresh)
            drafts = await _with_full_texts(fetcher, fresh, runner)
        result.counts = await store.run(store_drafts, drafts, source_id=source["id"], now=iso(now))
        result.counts.duplicates += known
    await store.run(sources.record_success, source["id"], now=iso(now), next_poll_at=next_poll, **meta)
    return result


async def _read(
    fetcher: Fetcher, source: dict[str, Any], now: datetime, runner: Runner
) -> tuple[list[ArticleDraft] | None, dict[str, Any]]:
    """The source's drafts (None when unchanged) and what to remember about the fetch."""
    kind = source["kind"]
    if kind == "sample":
        started = from_iso(source["created_at"])
        return sample_drafts(source["url"], started, now, source["every_s"]), {}
    if kind == "file":  # a folder stores what it can; the files it skipped are the source's warning
        document = await runner.run(read_files, Path(source["url"]))
        return document.drafts, {"warning": document.warning}
    fetched = await fetcher.get(source["url"], etag=source["etag"], last_modified=source["last_modified"])
    meta = {"etag": fetched.etag, "last_modified": fetched.last_modified}
    if fetched.status == 304:
        return None, meta
    # Decided by content, not by URL or Content-Type: RSS/Atom/RDF or JSON Feed; a page is "not a feed".
    parsed = await runner.run(
        parse_document,
        fetched.body,
        url=fetched.url,
        content_type=fetched.content_type,
        name=source["url"],
        feeds_only=True,
    )
    meta.update(title=parsed.title, warning=parsed.warning)
    return parsed.drafts, meta


def read_files(path: Path) -> ParsedDocument:
    """Every article in a file, or in the files of a folder (recursively), with warnings naming files."""
    return read_source(path)


async def _with_full_texts(fetcher: Fetcher, drafts: list[ArticleDraft], runner: Runner) -> list[ArticleDraft]:
    """Each draft with its page's main text as body (a few pages at a time); the feed's text when the page fails."""
    limit = asyncio.Semaphore(PAGES_AT_ONCE)

    async def one(draft: ArticleDraft) -> ArticleDraft:
        if not draft.url:
            return draft
        try:
            async with limit:
                page = await fetch_page(fetcher, draft.url, runner)
        except (IngestError, LimitExceeded) as exc:
            log.info("full text of %s unavailable: %s", display_url(draft.url), exc)
            return draft
        return replace(draft, body=page.body or draft.body)

    return list(await asyncio.gather(*(one(d) for d in drafts)))


async def poll_due(
    store: Store,
    fetcher: Fetcher,
    config: IngestConfig,
    now: datetime,
    *,
    all_sources: bool = False,
    runner: Runner = THREADS,
) -> list[PollResult]:
    """Poll every due source (or every unpaused one), a few at a time."""
    until = datetime.max.replace(tzinfo=now.tzinfo) if all_sources else now
    rows = await store.run(sources.due_sources, iso(until))
    limit = asyncio.Semaphore(4)

    async def one(row: dict[str, Any]) -> PollResult:
        async with limit:
            try:
                return await poll_source(store, fetcher, row, config, now, runner=runner)
            except Exception:  # even recording the failure failed: still this source's problem only
                log.exception("source %s could not be polled", display_url(row["url"]))
                return PollResult(url=row["url"], error="could not be polled (see the log)")

    return list(await asyncio.gather(*(one(r) for r in rows)))
