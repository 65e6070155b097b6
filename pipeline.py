"""The data flow in one place: drafts -> stored articles -> enriched articles -> matches -> alerts in the outbox.

Both the CLI (`diplobot ingest`, `diplobot poll`) and the running bot use these functions, so an
article ingested by a cron job alerts exactly like one polled by the bot. Each stage is a separate
step over the articles the previous one left, marked in the database, so a crash between two
stages loses nothing and each stage can run again:

1. store (`store_drafts`): insert new articles, dedup by canonical URL, feed guid or content hash,
   all of one batch in one transaction; the FTS5 index follows by trigger. Nothing else, so it
   keeps pace with a plain insert (bench/ingest.py).
2. enrich (`enrich_pending`): over stored articles without `enriched_at`, in id order, assign each
   its story and index its people, and set `enriched_at` in the same transaction.
3. match (`match_pending`): over enriched articles without `matched_at`: alerts are one per chat
   and story, so matching waits for the story. `match_pending` runs the enrichment stage first,
   so every caller that matches also enriches.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from diplobot.analysis.matcher import Match, Matcher
from diplobot.analysis.query import Query, QueryError, parse_query
from diplobot.analysis.schedule import quiet_until
from diplobot.clock import Clock, iso
from diplobot.ingest.models import ArticleDraft
from diplobot.ingest.urls import canonical_url, content_hash
from diplobot.store import alerts, articles, subscriptions
from diplobot.store.chats import get_chat
from diplobot.store.people import index_article_people, phrase_variants, variants_revision
from diplobot.store.stories import assign_story
from diplobot.store.worker import Store

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


def to_row(draft: ArticleDraft, *, source_id: int | None, now: str) -> articles.NewArticle:
    return articles.NewArticle(
        title=draft.title,
        summary=draft.summary,
        body=draft.body,
        url=draft.url,
        canonical_url=canonical_url(draft.url) if draft.url else None,
        guid=draft.guid,
        published_at=iso(draft.published_at) if draft.published_at else None,
        fetched_at=now,
        content_hash=content_hash(draft.title, draft.body or draft.summary),
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
    with articles.write_transaction(db):
        ids = articles.insert_articles(db, rows)
    new = sum(article_id is not None for article_id in ids)
    return IngestCounts(new=new, duplicates=len(ids) - new)


def enrich_pending(db: Database, now: datetime | None = None, *, batch: int = 50, limit: int | None = None) -> int:
    """Give stored, not yet enriched articles (all, or the oldest `limit`) their story and people; returns how many.

    Oldest first, since a story is found among the articles stored before. Each batch is one transaction with
    its `enriched_at` marks (small, as it holds the write lock). A step that raises for an article (a bug, odd
    text) is logged and undone, and the article is marked anyway, keeping its own story: it cannot hold up every
    later article's alerts.
    """
    marked = iso(now or Clock().now())
    done = 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        if not articles.unenriched_ids(db, 1):  # idle: take no write lock
            break
        with articles.write_transaction(db):
            ids = articles.unenriched_ids(db, size)
            for article_id in ids:
                _enrich_one(db, article_id)
                articles.mark_enriched(db, article_id, marked)
        done += len(ids)
        if len(ids) < size:
            break
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


def match_pending(db: Database, state: MatchState, now: datetime, batch: int = 200) -> int:
    """Enrich and match what is pending, `batch` articles at a time; returns the alerts created.

    Matching takes enriched-but-unmatched articles only. Each article's alerts and its 'matched' mark commit
    together.
    """
    created = 0
    while True:
        enriched = enrich_pending(db, now, limit=batch)
        ids = articles.unmatched_ids(db, batch)
        if not ids and not enriched:
            return created
        state.refresh(db)
        for article_id in ids:
            with db.atomic():
                created += _match_one(db, state, article_id, now)
                articles.mark_matched(db, article_id, iso(now))


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


async def ingest_drafts(store: Store, drafts: list[ArticleDraft], *, source_id: int | None = None,
                        now: datetime | None = None, state: MatchState | None = None,
                        clock: Clock | None = None) -> IngestCounts:
    """Store drafts, enrich and match them; alerts land in the outbox for whichever process delivers."""
    now = now or (clock or Clock()).now()
    counts = await store.run(store_drafts, drafts, source_id=source_id, now=iso(now))
    counts.alerts = await store.run(match_pending, state or MatchState(), now)
    return counts


