"""Topic commands: /subscribe, /unsubscribe, /topics, /latest, /mute, /unmute.

A topic's number is its fixed id: `3` and `#3` (the form buttons and alerts carry) name the same topic, and removing
one topic never renumbers the others, so an old button or a remembered `/latest 3` keeps its meaning.
Matching goes through the one topic service (analysis/topics.py), as alerts, digests and /search do.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from diplobot.analysis.lexicon import describe_equivalents, with_own_equivalents
from diplobot.analysis.query import Query, QueryError, parse_query
from diplobot.analysis.topics import Found, Topics, Window, topic_key
from diplobot.clock import iso
from diplobot.config import parse_duration
from diplobot.enrichment.corpus import StoredArticles
from diplobot.handlers.format import article_line, local_time, until_label
from diplobot.handlers.registry import Context, UsageError, command
from diplobot.handlers.reply import Button, Reply, ReplyBuilder
from diplobot.store import alerts, chats, subscriptions
from diplobot.texts import clip

TOPICS_PER_PAGE = 20  # one page is one message with one button per topic, well within every platform's limits
TOPIC_LABEL_MAX = 150
FOREVER = "9999-12-31T00:00:00+00:00"


def topic_service(ctx: Context) -> Topics:
    """The topic service over this command's database (people's spellings included)."""
    return Topics(StoredArticles(ctx.db))


def read_query(service: Topics, text: str) -> Query:
    """A typed query the service accepts (see Topics.parse), or a UsageError saying what is wrong."""
    try:
        return service.parse(text)
    except QueryError as exc:
        raise UsageError(str(exc)) from None


def count_text(found: Found) -> str:
    """`37`, or `at least 2,000` when not every candidate was checked."""
    return f"{found.total:,}" if found.complete else f"at least {found.total:,}"


def _topic(ctx: Context, ref: str) -> dict[str, Any]:
    """A chat's topic by number (`3` or `#3`: its fixed id) or by its text (as typed, or any spelling that is
    the same topic: `CEASEFIRE` finds `ceasefire`)."""
    topics = subscriptions.chat_subscriptions(ctx.db, ctx.chat_id)
    ref = ref.strip()
    number = ref.removeprefix("#")
    if number.isdigit():
        found = [t for t in topics if t["id"] == int(number)]
    else:
        found = [t for t in topics if t["query"] == ref]
        if not found:
            key = _key(ref)
            found = [t for t in topics if key is not None and _key(t["query"]) == key]
    if not found:
        raise UsageError(f"This chat has no topic {ref}. /topics lists them.")
    return found[0]


def _key(text: str) -> str | None:
    """The normalised identity of a stored or typed topic; None when it does not parse."""
    try:
        return topic_key(parse_query(text))
    except QueryError:
        return None


def _already_followed(ctx: Context, query: Query) -> dict[str, Any] | None:
    """The chat's topic that is the same as `query` once normalised (case, diacritics, plurals, order)."""
    key = topic_key(query)
    return next((t for t in subscriptions.chat_subscriptions(ctx.db, ctx.chat_id) if _key(t["query"]) == key), None)


@command(
    "subscribe",
    "/subscribe <topic>  e.g. /subscribe coalition of the willing, "
    '/subscribe "security guarantees" Ukraine -loan, /subscribe "security guarantees" = "гарантії безпеки"',
    changes_chat=True,
)
def subscribe(ctx: Context, args: str) -> Reply:
    """Follow a topic: get an alert when a new article matches it."""
    if not args:
        raise UsageError("Tell me what to follow, for example: /subscribe coalition of the willing")
    service = topic_service(ctx)
    try:
        typed = with_own_equivalents(args)  # "security guarantees" = "гарантії безпеки": the chat's own equivalent
    except QueryError as exc:
        raise UsageError(str(exc)) from None
    query = read_query(service, typed)
    same = _already_followed(ctx, query)
    sub_id = None if same else subscriptions.add_subscription(ctx.db, ctx.chat_id, query.text, iso(ctx.now))
    if sub_id is None:
        same = same or _topic(ctx, query.text)
        return Reply.text(
            f"This chat already follows {_describe(same['query'])} (topic {same['id']}): case, "
            "accents, plural forms and the order of AND/OR parts make no new topic. /topics lists them."
        )
    week = Window(since=iso(ctx.now - timedelta(days=7)), by="fetched")
    found = service.find({sub_id: query}, window=week, limit=0)
    out = ReplyBuilder().para(f"Subscribed (topic {sub_id}): {query.describe()}.")
    also = service.equivalents(query)
    if also:
        out.para(f"Also matching: {describe_equivalents(also)} (in any grammatical form).")
    return out.para(
        f"{count_text(found)} stored article{'s' if found.total != 1 else ''} of the last 7 days "
        f"match; see /latest {sub_id}. New matches will be sent here."
    ).build(visibility="public")


@command(
    "unsubscribe",
    "/unsubscribe <topic number, as 3 or #3, or its text>  e.g. /unsubscribe 3, /unsubscribe ceasefire",
    changes_chat=True,
)
def unsubscribe(ctx: Context, args: str) -> Reply:
    """Stop following a topic."""
    if not args:
        raise UsageError("Which topic? /topics shows their numbers.")
    topic = _topic(ctx, args)
    subscriptions.remove_subscription(ctx.db, ctx.chat_id, topic["id"])
    return Reply.text(f"Unsubscribed from {parse_query(topic['query']).describe()}.").public()


@command("topics", "/topics [page]")
def topics(ctx: Context, args: str) -> Reply:
    """List this chat's topics with how each was understood."""
    rows = subscriptions.chat_subscriptions(ctx.db, ctx.chat_id)
    if not rows:
        return Reply.text("This chat follows no topics yet. Try /subscribe coalition of the willing")
    pages = -(-len(rows) // TOPICS_PER_PAGE)
    if args and not args.isdigit():
        raise UsageError("Give a page number, e.g. /topics 2")
    page = min(max(int(args or 1), 1), pages)
    first = (page - 1) * TOPICS_PER_PAGE
    out = ReplyBuilder().heading("Topics followed here" + (f" (page {page} of {pages})" if pages > 1 else ""))
    buttons: list[tuple[Button, ...]] = []
    for row in rows[first : first + TOPICS_PER_PAGE]:
        muted = f" (muted {until_label(row['muted_until'], ctx.tz)})" if _muted(ctx, row) else ""
        out.para(f"{row['id']}. {clip(_describe(row['query']), TOPIC_LABEL_MAX)}{muted}")
        buttons.append((Button(f"Unsubscribe {row['id']}", f"/unsubscribe #{row['id']}"),))
    nav = ((Button("« Previous", f"/topics {page - 1}"),) if page > 1 else ()) + (
        (Button("Next »", f"/topics {page + 1}"),) if page < pages else ()
    )
    if nav:
        buttons.append(nav)
    return out.build(buttons=tuple(buttons), replaces=True)


def _describe(query: str) -> str:
    """How a stored topic was understood; its text as stored if it no longer parses (older limits)."""
    try:
        return parse_query(query).describe()
    except QueryError:
        return repr(query)


def _muted(ctx: Context, row: dict[str, Any]) -> bool:
    return bool(row["muted_until"]) and row["muted_until"] > iso(ctx.now)


@command("latest", "/latest [topic number or text] [how many]  e.g. /latest 3 10, /latest ceasefire")
def latest(ctx: Context, args: str) -> Reply:
    """Show the newest stored articles (by publication date), all or for one topic."""
    words = args.split()
    n = 5
    if words and words[-1].isdigit() and (len(words) > 1 or not _is_topic_number(ctx, words[-1])):
        n = min(max(int(words.pop()), 1), 20)
    ref = " ".join(words)
    corpus = StoredArticles(ctx.db)
    if not ref:
        rows = corpus.articles(corpus.candidates(None, Window(), n))
        title = "Latest articles"
    else:
        service = Topics(corpus)
        number = ref.removeprefix("#")
        query = _stored_query(_topic(ctx, ref)) if number.isdigit() else read_query(service, ref)
        rows = [hit.article for hit in service.find({0: query}, limit=n, count=False).hits]
        title = f"Latest for {query.describe()}"
    if not rows:
        return Reply.text(f"{title}: nothing stored yet.")
    out = ReplyBuilder().heading(title)
    for row in rows:
        out.para(*article_line(row, ctx.tz))
    return out.build()


def _stored_query(topic: dict[str, Any]) -> Query:
    try:
        return parse_query(topic["query"])
    except QueryError as exc:
        raise UsageError(
            f"Topic {topic['id']} can no longer be read ({exc}); /unsubscribe {topic['id']} and subscribe again."
        ) from None


def _is_topic_number(ctx: Context, word: str) -> bool:
    return any(t["id"] == int(word) for t in subscriptions.chat_subscriptions(ctx.db, ctx.chat_id))


@command("mute", "/mute [duration like 2h or 1d] [topic number]  (no duration: until /unmute)", changes_chat=True)
def mute(ctx: Context, args: str) -> Reply:
    """Hold alerts for this chat (delivered after), or silence one topic for a while."""
    words = args.split()
    until, label = FOREVER, "until /unmute"
    if words and words[0][:1].isdigit() and not words[0].isdigit():
        try:
            seconds = parse_duration(words.pop(0))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        until = iso(ctx.now + timedelta(seconds=seconds))
        label = f"until {local_time(until, ctx.tz)}"
    if words:
        topic = _topic(ctx, " ".join(words))
        subscriptions.mute_subscription(ctx.db, ctx.chat_id, topic["id"], until)
        return Reply.text(
            f"Topic {parse_query(topic['query']).describe()} is muted {label}; "
            "matches meanwhile are skipped. /unmute ends it."
        ).public()
    chats.update_chat(ctx.db, ctx.chat_id, muted_until=until)
    return Reply.text(f"Alerts for this chat are held {label}; nothing is lost, they arrive after.").public()


@command("unmute", "/unmute [topic number]", changes_chat=True)
def unmute(ctx: Context, args: str) -> Reply:
    """Deliver alerts again (held alerts follow)."""
    if args:
        topic = _topic(ctx, args)
        subscriptions.mute_subscription(ctx.db, ctx.chat_id, topic["id"], None)
        return Reply.text(f"Topic {parse_query(topic['query']).describe()} is no longer muted.").public()
    chats.update_chat(ctx.db, ctx.chat_id, muted_until=None)
    for row in subscriptions.chat_subscriptions(ctx.db, ctx.chat_id):
        subscriptions.mute_subscription(ctx.db, ctx.chat_id, row["id"], None)
    alerts.release_held(ctx.db, ctx.chat_id, iso(ctx.now))  # quiet hours' too: "arrives now" means now
    return Reply.text("Alerts are on again; anything held arrives now.").public()
