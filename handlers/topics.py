"""Topic commands: /subscribe, /unsubscribe, /topics, /latest, /mute, /unmute."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from diplobot.analysis.matcher import Matcher
from diplobot.analysis.query import Query, QueryError, parse_query
from diplobot.clock import iso
from diplobot.config import parse_duration
from diplobot.handlers.format import article_line
from diplobot.handlers.registry import Context, UsageError, command
from diplobot.handlers.reply import Button, Reply, ReplyBuilder
from diplobot.store import articles, chats, subscriptions
from diplobot.texts import clip

SCAN_LIMIT = 3000
TOPICS_PER_PAGE = 20  # one page is one message with one button per topic, well within every platform's limits
TOPIC_LABEL_MAX = 150
FOREVER = "9999-12-31T00:00:00+00:00"


def _parse(text: str) -> Query:
    try:
        return parse_query(text)
    except QueryError as exc:
        raise UsageError(str(exc)) from None


def matching_articles(ctx: Context, query: Query, *, since: str | None = None,
                      limit: int = 5) -> tuple[int, list[dict[str, Any]]]:
    """Count and list (newest first) recent stored articles the query matches."""
    matcher = Matcher()
    matcher.update({0: query})
    rows = (articles.articles_since(ctx.db, since, SCAN_LIMIT) if since
            else articles.latest_articles(ctx.db, SCAN_LIMIT))
    hits = [r for r in rows if matcher.match(r["title"], r["summary"], r["body"])]
    return len(hits), hits[:limit]


def _topic(ctx: Context, ref: str) -> dict[str, Any]:
    """A chat's topic by list number (`2`), stable id (`#17`, used by buttons) or exact query text."""
    topics = subscriptions.chat_subscriptions(ctx.db, ctx.chat_id)
    ref = ref.strip()
    if ref.startswith("#") and ref[1:].isdigit():
        found = [t for t in topics if t["id"] == int(ref[1:])]
    elif ref.isdigit():
        found = topics[int(ref) - 1: int(ref)] if int(ref) >= 1 else []
    else:
        found = [t for t in topics if t["query"] == ref]
    if not found:
        raise UsageError(f"This chat has no topic {ref}. /topics lists them.")
    return found[0]


def _number(ctx: Context, topic_id: int) -> int:
    ids = [t["id"] for t in subscriptions.chat_subscriptions(ctx.db, ctx.chat_id)]
    return ids.index(topic_id) + 1


@command("subscribe", "/subscribe <topic>  e.g. /subscribe coalition of the willing, "
         '/subscribe "security guarantees" Ukraine -loan', changes_chat=True)
def subscribe(ctx: Context, args: str) -> Reply:
    """Follow a topic: get an alert when a new article matches it."""
    if not args:
        raise UsageError("Tell me what to follow, for example: /subscribe coalition of the willing")
    query = _parse(args)
    sub_id = subscriptions.add_subscription(ctx.db, ctx.chat_id, query.text, iso(ctx.now))
    if sub_id is None:
        raise UsageError(f"This chat already follows {query.describe()}. /topics lists them.")
    week_ago = iso(ctx.now - timedelta(days=7))
    count, _ = matching_articles(ctx, query, since=week_ago, limit=0)
    number = _number(ctx, sub_id)
    return (ReplyBuilder()
            .para(f"Subscribed (topic {number}): {query.describe()}.")
            .para(f"{count} stored article{'s' if count != 1 else ''} of the last 7 days match; "
                  f"see /latest {number}. New matches will be sent here.")
            .build(visibility="public"))


@command("unsubscribe", "/unsubscribe <topic number or text>", changes_chat=True)
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
    buttons = []
    for number, row in enumerate(rows[first:first + TOPICS_PER_PAGE], first + 1):
        muted = f" (muted until {row['muted_until'][:16].replace('T', ' ')} UTC)" if _muted(ctx, row) else ""
        out.para(f"{number}. {clip(_describe(row['query']), TOPIC_LABEL_MAX)}{muted}")
        buttons.append((Button(f"Unsubscribe {number}", f"/unsubscribe #{row['id']}"),))
    nav = ((Button("« Previous", f"/topics {page - 1}"),) if page > 1 else ()) + (
        (Button("Next »", f"/topics {page + 1}"),) if page < pages else ())
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


@command("latest", "/latest [topic number or text] [how many]")
def latest(ctx: Context, args: str) -> Reply:
    """Show the newest stored articles, all or for one topic."""
    words = args.split()
    n = 5
    if words and words[-1].isdigit() and (len(words) > 1 or not _is_topic_number(ctx, words[-1])):
        n = min(max(int(words.pop()), 1), 20)
    ref = " ".join(words)
    if not ref:
        rows = articles.latest_articles(ctx.db, n)
        title = "Latest articles"
    else:
        query = (_parse(_topic(ctx, ref)["query"]) if ref.isdigit() or ref.startswith("#")
                 else _parse(ref))
        _, rows = matching_articles(ctx, query, limit=n)
        title = f"Latest for {query.describe()}"
    if not rows:
        return Reply.text(f"{title}: nothing stored yet.")
    out = ReplyBuilder().heading(title)
    for row in rows:
        out.para(*article_line(row, ctx.tz))
    return out.build()


def _is_topic_number(ctx: Context, word: str) -> bool:
    return 1 <= int(word) <= len(subscriptions.chat_subscriptions(ctx.db, ctx.chat_id))


@command("mute", "/mute [duration like 2h or 1d] [topic number]  (no duration: until /unmute)",
         changes_chat=True)
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
        label = f"until {until[:16].replace('T', ' ')} UTC"
    if words:
        topic = _topic(ctx, " ".join(words))
        subscriptions.mute_subscription(ctx.db, ctx.chat_id, topic["id"], until)
        return Reply.text(f"Topic {parse_query(topic['query']).describe()} is muted {label}; "
                          "matches meanwhile are skipped. /unmute ends it.").public()
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
    return Reply.text("Alerts are on again; anything held arrives now.").public()
