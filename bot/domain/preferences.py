"""Pure rules for a member's preferences: time zones, times of day, quiet hours."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

_TIME_RE = re.compile(r"^\s*(\d{1,2})(?:[:.：](\d{2}))?\s*$")
_RANGE_RE = re.compile(r"^\s*([^-–~—至到]+?)\s*(?:-|–|—|~|至|到)\s*(.+?)\s*$")
_OFF_WORDS = frozenset({"off", "none", "no", "-", "关", "关闭", "无", "不要"})
_UTC_OFFSET_RE = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})$", re.IGNORECASE)


def parse_time_of_day(text: str) -> time | None:
    """'9', '09:30', '21.15', '9：00' -> a time; None when it is not one."""
    match = _TIME_RE.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_quiet_hours(text: str) -> tuple[time, time] | bool | None:
    """'22:00-08:00' -> (start, end); 'off' -> None; anything else -> False."""
    if text.strip().lower() in _OFF_WORDS:
        return None
    match = _RANGE_RE.match(text)
    if not match:
        return False
    start, end = parse_time_of_day(match.group(1)), parse_time_of_day(match.group(2))
    if start is None or end is None or start == end:
        return False
    return start, end


def in_quiet_hours(local: time, start: time | None, end: time | None) -> bool:
    """Whether a local wall-clock time falls in [start, end), which may wrap midnight."""
    if start is None or end is None:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


@cache
def _available() -> frozenset[str]:
    # Scanning the tz database takes milliseconds; it does not change while we run.
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    """Whether `name` is an IANA time zone (not a folder like 'Europe', not 'localtime')."""
    return name in _available() or name == "UTC"


@cache
def _zones_by_city() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in sorted(_available()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            continue
        city = name.rsplit("/", 1)[1].lower().replace("_", " ")
        found.setdefault(city, name)
    return found


_ALIASES = {
    "beijing": "Asia/Shanghai",
    "北京": "Asia/Shanghai",
    "上海": "Asia/Shanghai",
    "china": "Asia/Shanghai",
    "中国": "Asia/Shanghai",
    "深圳": "Asia/Shanghai",
    "广州": "Asia/Shanghai",
    "香港": "Asia/Hong_Kong",
    "台北": "Asia/Taipei",
    "东京": "Asia/Tokyo",
    "新加坡": "Asia/Singapore",
    "伦敦": "Europe/London",
    "纽约": "America/New_York",
    "utc": "UTC",
    "gmt": "UTC",
}


def find_timezone(text: str) -> str | None:
    """An IANA zone from what a person types: 'Europe/Berlin', 'berlin', '北京', 'UTC+8'."""
    query = text.strip()
    if not query:
        return None
    available = _available()
    for name in available:
        if name.lower() == query.lower():
            return name
    lowered = query.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    city = lowered.replace("_", " ")
    if city in _zones_by_city():
        return _zones_by_city()[city]
    offset = _UTC_OFFSET_RE.match(query.replace(" ", ""))
    if offset:
        hours = int(offset.group(2))
        if hours == 0:
            return "UTC"
        if hours <= 14:
            # POSIX-style Etc zones have the sign inverted: UTC+8 is Etc/GMT-8.
            sign = "-" if offset.group(1) == "+" else "+"
            name = f"Etc/GMT{sign}{hours}"
            return name if name in available else None
    return None


def quiet_hours_end(
    now: datetime, timezone: str, start: time | None, end: time | None
) -> datetime | None:
    """When the quiet hours `now` falls in end (aware UTC), or None when it is not quiet."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    if not in_quiet_hours(local.time(), start, end):
        return None
    assert end is not None
    day = local.date()
    # A wrapping range (22:00-08:00) seen after midnight ends today, before midnight tomorrow.
    if local.time() >= end:
        day += timedelta(days=1)
    # fold=0 and normalising through UTC place a wall time in a DST gap just after it.
    wall = datetime.combine(day, end, zone)
    return wall.astimezone(UTC)
