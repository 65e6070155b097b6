"""Digests: when each chat's digest is due, and what it says.

Times are computed on the chat's wall clock with zoneinfo, so 08:00 stays 08:00 across DST
changes; the period key is the local date of the scheduled time, which makes "never twice for the
same period" a unique key in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from diplobot.analysis.query import Query, QueryError, parse_query
from diplobot.analysis.schedule import last_scheduled
from diplobot.analysis.topics import SCAN_CAP, Topics, Window
from diplobot.clock import from_iso, iso
from diplobot.enrichment.corpus import StoredArticles
from diplobot.enrichment.people import top_people
from diplobot.handlers.format import local_date
from diplobot.handlers.registry import Context, command
from diplobot.handlers.reply import Link, Reply, ReplyBuilder, Text
from diplobot.store import articles, digests, subscriptions

DIGEST_CAP = SCAN_CAP
"""Candidate articles a digest period reads at most (newest first); the digest says when there were more."""


@dataclass(frozen=True)
class DuePeriod:
    key: str
    scheduled: datetime  # UTC


def due_period(chat: dict[str, Any], now: datetime, default_tz: str, catch_up_hours: float) -> DuePeriod | None:
    """The period whose digest should go out now, if any (missed ones only while fresh enough)."""
    if not chat["digest_time"]:
        return None
    tz = chat["timezone"] or default_tz
    scheduled = last_scheduled(now, tz, chat["digest_time"], chat["digest_weekday"])
    if chat.get("digest_since") and scheduled <= from_iso(chat["digest_since"]):
        return None
    if now - scheduled > timedelta(hours=catch_up_hours):
        return None
    return DuePeriod(key=scheduled.astimezone(ZoneInfo(tz)).date().isoformat(), scheduled=scheduled)


def period_start(db: Database, chat: dict[str, Any], end: datetime) -> datetime:
    """Where a digest ending at `end` starts: the previous digest's end, else one period back."""
    previous = digests.last_digest_end(db, chat["id"])
    if previous and from_iso(previous) < end:
        return from_iso(previous)
    return end - timedelta(days=7 if chat["digest_weekday"] else 1)


def digest_reply(
    db: Database, chat: dict[str, Any], start: datetime, end: datetime, *, default_tz: str, max_items: int = 5
) -> Reply | None:
    """The digest for [start, end); None when empty and the chat asked to skip empty ones."""
    tz = chat["timezone"] or default_tz
    topics = _chat_queries(db, chat["id"])
    service = Topics(StoredArticles(db))
    stories, complete = _stories_by_topic(db, service, topics, start, end)
    total = len({s["story_id"] for rows in stories.values() for s in rows})
    if total == 0 and chat["digest_skip_empty"]:
        return None
    span = f"{local_date(iso(start), tz, with_time=True)} – {local_date(iso(end), tz, with_time=True)}"
    out = ReplyBuilder().heading(f"Digest {span} ({tz})")
    if not topics:
        return out.para("This chat follows no topics yet. Try /subscribe ceasefire").build()
    if total == 0:
        return out.para("Nothing new for your topics in this period.").build()
    before, _ = _stories_by_topic(db, service, topics, start - (end - start), start)
    previous = len({s["story_id"] for rows in before.values() for s in rows})
    out.para(f"{total} stor{'y' if total == 1 else 'ies'} for your topics (previous period: {previous}).")
    if not complete:
        out.context(f"A busy period: only the newest {DIGEST_CAP:,} articles mentioning your topics were read.")
    for sub_id, (label, _query) in topics.items():
        _topic_section(out, label, stories.get(sub_id, []), tz, max_items)
    people = top_people(db, [s["id"] for rows in stories.values() for s in rows], limit=5)
    if people:
        out.heading("People in these stories")
        for person in people:
            role = f", {person['role']}" if person.get("role") else ""
            out.para(f"{person['name']}{role} ({person['mentions']} mentions)")
    return out.build()


def _chat_queries(db: Database, chat_id: str) -> dict[int, tuple[str, Query]]:
    out = {}
    for row in subscriptions.chat_subscriptions(db, chat_id):
        try:
            query = parse_query(row["query"])
        except QueryError:
            continue
        out[row["id"]] = (query.describe(), query)
    return out


def _stories_by_topic(
    db: Database, service: Topics, topics: dict[int, tuple[str, Query]], start: datetime, end: datetime
) -> tuple[dict[int, list[dict[str, Any]]], bool]:
    """Per topic, one row per story (its first article stored in the period), newest first; and whether every
    candidate article was read (see DIGEST_CAP)."""
    window = Window(since=iso(start), until=iso(end), by="fetched")
    found, complete = service.stories(
        {sub_id: query for sub_id, (_label, query) in topics.items()}, window, cap=DIGEST_CAP
    )
    outlets = articles.story_outlets(db, {hit.article["story_id"] for hits in found.values() for hit in hits})
    return (
        {
            sub_id: [dict(hit.article, outlets=outlets.get(hit.article["story_id"], 1)) for hit in hits]
            for sub_id, hits in found.items()
        },
        complete,
    )


def _topic_section(out: ReplyBuilder, label: str, rows: list[dict[str, Any]], tz: str, max_items: int) -> None:
    out.heading(f"{label}: {len(rows)}")
    for row in rows[:max_items]:
        outlets = row.get("outlets") or 1
        title = Link(row["title"], row["url"]) if row.get("url") else Text(row["title"])
        extra = f" ({outlets} outlets)" if outlets > 1 else ""
        out.para(title, f"{extra} — {local_date(row['published_at'] or row['fetched_at'], tz)}")
    if len(rows) > max_items:
        out.para(f"and {len(rows) - max_items} more")


@command("digest", "/digest")
def digest_now(ctx: Context, args: str) -> Reply:
    """The digest for the time since the last one, right now."""
    start = period_start(ctx.db, ctx.chat, ctx.now)
    reply = digest_reply(
        ctx.db,
        dict(ctx.chat, digest_skip_empty=0),
        start,
        ctx.now,
        default_tz=ctx.config.timezone,
        max_items=ctx.config.digest.max_items_per_topic,
    )
    return reply or Reply.text("Nothing new for your topics in this period.")
