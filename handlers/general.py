"""General commands: /start, /help, /search, /who."""

from __future__ import annotations

import re
from typing import Any

from diplobot.analysis.matcher import Match, snippet
from diplobot.analysis.topics import SCAN_CAP
from diplobot.handlers.format import article_line
from diplobot.handlers.registry import Context, UsageError, command
from diplobot.handlers.reply import Button, Reply, ReplyBuilder, Span, Text
from diplobot.handlers.topics import count_text, read_query, topic_service
from diplobot.handlers.who import who as who_reply


@command("start", "/start")
def start(ctx: Context, args: str) -> Reply:
    """What diplobot does and how to begin."""
    return (
        ReplyBuilder()
        .heading("diplobot: alerts for diplomacy news")
        .para("Follow talks, envoys and agreements; I send an alert when a new article matches.")
        .para(
            "Start with /subscribe coalition of the willing or "
            '/subscribe "security guarantees" -loan, then /topics to see what you follow.'
        )
        .para(
            "/who Yermak tells you who someone is; /latest and /search look through stored news; "
            "/settings sets your time zone and a daily digest. /help lists every command."
        )
        .build()
    )


@command("help", "/help")
def help_(ctx: Context, args: str) -> Reply:
    """List every command."""
    out = ReplyBuilder().heading("Commands")
    for cmd in ctx.commands.values():
        out.para(Text(cmd.usage.split("  ")[0], "code"), f" — {cmd.summary}")
    return out.build()


SEARCH_PAGE = 5
_PAGE = re.compile(r"\s+page\s+(\d{1,4})$", re.IGNORECASE)


@command(
    "search",
    '/search <topic query> [page N]  e.g. /search "security guarantees" -loan, /search ceasefire OR truce page 2',
)
def search(ctx: Context, args: str) -> Reply:
    """Search stored articles, newest first, with the topic query language (as /subscribe reads it)."""
    if not args:
        raise UsageError('What should I look for? For example: /search "prisoner exchange" OR "prisoner swap"')
    text, page = _page(args)
    service = topic_service(ctx)
    try:
        query = read_query(service, text)
    except UsageError as exc:
        raise UsageError(f"Search: {exc}") from None
    found = service.find({0: query}, limit=SEARCH_PAGE, offset=(page - 1) * SEARCH_PAGE)
    if not found.total:
        among = "" if found.complete else f" among the newest {SCAN_CAP:,} stored articles that mention its words"
        return Reply.text(f"No stored article matches {query.describe()}{among}.")
    if not found.hits:
        return Reply.text(
            f"Page {page} is past the end: {count_text(found)} stored articles match "
            f"{query.describe()}. /search {text} shows the first page."
        )
    first = (page - 1) * SEARCH_PAGE + 1
    shown = f"{first}–{first + len(found.hits) - 1}" if page > 1 else f"{len(found.hits)}"
    out = ReplyBuilder().heading(f"Search: {query.describe()}")
    out.context(f"{shown} of {count_text(found)} matching stored articles, newest first.")
    for hit in found.hits:
        out.para(*article_line(hit.article, ctx.tz))
        out.context(*_hit_snippet(hit.article, hit.matches[0]))
    if first + len(found.hits) - 1 < found.total:
        more = f"/search {text} page {page + 1}"
        out.para(f"More: {more}")
        return out.build(buttons=((Button("More", more),),))
    return out.build()


def _page(args: str) -> tuple[str, int]:
    """The query and the page asked for: a trailing `page N` (N from 1) is the page, the rest the query."""
    found = _PAGE.search(args)
    if found is None or not args[: found.start()].strip():
        return args, 1
    return args[: found.start()].strip(), max(1, int(found.group(1)))


def _hit_snippet(article: dict[str, Any], match: Match) -> tuple[Span, ...]:
    """Where the query matched, marked: around the hit in the summary or text, or the summary's start for a title
    hit (the title is shown already)."""
    text = article.get(match.field) or ""
    if match.field != "title" and text:
        before, hit, after = snippet(text, match.start, match.end)
        return Text(before), Text(hit, "mark"), Text(after)
    lead = " ".join((article.get("summary") or article.get("body") or "").split())
    return (Text(lead[:200].rsplit(" ", 1)[0] + "…" if len(lead) > 200 else lead),) if lead else ()


@command("who", "/who <name>  e.g. /who Yermak")
def who(ctx: Context, args: str) -> Reply:
    """Who is this person: role, other spellings, recent mentions."""
    if not args:
        raise UsageError("Whom should I look up? For example: /who Yermak")
    return who_reply(ctx.db, args, tz=ctx.tz, aliases=ctx.aliases.current())
