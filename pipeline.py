"""The data flow in one place: drafts -> stored articles -> enriched articles -> matches -> alerts in the outbox.

Both the CLI (`diplobot ingest`, `diplobot poll`) and the running bot use these functions, so an
article ingested by a cron job alerts exactly like one polled by the bot. Each stage is a separate
step over the articles the previous one left, marked in the database, so a crash between two
stages loses nothing and each stage can run again:

1. store (`store_drafts`): insert new articles, dedup by canonical URL, feed guid or content hash,
   all of one batch in one transaction; the FTS5 index follows by trigger. Nothing else, so it
   keeps pace with a plain insert (bench/ingest.py).
2. enrich (`enrich_ids`): over stored, not yet enriched articles, oldest first, assign each its story and
   index its people (enrichment/), and set `enriched_at` in the same transaction. This stage reads article text
   of any size and shape, so the bot runs it in sandbox worker processes (`Pipeline`, sandbox.py): the costly,
   read-only half ahead and in parallel (`prepare_articles`), the decisions and writes in the transaction.
3. match (`match_step`): over enriched articles without `matched_at`: alerts are one per chat and story,
   so matching waits for the story.

Every step is one short transaction, so a command's write waits at most one step, and a second process
(a cron `diplobot ingest`) working through the same stage simply takes the next articles.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlite_utils import Database

from diplobot.analysis.aliases import AliasesFile
from diplobot.analysis.language import detect_language
from diplobot.analysis.matcher import Match, Matcher
from diplobot.analysis.names import Aliases
from diplobot.analysis.query import Query, QueryError, parse_query
from diplobot.analysis.schedule import quiet_until
from diplobot.analysis.topics import Topics
from diplobot.clock import Clock, iso
from diplobot.enrichment.corpus import StoredArticles
from diplobot.enrichment.people import PreparedPeople, index_article_people, prepare_people, write_people
from diplobot.enrichment.stories import Prepared, StoryAssigner, prepare
from diplobot.enrichment.stories import forget as forget_stories
from diplobot.ingest.models import ArticleDraft
from diplobot.ingest.urls import canonical_url, content_hash
from diplobot.sandbox import LimitExceeded, Sandbox
from diplobot.store import alerts, articles, subscriptions
from diplobot.store.db import open_database
from diplobot.store.people import variants_revision
from diplobot.store.worker import Store
from diplobot.texts import clip

log = logging.getLogger(__name__)
_T = TypeVar("_T")


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


STORE_STEP = 200  # articles stored per transaction


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
        lang=detect_language(title, summary, body),
    )


def unstored_drafts(db: Database, drafts: list[ArticleDraft]) -> list[ArticleDraft]:
    """The drafts whose links (canonical URL, feed guid) no stored article has: the ones worth a page fetch."""
    links = [{key for key in (canonical_url(d.url) if d.url else None, d.guid) if key} for d in drafts]
    known = articles.stored_links(db, set().union(*links))
    return [draft for draft, keys in zip(drafts, links, strict=True) if not keys & known]


def store_drafts(db: Database, drafts: Iterable[ArticleDraft], *, source_id: int | None, now: str) -> IngestCounts:
    """Insert the new articles of a batch, `STORE_STEP` to a transaction (one big file must not hold the write
    lock for seconds); the enrichment stage then gives them stories and people."""
    rows = [to_row(draft, source_id=source_id, now=now) for draft in drafts]
    counts = IngestCounts()
    for start in range(0, len(rows), STORE_STEP):
        with db.atomic():
            ids = articles.insert_articles(db, rows[start : start + STORE_STEP])
        new = sum(article_id is not None for article_id in ids)
        counts.add(IngestCounts(new=new, duplicates=len(ids) - new))
    return counts


ENRICH_STEP = 10  # articles per enrichment transaction (and worker task): the write lock is held that long
ENRICH_CALL = 100  # articles `Pipeline.enrich` works through before matching gets its turn
PREPARE_AHEAD = 2  # steps whose stories and people workers prepare while the step before them is written
MATCH_STEP = 50  # articles per matching transaction at most ...
MATCH_STEP_S = 0.1  # ... or this many seconds, whichever comes first


@dataclass(frozen=True)
class PreparedArticle:
    """An article's enrichment work done without the write lock (`prepare_articles`); None where a half failed or
    had nothing to do, and `enrich_ids` does that half itself."""

    article_id: int
    story: Prepared | None
    people: PreparedPeople | None


def enrich_ids(
    db: Database,
    ids: list[int],
    now: str,
    prepared: Iterable[PreparedArticle | None] = (),
    *,
    aliases: Aliases | None = None,
) -> int:
    """Give these articles (those of them not enriched yet) their story and people in one transaction.

    `prepared` holds work done beforehand for some of them (`prepare_articles`, run by worker processes in
    parallel): then only the decisions that depend on what is stored now and the writes are left here; what is
    missing is worked out here. A step that raises for an article (a bug, odd text) is logged and undone, and the
    article is marked anyway, keeping its own story: it cannot hold up every later article's alerts.
    """
    ready = {item.article_id: item for item in prepared if item is not None}
    try:
        with db.atomic():
            pending = articles.unenriched_among(db, ids)
            assigner = StoryAssigner(db)
            for article_id in pending:
                _enrich_one(db, assigner, article_id, ready.get(article_id), aliases)
                articles.mark_enriched(db, article_id, now)
            assigner.flush()
    except BaseException:
        forget_stories(db)  # what it remembers of this transaction was rolled back
        raise
    return len(pending)


def prepare_articles(db: Database, ids: list[int], aliases: Aliases | None = None) -> list[PreparedArticle]:
    """The enrichment work for these articles that needs no write lock: story features and candidates
    (`enrichment.stories.prepare`), people extracted and resolved against those stored now
    (`enrichment.people.prepare_people`). A half that fails is left to `enrich_ids`."""
    return [
        PreparedArticle(
            article_id,
            _prepared(partial(prepare, db, article_id), article_id, "story"),
            _prepared(partial(prepare_people, db, article_id, aliases), article_id, "people"),
        )
        for article_id in ids
    ]


def _prepared(work: Callable[[], _T], article_id: int, name: str) -> _T | None:
    try:
        return work()
    except sqlite3.Error:
        raise
    except Exception:
        log.exception("preparing the %s of article %s failed", name, article_id)
        return None


def prepare_in_worker(db_path: str, ids: list[int], aliases: str | None = None) -> list[PreparedArticle]:
    """`prepare_articles` in a sandbox worker process; it only reads. `aliases` names the aliases file."""
    return prepare_articles(_worker_database(db_path), ids, _aliases_in_worker(aliases))


def enrich_in_worker(
    db_path: str, ids: list[int], now: str, aliases: str | None, prepared: list[PreparedArticle] | None = None
) -> int:
    """`enrich_ids` in a sandbox worker process, on a connection of its own; `aliases` names the aliases file."""
    return enrich_ids(_worker_database(db_path), ids, now, prepared or (), aliases=_aliases_in_worker(aliases))


_worker_databases: dict[str, Database] = {}
_worker_aliases: dict[str | None, AliasesFile] = {}  # re-read by AliasesFile itself when the file changes


def _aliases_in_worker(path: str | None) -> Aliases | None:
    aliases_file = _worker_aliases.get(path)
    if aliases_file is None:
        aliases_file = _worker_aliases[path] = AliasesFile(path)
    return aliases_file.current()


def _worker_database(path: str) -> Database:
    """This worker process's connection to `path`, kept from task to task: its story cache (enrichment/stories.py)
    then only catches up with what the other workers wrote, instead of reading every frequency again."""
    db = _worker_databases.get(path)
    if db is None:
        db = _worker_databases[path] = open_database(path)
    return db


def enrich_pending(
    db: Database, now: datetime | None = None, *, limit: int | None = None, aliases: Aliases | None = None
) -> int:
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
        done += enrich_ids(db, ids, marked, aliases=aliases)
    return done


def _enrich_one(
    db: Database, assigner: StoryAssigner, article_id: int, prepared: PreparedArticle | None, aliases: Aliases | None
) -> None:
    story = prepared.story if prepared else None
    people = prepared.people if prepared else None
    steps: tuple[tuple[str, Callable[[], object]], ...] = (
        ("story", lambda: assigner.assign(article_id, story)),
        (
            "people",
            lambda: write_people(db, people, aliases) if people else index_article_people(db, article_id, aliases),
        ),
    )
    for name, step in steps:
        try:
            with db.atomic():  # a savepoint: a failing step leaves nothing of itself behind
                step()
        except sqlite3.Error:
            raise
        except Exception:
            log.exception("enriching article %s: %s failed", article_id, name)


SPELLINGS_REBUILD_S = 15.0  # new spellings rebuild the matcher at most this often while they keep coming


class MatchState:
    """The live matcher, reloaded when subscriptions changed (in any process) or people gained spellings.

    New spellings of a known person (Vitkoff after Witkoff) change what a topic matches, so they rebuild the
    matcher, at once when they are news, but at most every `SPELLINGS_REBUILD_S` while a backlog keeps adding
    them: a rebuild per step would stall matching for everyone (measured in bench/responsive.py).
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.revision = (-1, -1)  # (subscriptions, people's spellings)
        self.subs: dict[int, dict[str, Any]] = {}
        self.queries: dict[int, Query] = {}
        self.matcher: Matcher | None = None
        self._monotonic = monotonic
        self._spellings_built_at = -SPELLINGS_REBUILD_S

    def refresh(self, db: Database) -> None:
        revision = (subscriptions.subscriptions_revision(db), variants_revision(db))
        if revision[1] != self.revision[1] and self.matcher is not None:
            if self._monotonic() - self._spellings_built_at < SPELLINGS_REBUILD_S:
                revision = (revision[0], self.revision[1])  # not yet: the next refresh after the interval
            else:
                self.matcher = None
        if revision == self.revision and self.matcher is not None:
            return
        rows = subscriptions.all_subscriptions(db)
        self.subs = {r["id"]: r for r in rows}
        for sub_id in self.queries.keys() - self.subs.keys():
            del self.queries[sub_id]
        parsed: dict[str, Query] = {}  # many chats follow the same topic: each text is parsed once (queries are frozen)
        for r in rows:
            if r["id"] not in self.queries:
                try:
                    query = parsed.get(r["query"])
                    if query is None:
                        query = parsed[r["query"]] = parse_query(r["query"])
                    self.queries[r["id"]] = query
                except QueryError:
                    log.warning("subscription %s has an unreadable query; skipped", r["id"])
        rebuilt = self.matcher is None
        if self.matcher is None:  # the one topic service: alerts match exactly what /latest and digests list
            self.matcher = Topics(StoredArticles(db)).matcher()
        self.matcher.update(self.queries)
        if rebuilt:
            self._spellings_built_at = self._monotonic()  # after the build, which may itself take a while
        self.revision = revision


def match_step(db: Database, state: MatchState, now: datetime) -> tuple[int, int]:
    """Match the oldest enriched, unmatched articles for at most `MATCH_STEP_S`: (articles matched, alerts created).

    The step's alerts and 'matched' marks commit together; the step is short so that a command's write never
    waits long behind it. Matching comes first, then the chats' alert settings are read once for the whole step
    and the alerts written.
    """
    ids = articles.unmatched_ids(db, MATCH_STEP)
    if not ids:
        return 0, 0
    state.refresh(db)
    deadline = time.monotonic() + MATCH_STEP_S
    stamp = iso(now)
    found: list[tuple[dict[str, Any], dict[str, list[str]]]] = []
    done = 0
    with db.atomic():  # one commit for the step: each commit writes every index page its alerts touched
        for article_id in ids:
            done += 1
            if articles.mark_matched(db, article_id, stamp):  # else another process matched it meanwhile
                article = articles.get_article(db, article_id)
                if article is not None:
                    found.append((article, _topics_by_chat(state, article, now)))
            if time.monotonic() > deadline:
                break
        chats = alerts.alerting_chats(db, sorted({chat_id for _, by_chat in found for chat_id in by_chat}))
        held = {chat_id: _held_until(chat, now) for chat_id, chat in chats.items()}
        created = sum(_queue_alerts(db, article, by_chat, held, stamp) for article, by_chat in found)
    return done, created


def match_pending(db: Database, state: MatchState, now: datetime) -> int:
    """Enrich (in this process) and match everything pending; returns the alerts created."""
    created = 0
    while True:
        enriched = enrich_pending(db, now, limit=MATCH_STEP)
        matched, alerts_made = match_step(db, state, now)
        created += alerts_made
        if not enriched and not matched:
            return created


def _topics_by_chat(state: MatchState, article: dict[str, Any], now: datetime) -> dict[str, list[str]]:
    """The article's matching topics (as JSON) per chat, for subscriptions that were there before it and unmuted."""
    if state.matcher is None:
        return {}
    hits = state.matcher.match(article["title"], article["summary"], article["body"])
    by_chat: dict[str, list[str]] = {}
    shared: dict[tuple[Any, ...], str] = {}
    for sub_id, match in sorted(hits.items()):
        sub = state.subs.get(sub_id)
        if sub is None or article["id"] <= sub["since_article_id"] or _is_muted(sub, now):
            continue
        by_chat.setdefault(sub["chat_id"], []).append(_topic_json(sub, state.queries[sub_id], match, shared))
    return by_chat


def _held_until(chat: dict[str, Any], now: datetime) -> datetime | None:
    """When the chat's quiet hours end, if they hold its alerts now."""
    return quiet_until(now, chat["timezone"] or "UTC", chat["quiet_start"], chat["quiet_end"])


def _queue_alerts(
    db: Database,
    article: dict[str, Any],
    by_chat: dict[str, list[str]],
    held: dict[str, datetime | None],
    stamp: str,
) -> int:
    """One alert per chat that takes instant alerts (those in `held`), held to the end of its quiet hours."""
    new = []
    for chat_id, topics in by_chat.items():
        if chat_id not in held:
            continue
        until = held[chat_id]
        new.append(
            alerts.NewAlert(chat_id, "[" + ", ".join(topics) + "]", iso(until) if until else stamp, held=bool(until))
        )
    # one statement for all the chats: an article that matches thousands of chats is written in one go
    return alerts.create_alerts(db, article_id=article["id"], story_id=article["story_id"], new=new, now=stamp)


def _is_muted(sub: dict[str, Any], now: datetime) -> bool:
    return bool(sub["muted_until"]) and sub["muted_until"] > iso(now)


def _topic_json(sub: dict[str, Any], query: Query, match: Match, shared: dict[tuple[Any, ...], str]) -> str:
    """The topic as JSON text, exactly as `json.dumps` writes {id, query, describe, phrase, field, start, end}.

    All but the id is encoded once per query text and match (`shared`): thousands of chats follow the same topic.
    """
    key = (sub["query"], match.phrase, match.field, match.start, match.end)
    tail = shared.get(key)
    if tail is None:
        tail = shared[key] = json.dumps(
            {
                "query": sub["query"],
                "describe": query.describe(),
                "phrase": match.phrase,
                "field": match.field,
                "start": match.start,
                "end": match.end,
            }
        )[1:]
    return f'{{"id": {int(sub["id"])}, {tail}'


class Pipeline:
    """The stages as the bot and the CLI run them: store and match on `store`'s thread, and enrichment (the
    heavy, text-driven stage) in a `sandbox` worker process when one is given, else on the store thread.

    Each step is one short transaction followed by a return to the event loop.
    """

    def __init__(
        self,
        store: Store,
        sandbox: Sandbox | None = None,
        *,
        aliases: AliasesFile | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.sandbox = sandbox
        self.aliases_file = aliases  # the owner's (runtime, CLI); a worker gets only its path and reads its own
        self.aliases = str(aliases.path) if aliases and aliases.path else None
        self.clock = clock or Clock()
        self.state = MatchState()

    async def ingest(
        self, drafts: list[ArticleDraft], *, source_id: int | None = None, now: datetime | None = None
    ) -> IngestCounts:
        """Store drafts, enrich and match them; alerts land in the outbox for whichever process delivers."""
        counts = await self.store.run(store_drafts, drafts, source_id=source_id, now=iso(now or self.clock.now()))
        counts.alerts = await self.enrich_and_match(now)
        return counts

    async def enrich_and_match(self, now: datetime | None = None) -> int:
        """Work through everything stored and not yet matched; returns the alerts created.

        Without `now`, each step is stamped with the clock's time then: a backlog takes minutes.
        """
        created = 0
        while True:
            step_now = now or self.clock.now()
            enriched = await self.enrich(step_now)
            matched, alerts_made = await self.store.run(match_step, self.state, step_now)
            created += alerts_made
            if not enriched and not matched:
                return created

    async def enrich(self, now: datetime, limit: int = ENRICH_CALL) -> int:
        """Enrich up to `limit` of the oldest pending articles, a step (one transaction) at a time.

        With a sandbox, both halves run in its workers, overlapped: while one worker writes a step, another
        prepares the stories and people of the next (`prepare_in_worker`: reads only, so any number may run at
        once); the write is left with the decisions that depend on what is stored now, and short SQL writes.
        """
        ids = await self.store.run(articles.unenriched_ids, limit)
        steps = [ids[i : i + ENRICH_STEP] for i in range(0, len(ids), ENRICH_STEP)]
        if self.sandbox is None:
            for step in steps:
                await self.store.run(
                    enrich_ids, step, iso(now), aliases=self.aliases_file.current() if self.aliases_file else None
                )
            return len(ids)
        ahead: list[asyncio.Task[list[PreparedArticle]]] = []
        try:
            for index, step in enumerate(steps):
                if not ahead:
                    ahead.extend(asyncio.create_task(self._prepare(s)) for s in steps[index : index + PREPARE_AHEAD])
                prepared = await ahead.pop(0)
                writing = asyncio.create_task(self._enrich_isolated(step, now, prepared))
                await asyncio.sleep(0)  # the write goes to the pool before the preparations queued below
                for later in steps[index + 1 + len(ahead) : index + 1 + PREPARE_AHEAD]:
                    ahead.append(asyncio.create_task(self._prepare(later)))
                await writing
        finally:
            for task in ahead:
                task.cancel()
        return len(ids)

    async def _prepare(self, ids: list[int]) -> list[PreparedArticle]:
        """A step's work done ahead in a worker; nothing when a limit stops it (the step then does it)."""
        assert self.sandbox is not None
        try:
            return await self.sandbox.run(prepare_in_worker, self.store.path, ids, self.aliases)
        except LimitExceeded as exc:
            log.info("preparing articles %s-%s: the analysis %s", ids[0], ids[-1], exc)
        except Exception:  # only work done ahead: the step does it itself
            log.exception("preparing articles %s-%s failed", ids[0], ids[-1])
        return []

    async def _enrich_isolated(self, ids: list[int], now: datetime, prepared: list[PreparedArticle]) -> None:
        """Enrich in a worker; when a limit stops it, again one by one, and mark the article that hits it."""
        assert self.sandbox is not None
        try:
            await self.sandbox.run(enrich_in_worker, self.store.path, ids, iso(now), self.aliases, prepared)
            return
        except LimitExceeded as exc:
            if len(ids) == 1:
                reason = f"story and people not found: the analysis {exc}"
                log.warning("article %s: %s", ids[0], reason)
                await self.store.run(articles.mark_enrich_failed, ids[0], iso(now), reason)
                return
        ready = {item.article_id: item for item in prepared}
        for article_id in ids:
            await self._enrich_isolated([article_id], now, [ready[article_id]] if article_id in ready else [])


async def ingest_drafts(
    store: Store,
    drafts: list[ArticleDraft],
    *,
    source_id: int | None = None,
    now: datetime | None = None,
    clock: Clock | None = None,
) -> IngestCounts:
    """Store, enrich and match drafts on `store`'s thread, with no aliases and no sandbox (the tests' shortcut)."""
    return await Pipeline(store, clock=clock).ingest(drafts, source_id=source_id, now=now)
