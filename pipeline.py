"""The data flow in one place: drafts -> stored articles -> enriched articles -> matches -> alerts in the outbox.

Both the CLI (`diplobot ingest`, `diplobot poll`) and the running bot use these functions, so an
article ingested by a cron job alerts exactly like one polled by the bot. Each stage is a separate
step over the articles the previous one left, marked in the database, so a crash between two
stages loses nothing and each stage can run again:

1. store (`store_drafts`): insert new articles, dedup by canonical URL, feed guid or content hash,
   all of one batch in one transaction; the FTS5 index follows by trigger. Nothing else, so it
   keeps pace with a plain insert (bench/ingest.py).
2. enrich (`enrich_ids`): over stored, not yet enriched articles, oldest first, assign each its story and
   index its people, and set `enriched_at` in the same transaction. This stage reads article text of any
   size and shape, so the bot runs it in a sandbox worker process (`Pipeline`, sandbox.py).
3. match (`match_step`): over enriched articles without `matched_at`: alerts are one per chat and story,
   so matching waits for the story.

Every step is one short transaction, so a command's write waits at most one step, and a second process
(a cron `diplobot ingest`) working through the same stage simply takes the next articles.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from diplobot.analysis.matcher import Match, Matcher
from diplobot.analysis.query import Query, QueryError, parse_query
from diplobot.analysis.schedule import quiet_until
from diplobot.clock import Clock, iso
from diplobot.ingest.models import ArticleDraft
from diplobot.ingest.urls import canonical_url, content_hash
from diplobot.sandbox import LimitExceeded, Sandbox
from diplobot.store import alerts, articles, subscriptions
from diplobot.store.chats import get_chat
from diplobot.store.db import open_database
from diplobot.store.people import index_article_people, phrase_variants, use_aliases_file, variants_revision
from diplobot.store.stories import assign_story
from diplobot.store.worker import Store
from diplobot.texts import clip

log = logging.getLogger(__name__)


@dataclass
class IngestCounts:
    """What one ingest run did; `failed` holds (input, reason) pairs."""

    new: int = 0
    duplicates: int = 0
    alerts: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: IngestCounts) -> None:
        self.new += other.new
        self.duplicates += other.duplicates
        self.alerts += other.alerts
        self.failed.extend(other.failed)


# Caps on what one article may store. A source controls these texts: an 8 MB "title" must not become
# thousands of chat messages, nor megabytes of text to render, match and extract people from.
MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 3_000
MAX_BODY_CHARS = 500_000


def to_row(draft: ArticleDraft, *, source_id: int | None, now: str) -> articles.NewArticle:
    """The row for a draft, its texts capped; the content hash covers the stored (capped) texts."""
    title, body = clip(draft.title, MAX_TITLE_CHARS), clip(draft.body, MAX_BODY_CHARS)
    summary = clip(draft.summary, MAX_SUMMARY_CHARS)
    canonical = canonical_url(draft.url) if draft.url else None
    return articles.NewArticle(
        title=title,
        summary=summary,
        body=body,
        url=draft.url,
        canonical_url=canonical,
        guid=draft.guid,
        published_at=iso(draft.published_at) if draft.published_at else None,
        fetched_at=now,
        # short or boilerplate text identifies nothing: such an article is known by its link (urls.content_hash)
        content_hash=content_hash(title, body or summary, identity=canonical or draft.guid),
        source_id=source_id,
    )


def unstored_drafts(db: Database, drafts: list[ArticleDraft]) -> list[ArticleDraft]:
    """The drafts whose links (canonical URL, feed guid) no stored article has: the ones worth a page fetch."""
    links = [{key for key in (canonical_url(d.url) if d.url else None, d.guid) if key} for d in drafts]
    known = articles.stored_links(db, set().union(*links))
    return [draft for draft, keys in zip(drafts, links, strict=True) if not keys & known]


def store_drafts(db: Database, drafts: Iterable[ArticleDraft], *, source_id: int | None,
                 now: str) -> IngestCounts:
    """Insert the new articles of a batch in one transaction; `enrich_pending` gives them stories and people."""
    rows = [to_row(draft, source_id=source_id, now=now) for draft in drafts]
    if not rows:
        return IngestCounts()
    with db.atomic():
        ids = articles.insert_articles(db, rows)
    new = sum(article_id is not None for article_id in ids)
    return IngestCounts(new=new, duplicates=len(ids) - new)


ENRICH_STEP = 10  # articles per enrichment transaction (and worker task): the write lock is held that long
MATCH_STEP = 50  # articles per matching transaction at most ...
MATCH_STEP_S = 0.1  # ... or this many seconds, whichever comes first


def enrich_ids(db: Database, ids: list[int], now: str) -> int:
    """Give these articles (those of them not enriched yet) their story and people in one transaction.

    A step that raises for an article (a bug, odd text) is logged and undone, and the article is marked anyway,
    keeping its own story: it cannot hold up every later article's alerts.
    """
    with db.atomic():
        pending = articles.unenriched_among(db, ids)
        for article_id in pending:
            _enrich_one(db, article_id)
            articles.mark_enriched(db, article_id, now)
    return len(pending)


def enrich_in_worker(db_path: str, ids: list[int], now: str, aliases: str | None) -> int:
    """`enrich_ids` in a sandbox worker process, on a connection of its own."""
    use_aliases_file(Path(aliases) if aliases else None)
    db = open_database(db_path)
    try:
        return enrich_ids(db, ids, now)
    finally:
        db.close()


def enrich_pending(db: Database, now: datetime | None = None, *, limit: int | None = None) -> int:
    """Enrich stored, not yet enriched articles (all, or the oldest `limit`) in this process; returns how many.

    Oldest first, since a story is found among the articles stored before.
    """
    marked = iso(now or Clock().now())
    done = 0
    while limit is None or done < limit:
        size = ENRICH_STEP if limit is None else min(ENRICH_STEP, limit - done)
        ids = articles.unenriched_ids(db, size)
        if not ids:
            break
        done += enrich_ids(db, ids, marked)
    return done


def _enrich_one(db: Database, article_id: int) -> None:
    for step in (assign_story, index_article_people):
        try:
            with db.atomic():  # a savepoint: a failing step leaves nothing of itself behind
                step(db, article_id)
        except sqlite3.Error:
            raise
        except Exception:
            log.exception("enriching article %s: %s failed", article_id, getattr(step, "__name__", step))


class MatchState:
    """The live matcher, reloaded only when subscriptions changed (in any process)."""

    def __init__(self) -> None:
        self.revision = (-1, -1)  # (subscriptions, people's spellings)
        self.subs: dict[int, dict[str, Any]] = {}
        self.queries: dict[int, Query] = {}
        self.matcher: Matcher | None = None

    def refresh(self, db: Database) -> None:
        # New spellings of a known person (Vitkoff after Witkoff) change what a topic matches, so they
        # rebuild the matcher like a changed subscription does.
        revision = (subscriptions.subscriptions_revision(db), variants_revision(db))
        if revision == self.revision and self.matcher is not None:
            return
        if revision[1] != self.revision[1]:
            self.matcher = None
        rows = subscriptions.all_subscriptions(db)
        self.subs = {r["id"]: r for r in rows}
        for sub_id in self.queries.keys() - self.subs.keys():
            del self.queries[sub_id]
        for r in rows:
            if r["id"] not in self.queries:
                try:
                    self.queries[r["id"]] = parse_query(r["query"])
                except QueryError:
                    log.warning("subscription %s has an unreadable query; skipped", r["id"])
        if self.matcher is None:
            self.matcher = Matcher(variants=lambda phrase: phrase_variants(db, phrase))
        self.matcher.update(self.queries)
        self.revision = revision


def match_step(db: Database, state: MatchState, now: datetime) -> tuple[int, int]:
    """Match the oldest enriched, unmatched articles for at most `MATCH_STEP_S`: (articles matched, alerts created).

    Each article's alerts and its 'matched' mark commit together; the step is short so that a command's write
    never waits long behind it.
    """
    ids = articles.unmatched_ids(db, MATCH_STEP)
    if not ids:
        return 0, 0
    state.refresh(db)
    created = 0
    deadline = time.monotonic() + MATCH_STEP_S
    for done, article_id in enumerate(ids, 1):
        with db.atomic():
            if articles.mark_matched(db, article_id, iso(now)):  # else another process matched it meanwhile
                created += _match_one(db, state, article_id, now)
        if time.monotonic() > deadline:
            return done, created
    return len(ids), created


def match_pending(db: Database, state: MatchState, now: datetime) -> int:
    """Enrich (in this process) and match everything pending; returns the alerts created."""
    created = 0
    while True:
        enriched = enrich_pending(db, now, limit=MATCH_STEP)
        matched, alerts_made = match_step(db, state, now)
        created += alerts_made
        if not enriched and not matched:
            return created


def _match_one(db: Database, state: MatchState, article_id: int, now: datetime) -> int:
    article = articles.get_article(db, article_id)
    if article is None or state.matcher is None:
        return 0
    hits = state.matcher.match(article["title"], article["summary"], article["body"])
    by_chat: dict[str, list[dict[str, Any]]] = {}
    for sub_id, match in sorted(hits.items()):
        sub = state.subs.get(sub_id)
        if sub is None or article_id <= sub["since_article_id"] or _is_muted(sub, now):
            continue
        by_chat.setdefault(sub["chat_id"], []).append(_topic_json(sub, state.queries[sub_id], match))
    created = 0
    for chat_id, topics in by_chat.items():
        chat = get_chat(db, chat_id)
        if chat is None or chat["alerts_mode"] != "instant":
            continue
        held_until = quiet_until(now, chat["timezone"] or "UTC", chat["quiet_start"], chat["quiet_end"])
        if alerts.create_alert(db, chat_id=chat_id, article_id=article_id, story_id=article["story_id"],
                               topics=topics, next_attempt_at=iso(held_until or now), now=iso(now),
                               held=held_until is not None):
            created += 1
    return created


def _is_muted(sub: dict[str, Any], now: datetime) -> bool:
    return bool(sub["muted_until"]) and sub["muted_until"] > iso(now)


def _topic_json(sub: dict[str, Any], query: Query, match: Match) -> dict[str, Any]:
    return {"id": sub["id"], "query": sub["query"], "describe": query.describe(),
            "phrase": match.phrase, "field": match.field, "start": match.start, "end": match.end}


class Pipeline:
    """The stages as the bot and the CLI run them: store and match on `store`'s thread, and enrichment (the
    heavy, text-driven stage) in a `sandbox` worker process when one is given, else on the store thread.

    Each step is one short transaction followed by a return to the event loop.
    """

    def __init__(self, store: Store, sandbox: Sandbox | None = None, *, aliases: Path | None = None,
                 clock: Clock | None = None) -> None:
        self.store = store
        self.sandbox = sandbox
        self.aliases = str(aliases) if aliases else None
        self.clock = clock or Clock()
        self.state = MatchState()

    async def ingest(self, drafts: list[ArticleDraft], *, source_id: int | None = None,
                     now: datetime | None = None) -> IngestCounts:
        """Store drafts, enrich and match them; alerts land in the outbox for whichever process delivers."""
        now = now or self.clock.now()
        counts = await self.store.run(store_drafts, drafts, source_id=source_id, now=iso(now))
        counts.alerts = await self.enrich_and_match(now)
        return counts

    async def enrich_and_match(self, now: datetime | None = None) -> int:
        """Work through everything stored and not yet matched; returns the alerts created."""
        now = now or self.clock.now()
        created = 0
        while True:
            enriched = await self.enrich(now)
            matched, alerts_made = await self.store.run(match_step, self.state, now)
            created += alerts_made
            if not enriched and not matched:
                return created

    async def enrich(self, now: datetime, limit: int = MATCH_STEP) -> int:
        """Enrich up to `limit` of the oldest pending articles, a step at a time."""
        done = 0
        while done < limit:
            ids = await self.store.run(articles.unenriched_ids, ENRICH_STEP)
            if not ids:
                break
            if self.sandbox is None:
                await self.store.run(enrich_ids, ids, iso(now))
            else:
                await self._enrich_isolated(ids, now)
            done += len(ids)
        return done

    async def _enrich_isolated(self, ids: list[int], now: datetime) -> None:
        """Enrich in a worker; when a limit stops it, again one by one, and mark the article that hits it."""
        assert self.sandbox is not None
        try:
            await self.sandbox.run(enrich_in_worker, self.store.path, ids, iso(now), self.aliases)
            return
        except LimitExceeded as exc:
            if len(ids) == 1:
                reason = f"story and people not found: the analysis {exc}"
                log.warning("article %s: %s", ids[0], reason)
                await self.store.run(articles.mark_enrich_failed, ids[0], iso(now), reason)
                return
        for article_id in ids:
            await self._enrich_isolated([article_id], now)


async def ingest_drafts(store: Store, drafts: list[ArticleDraft], *, source_id: int | None = None,
                        now: datetime | None = None, clock: Clock | None = None) -> IngestCounts:
    """Store, enrich and match drafts on `store`'s thread (tests and one-off callers)."""
    return await Pipeline(store, clock=clock).ingest(drafts, source_id=source_id, now=now)
