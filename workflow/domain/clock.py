"""The one clock: every date the product counts or shows is a date in `server.timezone` (Beijing time).

Stored times stay naive UTC (storage/models/base.py `utcnow`); this module says which day and hour they
are for people here, and which day "today" is, whatever the server's own time zone (TZ) is. The zone is
set once at start (`configure`, from settings); tests pass a fixed instant (`at=`) to see 23:30 or 00:30.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
# China has kept UTC+8 without daylight saving since 1991: the default zone still works on a machine
# without a time-zone database.
_CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


def zone_named(name: str) -> dt.tzinfo:
    """The time zone `name` (an IANA name such as Asia/Shanghai); ValueError when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_ZONE:
            return _CHINA
        raise ValueError(name) from None


_zone: dt.tzinfo = zone_named(DEFAULT_ZONE)
_source: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)  # noqa: E731


def configure(name: str) -> None:
    """Make `name` the zone of every date (called once at start with `server.timezone`)."""
    global _zone
    _zone = zone_named(name)


def zone() -> dt.tzinfo:
    return _zone


def now(at: Optional[dt.datetime] = None) -> dt.datetime:
    """The current moment (or `at`, an aware datetime) in the configured zone."""
    return (at or _source()).astimezone(_zone)


def today(at: Optional[dt.datetime] = None) -> dt.date:
    """Today's date in the configured zone: the one every rule and deadline counts from."""
    return now(at).date()


def frozen_at(at: dt.datetime) -> Callable[[], dt.date]:
    """A clock for the engine that always says the date of the moment `at` (for tests and replays)."""
    return lambda: today(at)


def local(stored: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """A stored time (naive UTC) as naive wall-clock time in the configured zone (for sheets and pages)."""
    if stored is None:
        return None
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=dt.timezone.utc)
    return stored.astimezone(_zone).replace(tzinfo=None)


def local_date(stored: Optional[dt.datetime]) -> Optional[dt.date]:
    """The day a stored time (naive UTC) fell on here."""
    shown = local(stored)
    return shown.date() if shown is not None else None


def shown(stored: Optional[dt.datetime], fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (naive UTC) formatted as people here read it; empty for none."""
    moment = local(stored)
    return moment.strftime(fmt) if moment is not None else ""


def day_start(day: dt.date) -> dt.datetime:
    """The stored (naive UTC) time at which `day` begins here: the bound for "stored on or after `day`"."""
    begins = dt.datetime.combine(day, dt.time(), tzinfo=_zone)
    return begins.astimezone(dt.timezone.utc).replace(tzinfo=None)
