"""/settings: the chat's time zone, alert mode, digest time and quiet hours."""

from __future__ import annotations

import difflib
import re
import zoneinfo
from functools import cache

from diplobot.analysis.schedule import WEEKDAYS
from diplobot.clock import iso
from diplobot.config import check_timezone
from diplobot.handlers.registry import Context, UsageError, command
from diplobot.handlers.reply import Reply, ReplyBuilder
from diplobot.store.chats import get_chat, update_chat

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
ALERT_MODES = ("instant", "digest", "off")


def parse_clock(text: str) -> str:
    """`8:00` -> `08:00`; UsageError for anything that is not a time of day."""
    m = _TIME.match(text.strip())
    if not m:
        raise UsageError(f"{text!r} is not a time of day; use HH:MM, e.g. 08:00")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _show(ctx: Context) -> Reply:
    chat = get_chat(ctx.db, ctx.chat_id) or ctx.chat
    digest = "off"
    if chat["digest_time"]:
        day = f"weekly on {chat['digest_weekday']} " if chat["digest_weekday"] else "daily "
        digest = f"{day}at {chat['digest_time']}" + (" (skipped when empty)" if chat["digest_skip_empty"] else "")
    quiet = f"{chat['quiet_start']}-{chat['quiet_end']}" if chat["quiet_start"] else "off"
    muted = chat["muted_until"][:16].replace("T", " ") + " UTC" if chat["muted_until"] else "no"
    return (ReplyBuilder().heading("Settings for this chat")
            .para(f"Time zone: {chat['timezone'] or ctx.config.timezone}")
            .para(f"Alerts: {chat['alerts_mode']}")
            .para(f"Digest: {digest}")
            .para(f"Quiet hours: {quiet}")
            .para(f"Muted: {muted}")
            .context("Change with /settings timezone Europe/Kyiv, /settings alerts instant|digest|off, "
                     "/settings digest 08:00|off|weekly mon 08:00, /settings quiet 22:00-07:00|off")
            .build())


def _digest(ctx: Context, words: list[str]) -> str:
    if words == ["off"]:
        update_chat(ctx.db, ctx.chat_id, digest_time=None, digest_weekday=None)
        return "Digest turned off."
    if words and words[0] in ("skip-empty", "keep-empty"):
        update_chat(ctx.db, ctx.chat_id, digest_skip_empty=int(words[0] == "skip-empty"))
        return "Empty digests will be skipped." if words[0] == "skip-empty" else "Empty digests will say so."
    weekday = None
    if words and words[0] == "weekly":
        if len(words) != 3 or words[1][:3].lower() not in WEEKDAYS:
            raise UsageError("Weekly digests need a day and a time, e.g. /settings digest weekly mon 08:00")
        weekday, words = words[1][:3].lower(), words[2:]
    if len(words) != 1:
        raise UsageError("Give a time, e.g. /settings digest 08:00, or /settings digest off")
    at = parse_clock(words[0])
    update_chat(ctx.db, ctx.chat_id, digest_time=at, digest_weekday=weekday, digest_since=iso(ctx.now))
    when = f"every {weekday} at {at}" if weekday else f"every day at {at}"
    return f"Digest {when} ({ctx.tz})."


def _quiet(ctx: Context, words: list[str]) -> str:
    if words == ["off"]:
        update_chat(ctx.db, ctx.chat_id, quiet_start=None, quiet_end=None)
        return "Quiet hours turned off."
    parts = words[0].split("-") if len(words) == 1 else []
    if len(parts) != 2:
        raise UsageError("Give a range, e.g. /settings quiet 22:00-07:00, or /settings quiet off")
    start, end = parse_clock(parts[0]), parse_clock(parts[1])
    update_chat(ctx.db, ctx.chat_id, quiet_start=start, quiet_end=end)
    return f"Quiet hours {start}-{end} ({ctx.tz}): alerts are held and arrive together afterwards."


@cache
def _zone_names() -> dict[str, str]:
    """Every IANA zone name this system knows, by its lower-case spelling."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def parse_timezone(text: str) -> str:
    """An IANA zone name (any letter case: `europe/kyiv` is Europe/Kyiv); UsageError naming what to
    type for anything else, including a bare region such as `Europe`."""
    names = _zone_names()
    name = names.get(text.lower())
    if name is None:
        shown = text[:60]
        regions = sorted({n.split("/", 1)[0] for n in names.values() if "/" in n})
        region = next((r for r in regions if r.lower() == text.lower().rstrip("/")), None)
        if region:
            raise UsageError(f"{region} is a region; add a city, e.g. /settings timezone {region}/"
                             f"{_example(region)}")
        close = difflib.get_close_matches(text.lower(), list(names), n=1, cutoff=0.8) if len(text) <= 60 else []
        hint = f" Did you mean {names[close[0]]}?" if close else ""
        raise UsageError(f"{shown!r} is an unknown time zone.{hint} Use an IANA name such as Europe/Kyiv "
                         "or America/New_York.")
    try:
        return check_timezone(name)
    except (ValueError, OSError):
        raise UsageError(f"The time zone {name!r} cannot be loaded here; try another city of the same zone.") \
            from None


def _example(region: str) -> str:
    cities = sorted(n.split("/", 1)[1] for n in _zone_names().values() if n.startswith(f"{region}/"))
    preferred = {"Europe": "Kyiv", "America": "New_York", "Asia": "Tokyo", "Africa": "Cairo",
                 "Australia": "Sydney"}.get(region)
    return preferred if preferred in cities else (cities[0] if cities else "")


def _change(ctx: Context, key: str, words: list[str]) -> str:
    if key == "timezone" and len(words) == 1:
        zone = parse_timezone(words[0])
        update_chat(ctx.db, ctx.chat_id, timezone=zone)
        return f"Time zone set to {zone}."
    if key == "alerts" and len(words) == 1 and words[0] in ALERT_MODES:
        update_chat(ctx.db, ctx.chat_id, alerts_mode=words[0])
        return {"instant": "Alerts arrive as soon as articles match.",
                "digest": "No instant alerts: matches arrive in the digest only.",
                "off": "Alerts are off (the digest still comes if set)."}[words[0]]
    if key == "digest":
        return _digest(ctx, words)
    if key == "quiet" and words:
        return _quiet(ctx, words)
    raise UsageError(f"I can't set {' '.join([key, *words])!r}.")


@command("settings", "/settings [timezone <Area/City> | alerts instant|digest|off | "
         "digest HH:MM|off|weekly <day> HH:MM | quiet HH:MM-HH:MM|off]", changes_chat=bool)
def settings(ctx: Context, args: str) -> Reply:
    """Show or change this chat's time zone, alert mode, digest and quiet hours."""
    if not args:
        return _show(ctx)
    key, *words = args.split()
    return Reply.text(_change(ctx, key.lower(), words)).public()
