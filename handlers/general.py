"""General commands: /start, /help, /search, /who."""

from __future__ import annotations

from diplobot.handlers.format import article_line, marked_snippet
from diplobot.handlers.registry import COMMANDS, Context, UsageError, command
from diplobot.handlers.reply import Reply, ReplyBuilder, Text
from diplobot.handlers.who import who as who_reply
from diplobot.store import articles


@command("start", "/start")
def start(ctx: Context, args: str) -> Reply:
    """What diplobot does and how to begin."""
    return (ReplyBuilder()
            .heading("diplobot: alerts for diplomacy news")
            .para("Follow talks, envoys and agreements; I send an alert when a new article matches.")
            .para("Start with /subscribe coalition of the willing or "
                  '/subscribe "security guarantees" -loan, then /topics to see what you follow.')
            .para("/who Yermak tells you who someone is; /latest and /search look through stored news; "
                  "/settings sets your time zone and a daily digest. /help lists every command.")
            .build())


@command("help", "/help")
def help_(ctx: Context, args: str) -> Reply:
    """List every command."""
    out = ReplyBuilder().heading("Commands")
    for cmd in COMMANDS.values():
        out.para(Text(cmd.usage.split("  ")[0], "code"), f" — {cmd.summary}")
    return out.build()


@command("search", "/search <words>")
def search(ctx: Context, args: str) -> Reply:
    """Full-text search over stored articles, best matches first."""
    if not args:
        raise UsageError("What should I look for? For example: /search prisoner exchange")
    rows = articles.search_articles(ctx.db, args, limit=5)
    if not rows:
        return Reply.text(f"No stored article matches {args!r}.")
    out = ReplyBuilder().heading(f"Search: {args}")
    for row in rows:
        out.para(*article_line(row, ctx.tz))
        out.context(*marked_snippet(row["snippet"]))
    return out.build()


@command("who", "/who <name>  e.g. /who Yermak")
def who(ctx: Context, args: str) -> Reply:
    """Who is this person: role, other spellings, recent mentions."""
    if not args:
        raise UsageError("Whom should I look up? For example: /who Yermak")
    return who_reply(ctx.db, args, tz=ctx.tz)
