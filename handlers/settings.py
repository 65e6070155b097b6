"""/settings: the chat's time zone, alert mode, digest time and quiet hours."""

from __future__ import annotations

import difflib
import re
import zoneinfo
from functools import cache
from typing import Any

from diplobot.analysis.schedule import WEEKDAYS, quiet_until
from diplobot.clock import iso
from diplobot.config import check_timezone
from diplobot.handlers.format import until_label
from diplobot.handlers.registry import Context, UsageError, command
from diplobot.handlers.reply import Button, Reply, ReplyBuilder
from diplobot.store.alerts import release_held
from diplobot.store.chats import get_chat, update_chat

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
ALERT_MODES = ("instant", "digest", "off")
DEFAULT_DIGEST_TIME = "08:00"  # what the button offered for a digest-only chat without a digest sets


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
        digest = f"{day}at {chat['digest_time']} {ctx.tz}" + (
            " (skipped when empty)" if chat["digest_skip_empty"] else ""
        )
        if chat["digest_weekday"] or chat.get("digest_chart"):
            digest += ", with a chart of your topics"
    quiet = f"{chat['quiet_start']}-{chat['quiet_end']} {ctx.tz}" if chat["quiet_start"] else "off"
    muted = until_label(chat["muted_until"], ctx.tz) if (chat["muted_until"] or "") > iso(ctx.now) else "no"
    return (
        ReplyBuilder()
        .heading("Settings for this chat")
        .para(f"Time zone: {chat['timezone'] or ctx.config.timezone}")
        .para(f"Alerts: {chat['alerts_mode']}")
        .para(f"Digest: {digest}")
        .para(f"Quiet hours: {quiet}")
        .para(f"Muted: {muted}")
        .context(
            "Change with /settings timezone Europe/Kyiv, /settings alerts instant|digest|off, "
            "/settings digest 08:00|off|weekly mon 08:00|chart on, /settings quiet 22:00-07:00|off"
        )
        .build()
    )


def _digest(ctx: Context, words: list[str]) -> str:
    if words == ["off"]:
        update_chat(ctx.db, ctx.chat_id, digest_time=None, digest_weekday=None)
        return "Digest turned off."
    if words and words[0] == "chart":
        if words[1:] not in (["on"], ["off"]):
            raise UsageError("Say /settings digest chart on, or /settings digest chart off")
        update_chat(ctx.db, ctx.chat_id, digest_chart=int(words[1] == "on"))
        return (
            "Daily digests will carry a chart of your topics (weekly ones always do)."
            if words[1] == "on"
            else "Daily digests will come without a chart (weekly ones keep theirs)."
        )
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
    """Set or end quiet hours; alerts they already hold follow the new rule (at once when it no longer holds them)."""
    if words == ["off"]:
        update_chat(ctx.db, ctx.chat_id, quiet_start=None, quiet_end=None)
        return "Quiet hours turned off." + _released(release_held(ctx.db, ctx.chat_id, iso(ctx.now)))
    parts = words[0].split("-") if len(words) == 1 else []
    if len(parts) != 2:
        raise UsageError("Give a range, e.g. /settings quiet 22:00-07:00, or /settings quiet off")
    start, end = parse_clock(parts[0]), parse_clock(parts[1])
    update_chat(ctx.db, ctx.chat_id, quiet_start=start, quiet_end=end)
    until = quiet_until(ctx.now, ctx.tz, start, end)
    moved = release_held(ctx.db, ctx.chat_id, iso(until or ctx.now))
    return f"Quiet hours {start}-{end} ({ctx.tz}): alerts are held and arrive together afterwards." + (
        _released(moved) if until is None else ""
    )


def _released(count: int) -> str:
    return f" {count} held alert{'s arrive' if count != 1 else ' arrives'} now." if count else ""


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
            raise UsageError(f"{region} is a region; add a city, e.g. /settings timezone {region}/{_example(region)}")
        close = difflib.get_close_matches(text.lower(), list(names), n=1, cutoff=0.8) if len(text) <= 60 else []
        hint = f" Did you mean {names[close[0]]}?" if close else ""
        raise UsageError(
            f"{shown!r} is an unknown time zone.{hint} Use an IANA name such as Europe/Kyiv or America/New_York."
        )
    try:
        return check_timezone(name)
    except (ValueError, OSError):
        raise UsageError(f"The time zone {name!r} cannot be loaded here; try another city of the same zone.") from None


def _example(region: str) -> str:
    cities = sorted(n.split("/", 1)[1] for n in _zone_names().values() if n.startswith(f"{region}/"))
    preferred = {
        "Europe": "Kyiv",
        "America": "New_York",
        "Asia": "Tokyo",
        "Africa": "Cairo",
        "Australia": "Sydney",
    }.get(region)
    return preferred if preferred in cities else (cities[0] if cities else "")


def _change(ctx: Context, key: str, words: list[str]) -> str | Reply:
    if key == "timezone" and len(words) == 1:
        zone = parse_timezone(words[0])
        update_chat(ctx.db, ctx.chat_id, timezone=zone)
        chat = get_chat(ctx.db, ctx.chat_id) or ctx.chat
        if chat["quiet_start"]:  # quiet hours are local times: what they hold now ends at the new zone's end
            until = quiet_until(ctx.now, zone, chat["quiet_start"], chat["quiet_end"])
            release_held(ctx.db, ctx.chat_id, iso(until or ctx.now))
        return f"Time zone set to {zone}."
    if key == "alerts" and len(words) == 1 and words[0] in ALERT_MODES:
        return _alerts(ctx, words[0])
    if key == "digest":
        text = _digest(ctx, words)
        if words == ["off"] and _chat(ctx)["alerts_mode"] == "digest":
            return _nothing_arrives(
                f"{text} Alerts are set to arrive in the digest only, so nothing will arrive now.",
                Button("Instant alerts", "/settings alerts instant"),
            )
        return text
    if key == "quiet" and words:
        return _quiet(ctx, words)
    raise UsageError(f"I can't set {' '.join([key, *words])!r}.")


def _chat(ctx: Context) -> dict[str, Any]:
    return get_chat(ctx.db, ctx.chat_id) or ctx.chat


def _alerts(ctx: Context, mode: str) -> str | Reply:
    """Set the alert mode; a mode that leaves the chat hearing nothing says so and offers the fix as a button."""
    update_chat(ctx.db, ctx.chat_id, alerts_mode=mode)
    digest_on = bool(_chat(ctx)["digest_time"])
    if mode == "digest" and not digest_on:
        return _nothing_arrives(
            "No instant alerts: matches arrive in the digest only. But the digest is off, so nothing will "
            f"arrive until you turn it on, e.g. /settings digest {DEFAULT_DIGEST_TIME} ({ctx.tz}).",
            Button(f"Daily digest at {DEFAULT_DIGEST_TIME}", f"/settings digest {DEFAULT_DIGEST_TIME}"),
        )
    return {
        "instant": "Alerts arrive as soon as articles match.",
        "digest": "No instant alerts: matches arrive in the digest only.",
        "off": "Alerts are off (the digest still comes)."
        if digest_on
        else "Alerts are off, and so is the digest: nothing will arrive.",
    }[mode]


def _nothing_arrives(text: str, fix: Button) -> Reply:
    return ReplyBuilder().para(text).build(buttons=((fix,),))


@command(
    "settings",
    "/settings [timezone <Area/City> | alerts instant|digest|off | "
    "digest HH:MM|off|weekly <day> HH:MM|chart on|off | quiet HH:MM-HH:MM|off]",
    changes_chat=bool,
)
def settings(ctx: Context, args: str) -> Reply:
    """Show or change this chat's time zone, alert mode, digest and quiet hours."""
    if not args:
        return _show(ctx)
    key, *words = args.split()
    answer = _change(ctx, key.lower(), words)
    return (Reply.text(answer) if isinstance(answer, str) else answer).public()
