"""Follow-up times typed in English or Chinese, in the user's time zone."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.dates import (
    DateParseError,
    PastDateError,
    describe_relative,
    format_local,
    parse_when,
)

ZONES = ["Asia/Shanghai", "Europe/Berlin"]


def friday_10am(zone: str) -> datetime:
    """Friday 9 January 2026, 10:00 local time in `zone`, as an aware UTC datetime."""
    return datetime(2026, 1, 9, 10, 0, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def when_local(text: str, zone: str, *, now: datetime | None = None, **kwargs: object) -> str:
    """parse_when's answer shown in the zone, with the weekday: '2026-01-10 10:00 Sat'."""
    now = now or friday_10am(zone)
    result = parse_when(text, now=now, timezone=zone, **kwargs)  # type: ignore[arg-type]
    assert result.tzinfo is UTC
    local = result.astimezone(ZoneInfo(zone))
    return f"{format_local(result, zone)} {local:%a}"


# Today is Friday 2026-01-09, 10:00 local.
ENGLISH = [
    ("tomorrow 10:00", "2026-01-10 10:00 Sat"),
    ("tomorrow", "2026-01-10 09:00 Sat"),
    ("Tomorrow 3pm", "2026-01-10 15:00 Sat"),
    ("tomorrow at 3", "2026-01-10 15:00 Sat"),  # a bare business hour is in the afternoon
    ("tomorrow at 10", "2026-01-10 10:00 Sat"),
    ("TOMORROW 10AM", "2026-01-10 10:00 Sat"),
    ("tomorrow 10.30", "2026-01-10 10:30 Sat"),
    ("10:00 tomorrow", "2026-01-10 10:00 Sat"),
    ("tomorrow morning", "2026-01-10 09:00 Sat"),
    ("tomorrow at noon", "2026-01-10 12:00 Sat"),
    ("tmrw 8 p.m.", "2026-01-10 20:00 Sat"),
    ("day after tomorrow", "2026-01-11 09:00 Sun"),
    ("in 3 days", "2026-01-12 09:00 Mon"),
    ("3 days later", "2026-01-12 09:00 Mon"),
    ("3d", "2026-01-12 09:00 Mon"),
    ("in 3 days at 15:00", "2026-01-12 15:00 Mon"),
    ("in a week", "2026-01-16 09:00 Fri"),
    ("in 2 weeks", "2026-01-23 09:00 Fri"),
    ("in 2 months", "2026-03-09 09:00 Mon"),
    ("in 2 hours", "2026-01-09 12:00 Fri"),
    ("2h", "2026-01-09 12:00 Fri"),
    ("in 1.5 hours", "2026-01-09 11:30 Fri"),
    ("in half an hour", "2026-01-09 10:30 Fri"),
    ("in 45 minutes", "2026-01-09 10:45 Fri"),
    ("2 hours from now", "2026-01-09 12:00 Fri"),
    ("fri", "2026-01-16 09:00 Fri"),  # today is Friday: next week's
    ("friday 15:00", "2026-01-16 15:00 Fri"),
    ("Tuesday", "2026-01-13 09:00 Tue"),
    ("thu", "2026-01-15 09:00 Thu"),
    ("thurs", "2026-01-15 09:00 Thu"),
    ("sat", "2026-01-10 09:00 Sat"),
    ("mon 9am", "2026-01-12 09:00 Mon"),
    ("on monday at 14:30", "2026-01-12 14:30 Mon"),
    ("next week", "2026-01-12 09:00 Mon"),
    ("next week 15:00", "2026-01-12 15:00 Mon"),
    ("next monday", "2026-01-12 09:00 Mon"),
    ("next fri", "2026-01-16 09:00 Fri"),
    ("next sunday", "2026-01-18 09:00 Sun"),
    ("coming sat", "2026-01-10 09:00 Sat"),
    ("this sunday 11:00", "2026-01-11 11:00 Sun"),
    ("2026-12-01 15:00", "2026-12-01 15:00 Tue"),
    ("2026-12-01T15:00", "2026-12-01 15:00 Tue"),
    ("2026-12-01", "2026-12-01 09:00 Tue"),
    ("2026/12/01", "2026-12-01 09:00 Tue"),
    ("12/01 15:00", "2026-12-01 15:00 Tue"),
    ("12/01", "2026-12-01 09:00 Tue"),
    ("1/5", "2027-01-05 09:00 Tue"),  # gone this year: next year's
    ("12/1/2026", "2026-12-01 09:00 Tue"),
    ("today 18:00", "2026-01-09 18:00 Fri"),
    ("18:00", "2026-01-09 18:00 Fri"),
    ("6pm", "2026-01-09 18:00 Fri"),
    ("at 11", "2026-01-09 11:00 Fri"),
    ("tonight", "2026-01-09 20:00 Fri"),
    ("this afternoon", "2026-01-09 14:00 Fri"),
    ("dec 1", "2026-12-01 09:00 Tue"),
    ("1 dec 3pm", "2026-12-01 15:00 Tue"),
    ("december 1st at 15:00", "2026-12-01 15:00 Tue"),
    ("march", "2026-03-01 09:00 Sun"),
    ("next month", "2026-02-01 09:00 Sun"),
    ("the 15th", "2026-01-15 09:00 Thu"),
]

CHINESE = [
    ("明天上午10点", "2026-01-10 10:00 Sat"),
    ("明天下午3点半", "2026-01-10 15:30 Sat"),
    ("明天 10:00", "2026-01-10 10:00 Sat"),
    ("明天", "2026-01-10 09:00 Sat"),
    ("明天3点", "2026-01-10 15:00 Sat"),  # no one means 3 am without saying 凌晨
    ("明天凌晨3点", "2026-01-10 03:00 Sat"),
    ("明天早上7点", "2026-01-10 07:00 Sat"),
    ("明天中午12点", "2026-01-10 12:00 Sat"),
    ("明天中午1点", "2026-01-10 13:00 Sat"),
    ("明天下午", "2026-01-10 14:00 Sat"),
    ("明天上午九点一刻", "2026-01-10 09:15 Sat"),
    ("明天下午三点三刻", "2026-01-10 15:45 Sat"),
    ("明天十点整", "2026-01-10 10:00 Sat"),
    ("明早", "2026-01-10 09:00 Sat"),
    ("明晚8点", "2026-01-10 20:00 Sat"),
    ("后天下午3点", "2026-01-11 15:00 Sun"),
    ("后天下午两点", "2026-01-11 14:00 Sun"),
    ("大后天", "2026-01-12 09:00 Mon"),
    ("下周一", "2026-01-12 09:00 Mon"),
    ("下周三上午9点", "2026-01-14 09:00 Wed"),
    ("下个星期五", "2026-01-16 09:00 Fri"),
    ("下礼拜天", "2026-01-18 09:00 Sun"),
    ("下下周五", "2026-01-23 09:00 Fri"),
    ("下周", "2026-01-12 09:00 Mon"),
    ("这周六", "2026-01-10 09:00 Sat"),
    ("本周日下午", "2026-01-11 14:00 Sun"),
    ("周五", "2026-01-16 09:00 Fri"),  # today is Friday: next week's
    ("周1", "2026-01-12 09:00 Mon"),
    ("星期五下午2点", "2026-01-16 14:00 Fri"),
    ("礼拜天", "2026-01-11 09:00 Sun"),
    ("3天后", "2026-01-12 09:00 Mon"),
    ("三天后", "2026-01-12 09:00 Mon"),
    ("3天以后下午4点", "2026-01-12 16:00 Mon"),
    ("十天后", "2026-01-19 09:00 Mon"),
    ("二十一天后", "2026-01-30 09:00 Fri"),
    ("三百六十五天后", "2027-01-09 09:00 Sat"),
    ("2周后", "2026-01-23 09:00 Fri"),
    ("两个星期后", "2026-01-23 09:00 Fri"),
    ("1个月后", "2026-02-09 09:00 Mon"),
    ("两小时后", "2026-01-09 12:00 Fri"),
    ("两个小时后", "2026-01-09 12:00 Fri"),
    ("半小时后", "2026-01-09 10:30 Fri"),
    ("一个半小时后", "2026-01-09 11:30 Fri"),
    ("30分钟后", "2026-01-09 10:30 Fri"),
    ("今天晚上8点", "2026-01-09 20:00 Fri"),
    ("今晚", "2026-01-09 20:00 Fri"),
    ("晚上12点", "2026-01-10 00:00 Sat"),  # midnight after this evening
    ("12月1日", "2026-12-01 09:00 Tue"),
    ("12月1号", "2026-12-01 09:00 Tue"),
    ("十二月一日", "2026-12-01 09:00 Tue"),
    ("12月1日下午3点", "2026-12-01 15:00 Tue"),
    ("1月5日", "2027-01-05 09:00 Tue"),  # gone this year: next year's
    ("2026年12月1日 15:00", "2026-12-01 15:00 Tue"),
    ("2026年12月1日", "2026-12-01 09:00 Tue"),
    ("2026-12-01 下午3点", "2026-12-01 15:00 Tue"),
    ("15号", "2026-01-15 09:00 Thu"),
    ("5号", "2026-02-05 09:00 Thu"),  # the 5th is gone this month
    ("下个月", "2026-02-09 09:00 Mon"),
    ("下个月1号", "2026-02-01 09:00 Sun"),
    ("11点", "2026-01-09 11:00 Fri"),
    ("十一点半", "2026-01-09 11:30 Fri"),
    ("上午10点30分", "2026-01-09 10:30 Fri"),
    ("上午10:30", "2026-01-09 10:30 Fri"),
    ("下午3点左右", "2026-01-09 15:00 Fri"),
    ("下午３：３０", "2026-01-09 15:30 Fri"),  # full-width digits and colon
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_english(text: str, expected: str, zone: str) -> None:
    assert when_local(text, zone) == expected


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("text", "expected"), CHINESE)
def test_chinese(text: str, expected: str, zone: str) -> None:
    assert when_local(text, zone, language="zh") == expected


def test_an_hour_alone_is_today() -> None:
    now = friday_10am("Asia/Shanghai") - timedelta(minutes=1)
    assert when_local("10点", "Asia/Shanghai", now=now) == "2026-01-09 10:00 Fri"
    with pytest.raises(PastDateError):
        parse_when("10点", now=now + timedelta(minutes=1), timezone="Asia/Shanghai")


def test_the_result_is_utc_of_the_local_time() -> None:
    now = friday_10am("Asia/Shanghai")
    assert parse_when("明天上午10点", now=now, timezone="Asia/Shanghai") == datetime(
        2026, 1, 10, 2, 0, tzinfo=UTC
    )
    now = friday_10am("Europe/Berlin")
    assert parse_when("tomorrow 10:00", now=now, timezone="Europe/Berlin") == datetime(
        2026, 1, 10, 9, 0, tzinfo=UTC
    )


def test_hour_offsets_are_exact() -> None:
    now = datetime(2026, 1, 9, 2, 0, 37, 123456, tzinfo=UTC)
    assert parse_when("in 2 hours", now=now, timezone="Asia/Shanghai") == now + timedelta(hours=2)
    assert parse_when("两小时后", now=now, timezone="Asia/Shanghai") == now + timedelta(hours=2)


def test_default_time_is_used_for_days_without_a_time() -> None:
    now = friday_10am("Asia/Shanghai")
    for text in ("tomorrow", "in 3 days", "fri", "明天", "3天后", "下周一", "12月1日"):
        result = parse_when(text, now=now, timezone="Asia/Shanghai", default_time=time(14, 15))
        assert result.astimezone(ZoneInfo("Asia/Shanghai")).time() == time(14, 15), text


def test_language_does_not_limit_what_is_understood() -> None:
    now = friday_10am("Asia/Shanghai")
    assert parse_when("明天", now=now, timezone="Asia/Shanghai", language="en") == parse_when(
        "tomorrow", now=now, timezone="Asia/Shanghai", language="zh"
    )


def test_weekday_on_sunday_and_next_monday() -> None:
    sunday = datetime(2026, 1, 11, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    assert when_local("mon", "Europe/Berlin", now=sunday) == "2026-01-12 09:00 Mon"
    assert when_local("next monday", "Europe/Berlin", now=sunday) == "2026-01-12 09:00 Mon"
    assert when_local("next week", "Europe/Berlin", now=sunday) == "2026-01-12 09:00 Mon"
    assert when_local("周日", "Europe/Berlin", now=sunday) == "2026-01-18 09:00 Sun"
    assert when_local("下周日", "Europe/Berlin", now=sunday) == "2026-01-18 09:00 Sun"


def test_month_end_clamping() -> None:
    jan31 = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
    assert when_local("in 1 month", "UTC", now=jan31) == "2026-02-28 09:00 Sat"
    assert when_local("31号", "UTC", now=datetime(2026, 2, 1, 8, 0, tzinfo=UTC)) == (
        "2026-03-31 09:00 Tue"  # February has no 31st
    )


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["today 08:00", "08:00", "9am", "today", "yesterday", "3 days ago", "this thu", "this fri",
     "2025-12-01", "9点", "今天上午8点", "本周一", "2026年1月1日"],
)  # fmt: skip
@pytest.mark.parametrize("zone", ZONES)
def test_past_times_are_refused(text: str, zone: str) -> None:
    now = friday_10am(zone)
    with pytest.raises(PastDateError) as caught:
        parse_when(text, now=now, timezone=zone)
    assert caught.value.when <= now
    assert caught.value.when.tzinfo is UTC


def test_now_itself_is_not_the_future() -> None:
    now = datetime(2026, 1, 9, 10, 0, tzinfo=UTC)
    with pytest.raises(PastDateError):
        parse_when("10:00", now=now, timezone="UTC")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello", "asdf qwer", "12", "42", "a", "am", "1700000000", "13800138000",
     "2026-02-30", "2月30日", "25:00", "at 25:00", "13pm", "明天25点", "明天10点61分",
     "in 2 hours at 5pm", "两小时后下午3点", "in 99999999 days", "abc明天", "明天abc",
     "凌晨", "!!!", "#12", "天后", "一二天后"],
)  # fmt: skip
def test_garbage_is_refused(text: str) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_when(text, now=friday_10am("Asia/Shanghai"), timezone="Asia/Shanghai")
    assert caught.value.text == text


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("tomorrow", now=datetime(2026, 1, 9, 10, 0), timezone="UTC")


# --- daylight saving time ------------------------------------------------------------------


def test_day_offsets_cross_dst_at_local_time() -> None:
    # Berlin moves to summer time on Sunday 29 March 2026.
    now = datetime(2026, 3, 27, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    assert parse_when("in 3 days", now=now, timezone="Europe/Berlin") == datetime(
        2026,
        3,
        30,
        7,
        0,
        tzinfo=UTC,  # 09:00 CEST
    )
    assert when_local("next week", "Europe/Berlin", now=now) == "2026-03-30 09:00 Mon"


def test_hour_offsets_cross_dst_exactly() -> None:
    now = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET, half an hour before the jump
    result = parse_when("in 2 hours", now=now, timezone="Europe/Berlin")
    assert result == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)
    assert format_local(result, "Europe/Berlin") == "2026-03-29 04:30"


def test_a_time_in_the_spring_gap_lands_after_it() -> None:
    now = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    result = parse_when("tomorrow 02:30", now=now, timezone="Europe/Berlin")
    assert format_local(result, "Europe/Berlin") == "2026-03-29 03:30"


def test_an_ambiguous_autumn_time_is_the_first_one() -> None:
    now = datetime(2026, 10, 24, 10, 0, tzinfo=UTC)
    result = parse_when("tomorrow 02:30", now=now, timezone="Europe/Berlin")
    assert result == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST


def test_new_york_dst() -> None:
    now = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # Friday 10:00 EST
    assert parse_when("mon 9am", now=now, timezone="America/New_York") == datetime(
        2026,
        3,
        9,
        13,
        0,
        tzinfo=UTC,  # 09:00 EDT
    )


@settings(max_examples=60, deadline=None)
@given(
    days=st.integers(min_value=1, max_value=365),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Shanghai"]),
    now=st.datetimes(
        min_value=datetime(2026, 1, 1),  # hypothesis wants naive bounds
        max_value=datetime(2027, 12, 31),
        timezones=st.just(UTC),
    ),
    default=st.times(min_value=time(6, 0), max_value=time(22, 59)),
    chinese=st.booleans(),
)
def test_in_n_days_is_that_local_date_at_the_default_time(
    days: int, zone: str, now: datetime, default: time, chinese: bool
) -> None:
    text = f"{days}天后" if chinese else f"in {days} days"
    result = parse_when(text, now=now, timezone=zone, default_time=default)
    local = result.astimezone(ZoneInfo(zone))
    today = now.astimezone(ZoneInfo(zone)).date()
    assert local.date() == today + timedelta(days=days)
    assert local.time() == default
    assert result.tzinfo is UTC and result > now


_WORDS = [
    "tomorrow", "today", "next", "this", "in", "at", "on", "a", "half", "hour", "hours",
    "days", "week", "month", "fri", "monday", "sun", "3", "12", "99", "2026", "10:00", "25:99",
    "3pm", "0am", "-", "/", ".", ":", "ago",
    "明天", "后天", "下周", "周五", "星期", "上午", "下午", "晚上", "凌晨", "中午",
    "点", "半", "分", "十", "两", "三", "天后", "小时后", "月", "日", "号", "年", "个", "后",
    "1.5", "h", "d", "m", "mo", "0", "2026-02-29", "2/30", "31号",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4),
    glue=st.sampled_from(["", " "]),
    now=st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2030, 1, 1),
        timezones=st.just(UTC),
    ),
    zone=st.sampled_from([*ZONES, "America/New_York", "UTC", "Pacific/Chatham"]),
    language=st.sampled_from(["en", "zh"]),
)
def test_results_are_always_future_and_utc(
    words: list[str], glue: str, now: datetime, zone: str, language: str
) -> None:
    try:
        result = parse_when(glue.join(words), now=now, timezone=zone, language=language)
    except (DateParseError, PastDateError):
        return
    assert result.tzinfo is UTC
    assert result > now


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20))
def test_any_text_parses_or_raises_a_parse_error(text: str) -> None:
    now = friday_10am("Asia/Shanghai")
    try:
        result = parse_when(text, now=now, timezone="Asia/Shanghai")
    except (DateParseError, PastDateError):
        return
    assert result > now


# --- dateparser and the host's time zone ---------------------------------------------------


def test_dateparser_never_asks_the_host_for_its_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    # On a host whose local zone cannot be determined, dateparser warns (a FutureWarning, an
    # error here) and fails whenever it needs that zone. parse_when must never need it.
    def no_local_zone() -> None:
        raise ValueError("no local zone on this host")

    monkeypatch.setattr("dateparser.utils.get_localzone", no_local_zone)
    now = friday_10am("Europe/Berlin")
    assert when_local("dec 1", "Europe/Berlin") == "2026-12-01 09:00 Tue"
    assert when_local("next month", "Europe/Berlin") == "2026-02-01 09:00 Sun"
    assert when_local("3 hours from now", "Europe/Berlin") == "2026-01-09 13:00 Fri"
    for text in ("1700000000", "-1700000000"):
        with pytest.raises(DateParseError):
            parse_when(text, now=now, timezone="Europe/Berlin")


def test_no_warning_under_w_error() -> None:
    code = (
        "import dateparser; dateparser.parse('tomorrow');"
        "from datetime import datetime, UTC;"
        "from bot.domain.dates import parse_when;"
        "now = datetime(2026, 1, 9, tzinfo=UTC);"
        "[parse_when(t, now=now, timezone='Europe/Berlin') for t in ('dec 1', '下个月', 'fri')]"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- describing and formatting -------------------------------------------------------------

NOW = datetime(2026, 1, 9, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "english", "chinese"),
    [
        (timedelta(0), "just now", "刚刚"),
        (timedelta(seconds=-59), "just now", "刚刚"),
        (timedelta(seconds=30), "just now", "刚刚"),
        (timedelta(minutes=-5), "5 minutes ago", "5分钟前"),
        (timedelta(minutes=5), "in 5 minutes", "5分钟后"),
        (timedelta(hours=2), "in 2 hours", "2小时后"),
        (timedelta(hours=-2), "2 hours ago", "2小时前"),
        (timedelta(days=-1), "yesterday", "昨天"),
        (timedelta(hours=-30), "yesterday", "昨天"),
        (timedelta(days=1), "tomorrow", "明天"),
        (timedelta(hours=22), "tomorrow", "明天"),
        (timedelta(days=-3), "3 days ago", "3天前"),
        (timedelta(days=3), "in 3 days", "3天后"),
        (timedelta(days=-60), "2 months ago", "2个月前"),
    ],
)
def test_describe_relative(delta: timedelta, english: str, chinese: str) -> None:
    assert describe_relative(NOW + delta, NOW, "en") == english
    assert describe_relative(NOW + delta, NOW, "zh") == chinese
    assert describe_relative(NOW + delta, NOW, "zh-hans") == chinese


def test_format_local() -> None:
    when = datetime(2026, 1, 9, 2, 5, tzinfo=UTC)
    assert format_local(when, "Asia/Shanghai") == "2026-01-09 10:05"
    assert format_local(when, "Europe/Berlin") == "2026-01-09 03:05"
    assert format_local(when, "America/New_York") == "2026-01-08 21:05"
    assert format_local(when.replace(tzinfo=None), "Asia/Shanghai") == "2026-01-09 10:05"
    assert format_local(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "Europe/Berlin") == (
        "2026-07-01 14:00"
    )


def test_format_local_of_a_parsed_time_round_trips() -> None:
    now = friday_10am("Europe/Berlin")
    result = parse_when("2026-12-01 15:00", now=now, timezone="Europe/Berlin")
    assert format_local(result, "Europe/Berlin") == "2026-12-01 15:00"
    assert date(2026, 12, 1) == result.astimezone(ZoneInfo("Europe/Berlin")).date()
