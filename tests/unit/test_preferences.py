"""Pure preference rules: times of day, quiet hours, time zone lookup."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.domain.preferences import (
    find_timezone,
    in_quiet_hours,
    parse_quiet_hours,
    parse_time_of_day,
)

MINUTES_PER_DAY = 24 * 60


def _at(minute: int) -> time:
    return time(minute // 60, minute % 60)


minute_times = st.integers(min_value=0, max_value=MINUTES_PER_DAY - 1).map(_at)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9", time(9, 0)),
        ("09", time(9, 0)),
        ("0", time(0, 0)),
        ("09:30", time(9, 30)),
        ("9:30", time(9, 30)),
        ("21.15", time(21, 15)),
        ("9：00", time(9, 0)),
        ("  7:05  ", time(7, 5)),
        ("23:59", time(23, 59)),
        ("00:00", time(0, 0)),
    ],
)
def test_parse_time_of_day_accepts(text: str, expected: time) -> None:
    """Hours, HH:MM, HH.MM and a full-width colon are times of day."""
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "24",
        "24:00",
        "12:60",
        "9:5",
        "9:300",
        "123",
        "-1",
        "abc",
        "9am",
        "9:30:00",
        "9 30",
    ],
)
def test_parse_time_of_day_rejects(text: str) -> None:
    """Anything that is not an hour with optional two-digit minutes is None."""
    assert parse_time_of_day(text) is None


@given(st.integers(0, 23), st.integers(0, 59), st.sampled_from([":", ".", "："]))
def test_parse_time_of_day_round_trip(hour: int, minute: int, separator: str) -> None:
    """Every valid H:MM and HH:MM parses to that time."""
    expected = time(hour, minute)
    assert parse_time_of_day(f"{hour}{separator}{minute:02d}") == expected
    assert parse_time_of_day(f"{hour:02d}{separator}{minute:02d}") == expected


@given(st.integers(24, 99), st.integers(0, 99))
def test_parse_time_of_day_rejects_out_of_range_hours(hour: int, minute: int) -> None:
    """Hours of 24 and more are never a time of day."""
    assert parse_time_of_day(f"{hour}:{minute:02d}") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22:00-08:00", (time(22, 0), time(8, 0))),
        ("22-7", (time(22, 0), time(7, 0))),
        ("22:00 - 07:30", (time(22, 0), time(7, 30))),
        ("22:00–07:00", (time(22, 0), time(7, 0))),
        ("22:00—07:00", (time(22, 0), time(7, 0))),
        ("23:00~06:00", (time(23, 0), time(6, 0))),
        ("22:00至07:00", (time(22, 0), time(7, 0))),
        ("22:00 到 07:00", (time(22, 0), time(7, 0))),
        ("13:00-14:00", (time(13, 0), time(14, 0))),
        ("21.30-6.45", (time(21, 30), time(6, 45))),
    ],
)
def test_parse_quiet_hours_ranges(text: str, expected: tuple[time, time]) -> None:
    """A start-end range (with -, –, —, ~, 至, 到) gives (start, end), wrapping allowed."""
    assert parse_quiet_hours(text) == expected


@pytest.mark.parametrize(
    "text", ["off", "OFF", " Off ", "none", "no", "-", "关闭", "关", "无", "不要"]
)
def test_parse_quiet_hours_off(text: str) -> None:
    """'off' and its Chinese equivalents turn quiet hours off (None)."""
    assert parse_quiet_hours(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "22:00-22:00",
        "8-8",
        "25:00-07:00",
        "22:00-07:60",
        "tonight",
        "22:00",
        "22:00-",
        "-07:00",
        "on",
        "22:00-07:00-09:00",
    ],
)
def test_parse_quiet_hours_rejects(text: str) -> None:
    """Garbage, a single time, out-of-range times and equal start/end are False."""
    assert parse_quiet_hours(text) is False


@given(minute_times, minute_times)
def test_parse_quiet_hours_any_distinct_pair(start: time, end: time) -> None:
    """Any two distinct times written as 'HH:MM-HH:MM' parse back; equal ones are refused."""
    parsed = parse_quiet_hours(f"{start:%H:%M}-{end:%H:%M}")
    if start == end:
        assert parsed is False
    else:
        assert parsed == (start, end)


def _quiet_minutes(start: time, end: time) -> set[int]:
    """Brute force: the minutes of the day from start (inclusive) to end (exclusive), wrapping."""
    first = start.hour * 60 + start.minute
    last = end.hour * 60 + end.minute
    return {(first + k) % MINUTES_PER_DAY for k in range((last - first) % MINUTES_PER_DAY)}


@given(minute_times, minute_times, st.times())
def test_in_quiet_hours_matches_brute_force(start: time, end: time, local: time) -> None:
    """in_quiet_hours agrees with membership in the explicit set of quiet minutes."""
    assume(start != end)
    expected = local.hour * 60 + local.minute in _quiet_minutes(start, end)
    assert in_quiet_hours(local, start, end) is expected


@pytest.mark.parametrize(
    ("local", "start", "end", "expected"),
    [
        (time(23, 0), time(22, 0), time(7, 0), True),
        (time(3, 0), time(22, 0), time(7, 0), True),
        (time(22, 0), time(22, 0), time(7, 0), True),
        (time(7, 0), time(22, 0), time(7, 0), False),
        (time(6, 59, 59), time(22, 0), time(7, 0), True),
        (time(12, 0), time(22, 0), time(7, 0), False),
        (time(13, 30), time(13, 0), time(14, 0), True),
        (time(14, 0), time(13, 0), time(14, 0), False),
        (time(12, 59), time(13, 0), time(14, 0), False),
    ],
)
def test_in_quiet_hours_examples(local: time, start: time, end: time, expected: bool) -> None:
    """Start is inclusive, end exclusive, with or without wrapping past midnight."""
    assert in_quiet_hours(local, start, end) is expected


@given(st.times(), st.one_of(st.none(), minute_times), st.one_of(st.none(), minute_times))
def test_no_quiet_hours_without_both_ends(
    local: time, start: time | None, end: time | None
) -> None:
    """Without a start or an end, no time is quiet."""
    assume(start is None or end is None)
    assert in_quiet_hours(local, start, end) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("  Asia/Shanghai ", "Asia/Shanghai"),
        ("berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("los angeles", "America/Los_Angeles"),
        ("北京", "Asia/Shanghai"),
        ("beijing", "Asia/Shanghai"),
        ("上海", "Asia/Shanghai"),
        ("东京", "Asia/Tokyo"),
        ("纽约", "America/New_York"),
        ("UTC", "UTC"),
        ("gmt", "GMT"),
        ("UTC+8", "Etc/GMT-8"),
        ("utc + 8", "Etc/GMT-8"),
        ("GMT+8", "Etc/GMT-8"),
        ("+8", "Etc/GMT-8"),
        ("UTC-5", "Etc/GMT+5"),
        ("UTC+0", "UTC"),
        ("UTC+14", "Etc/GMT-14"),
        ("UTC-12", "Etc/GMT+12"),
    ],
)
def test_find_timezone_finds(text: str, expected: str) -> None:
    """Zone names, city names, Chinese aliases and UTC offsets find an IANA zone."""
    assert find_timezone(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "xyzzy", "Atlantis/Capital", "UTC+15", "UTC-13", "UTC+", "8", "月球"]
)
def test_find_timezone_garbage(text: str) -> None:
    """What is not a zone, a city or a valid offset finds nothing."""
    assert find_timezone(text) is None


@settings(max_examples=40)
@given(st.sampled_from(sorted(zoneinfo.available_timezones())))
def test_find_timezone_zone_name_finds_itself(name: str) -> None:
    """An IANA name, typed in any case, finds exactly that zone."""
    assert find_timezone(name) == name
    assert find_timezone(name.upper()) == name


@pytest.mark.parametrize("hours", [h for h in range(-12, 15) if h != 0])
def test_find_timezone_offset_has_that_offset(hours: int) -> None:
    """'UTC+h' finds a zone that really is h hours ahead of UTC (the Etc sign is inverted)."""
    name = find_timezone(f"UTC{hours:+d}")
    assert name is not None
    offset = datetime(2026, 1, 5, tzinfo=UTC).astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
    assert offset == timedelta(hours=hours)
