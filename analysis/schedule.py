"""Wall-clock time rules for digests and quiet hours, computed in each chat's own time zone.

zoneinfo keeps 08:00 at 08:00 local across DST changes; a time that does not exist on a
spring-forward day resolves as zoneinfo does (the wall time after the gap).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(text: str) -> time:
    hour, minute = (int(x) for x in text.split(":"))
    return time(hour, minute)


def last_scheduled(now: datetime, tz: str, at: str, weekday: str | None = None) -> datetime:
    """The latest scheduled time at or before `now`, in UTC (daily, or weekly on `weekday`)."""
    zone = ZoneInfo(tz)
    day: date = now.astimezone(zone).date()
    for _ in range(8):
        candidate = datetime.combine(day, _clock(at), tzinfo=zone).astimezone(UTC)
        if (weekday is None or WEEKDAYS[day.weekday()] == weekday) and candidate <= now:
            return candidate
        day -= timedelta(days=1)
    raise ValueError(f"no {weekday} {at} in the last week")


def quiet_until(now: datetime, tz: str, start: str | None, end: str | None) -> datetime | None:
    """When quiet hours covering `now` end (UTC), or None outside quiet hours."""
    if not start or not end or start == end:
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    begin, finish, clock = _clock(start), _clock(end), local.time().replace(second=0, microsecond=0)
    inside = begin <= clock < finish if begin < finish else (clock >= begin or clock < finish)
    if not inside:
        return None
    day = local.date() if clock < finish else local.date() + timedelta(days=1)
    return datetime.combine(day, finish, tzinfo=zone).astimezone(UTC)
