"""Time in one place: an injectable clock and the ISO format the store uses.

Every stored time is UTC ISO 8601 with seconds (`2025-09-04T10:00:00+00:00`), so text order is
time order. Tests pass a `FixedClock` instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """The store's text form of an aware datetime."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Clock:
    """Wall-clock time; the one thing jobs and handlers ask for `now`."""

    def now(self) -> datetime:
        return utcnow()


class FixedClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current
