"""Pure rules for follow-up times typed by a rep, in the rep's time zone and language.

Common English and Chinese phrasings are parsed by hand because dateparser gets several of
them wrong for a CRM ('tomorrow' keeps the current time of day, 'next week' is +7 days, Chinese
'明天上午10点' or '下周一' are not understood). dateparser handles what is left ('dec 1',
'1 December 2026', 'next month'...).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser
from babel.dates import format_timedelta

__all__ = [
    "DateParseError",
    "PastDateError",
    "describe_relative",
    "format_local",
    "parse_when",
]


class DateParseError(ValueError):
    """The text is not a date or time that we understand."""

    def __init__(self, text: str) -> None:
        super().__init__("not a date or time")
        self.text = text


class PastDateError(ValueError):
    """The text names a moment that is not in the future."""

    def __init__(self, when: datetime) -> None:
        super().__init__("the time is not in the future")
        self.when = when


@dataclass(frozen=True)
class _Wall:
    """A local calendar day and, when the text gave one, a wall-clock time."""

    day: date
    at: time | None


@dataclass(frozen=True)
class _Instant:
    """An exact moment, from an hour or minute offset ('in 2 hours')."""

    when: datetime


_Result = _Wall | _Instant

_DAY = timedelta(days=1)
_PERIOD_MORNING = time(9, 0)
_PERIOD_NOON = time(12, 0)
_PERIOD_AFTERNOON = time(14, 0)
_PERIOD_DUSK = time(18, 0)
_PERIOD_EVENING = time(20, 0)

# ---------------------------------------------------------------------------------------------
# Shared helpers


def _add_months(day: date, months: int) -> date:
    # The day is clamped: one month after 31 January is the last day of February.
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - _DAY).day
    return date(year, month, min(day.day, last))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weekday_after(today: date, weekday: int) -> date:
    # Strictly after today: on a Friday, 'friday' is next week's.
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _week_day(today: date, weekday: int, weeks_ahead: int | None) -> date:
    if weeks_ahead is None:
        return _weekday_after(today, weekday)
    return _monday(today) + timedelta(weeks=weeks_ahead, days=weekday)


def _month_day(today: date, month: int, day: int, year: int | None) -> date:
    if year is not None:
        return date(year, month, day)
    candidate = date(today.year, month, day) if _valid(today.year, month, day) else None
    if candidate is None or candidate < today:
        # Without a year, a date already gone this year (or 29 February) means the next one.
        for offset in range(1, 9):
            if _valid(today.year + offset, month, day):
                return date(today.year + offset, month, day)
        raise DateParseError(f"{month}/{day}")
    return candidate


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _day_of_month(today: date, day: int) -> date:
    # 'the 15th' / '15号': this month's if not gone yet, else the next month that has that day.
    for offset in range(13):
        first = _add_months(today.replace(day=1), offset)
        if _valid(first.year, first.month, day) and date(first.year, first.month, day) >= today:
            return date(first.year, first.month, day)
    raise DateParseError(str(day))


def _offset(local_now: datetime, amount: float, unit: str) -> _Result:
    # Hour and minute offsets are exact durations, so they are added in UTC: adding to an aware
    # local datetime would move the wall clock and be an hour off across a DST change.
    if unit == "minute":
        return _Instant(local_now.astimezone(UTC) + timedelta(minutes=amount))
    if unit == "hour":
        return _Instant(local_now.astimezone(UTC) + timedelta(hours=amount))
    if amount != int(amount):
        raise DateParseError(f"{amount} {unit}")
    today = local_now.date()
    if unit == "day":
        return _Wall(today + timedelta(days=amount), None)
    if unit == "week":
        return _Wall(today + timedelta(weeks=amount), None)
    return _Wall(_add_months(today, int(amount)), None)


def _has_cjk(text: str) -> bool:
    return any(
        "\u3400" <= char <= "\u9fff"
        or "\uf900" <= char <= "\ufaff"
        or "\u3000" <= char <= "\u303f"
        for char in text
    )


# ---------------------------------------------------------------------------------------------
# English

_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "a few": 3,
}  # fmt: skip
_EN_UNITS = {
    "m": "minute", "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
    "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour",
    "d": "day", "day": "day", "days": "day",
    "w": "week", "wk": "week", "wks": "week", "week": "week", "weeks": "week",
    "mo": "month", "month": "month", "months": "month",
}  # fmt: skip
_EN_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2,
    "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_EN_DAYS = {
    "today": 0, "tod": 0, "tonight": 0, "tomorrow": 1, "tmr": 1, "tmrw": 1, "tomorow": 1,
    "day after tomorrow": 2, "the day after tomorrow": 2, "overmorrow": 2,
}  # fmt: skip
_EN_PERIODS = {
    "morning": _PERIOD_MORNING, "noon": _PERIOD_NOON, "midday": _PERIOD_NOON,
    "afternoon": _PERIOD_AFTERNOON, "evening": _PERIOD_EVENING, "night": _PERIOD_EVENING,
    "tonight": _PERIOD_EVENING,
}  # fmt: skip

_EN_NUMBER = "|".join([r"\d+(?:\.5)?", "half an?", *sorted(_EN_NUMBERS, key=len, reverse=True)])
_EN_OFFSET_RE = re.compile(
    rf"(?:in|after|\+)?\s*(?P<n>{_EN_NUMBER})\s*(?P<unit>{'|'.join(_EN_UNITS)})"
    r"(?:\s+(?:later|from now))?"
)
_EN_AMPM_RE = re.compile(
    r"(?:\bat\s+)?(?<![\w:/.-])(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>[ap])\.?m\b\.?"
)
# '15:00', and the '15.00' / '15h00' some write; the look-arounds keep dates like 2026.12.01 out.
_EN_CLOCK_RE = re.compile(r"(?:\bat\s+)?(?<![\w:/.-])(?P<h>\d{1,2})[:.h](?P<m>\d{2})(?![\w:.])")
_EN_AT_HOUR_RE = re.compile(r"\bat\s+(?P<h>\d{1,2})(?![\w:/.-])")
_EN_PERIOD_RE = re.compile(
    r"\b(?:(?:in|at)\s+the\s+|this\s+)?(?P<p>" + "|".join(_EN_PERIODS) + r")\b"
)
_EN_ISO_RE = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
_EN_SLASH_RE = re.compile(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?")
_EN_WEEKDAY_RE = re.compile(
    r"(?:(?P<which>next|this|coming)\s+)?(?P<wd>" + "|".join(_EN_WEEKDAYS) + r")"
)
# dateparser reads almost anything as a date ('12' is December, 'a' is a year from now); only
# text with a word in it, an ordinal ('15th') or Chinese is worth handing to it.
_WORTH_PARSING_RE = re.compile(r"[a-z]{3,}|\d(?:st|nd|rd|th)\b|[\u3400-\u9fff]")
_SUB_DAY_RE = re.compile(r"\b(?:hours?|hrs?|minutes?|mins?|seconds?|secs?)\b|小时|钟头|分钟|秒")


def _hour_24(hour: int, minute: int, ampm: str | None) -> time:
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise DateParseError(f"{hour} {ampm}m")
        hour = hour % 12 + (12 if ampm == "p" else 0)
    return time(hour, minute)


def _casual_hour(hour: int) -> int:
    # A bare '3' (English 'at 3', Chinese '3点') means 3 pm in business talk: no one books a
    # follow-up at 3 am without saying so ('3am', '凌晨3点').
    return hour + 12 if 1 <= hour <= 6 else hour


def _take_english_time(text: str) -> tuple[time | None, str]:
    for pattern in (_EN_AMPM_RE, _EN_CLOCK_RE):
        match = pattern.search(text)
        if match:
            ampm = match.groupdict().get("ap")
            found = _hour_24(int(match["h"]), int(match["m"] or 0), ampm)
            return found, text[: match.start()] + " " + text[match.end() :]
    match = _EN_AT_HOUR_RE.search(text)
    if match:
        found = time(_casual_hour(int(match["h"])))
        return found, text[: match.start()] + " " + text[match.end() :]
    match = _EN_PERIOD_RE.search(text)
    if match:
        rest = text[: match.start()] + " " + text[match.end() :]
        if match["p"] == "tonight":
            rest = "today " + rest
        return _EN_PERIODS[match["p"]], rest
    return None, text


def _english_number(text: str) -> float:
    if text.startswith("half"):
        return 0.5
    return _EN_NUMBERS[text] if text in _EN_NUMBERS else float(text)


def _parse_english(text: str, local_now: datetime, languages: list[str]) -> _Result | None:
    at, rest = _take_english_time(text)
    rest = re.sub(r"\b(?:at|on)\b", " ", rest)
    rest = " ".join(rest.split())
    today = local_now.date()
    if not rest:
        return _Wall(today, at) if at is not None else None
    if rest in _EN_DAYS:
        return _Wall(today + timedelta(days=_EN_DAYS[rest]), at)
    if rest == "next week":
        return _Wall(_monday(today) + timedelta(weeks=1), at)
    if match := _EN_WEEKDAY_RE.fullmatch(rest):
        weeks = {"next": 1, "this": 0}.get(match["which"] or "")
        return _Wall(_week_day(today, _EN_WEEKDAYS[match["wd"]], weeks), at)
    if (match := _EN_OFFSET_RE.fullmatch(rest)) and (
        len(match["unit"]) > 1 or match["n"][0].isdigit()  # '3d' yes, 'am' is no '1 minute'
    ):
        found = _offset(local_now, _english_number(match["n"]), _EN_UNITS[match["unit"]])
        if isinstance(found, _Instant):
            return found if at is None else None  # 'in 2 hours at 5pm' contradicts itself
        return _Wall(found.day, at)
    if match := _EN_ISO_RE.fullmatch(rest):
        return _Wall(date(int(match["y"]), int(match["m"]), int(match["d"])), at)
    if match := _EN_SLASH_RE.fullmatch(rest):
        year = match["y"]
        full_year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        return _Wall(_month_day(today, int(match["m"]), int(match["d"]), full_year), at)
    return _with_dateparser(rest, text, at, local_now, languages)


# ---------------------------------------------------------------------------------------------
# Chinese

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_MULTIPLIERS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = r"[0-9]+|[零〇一二两俩三四五六七八九十百千]+"
_CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CN_RELATIVE_DAYS = {
    "今天": 0, "今日": 0, "今儿": 0, "明天": 1, "明日": 1, "明儿": 1, "后天": 2, "大后天": 3,
}  # fmt: skip
# Short forms that carry both the day and the part of the day: 今晚 = 今天晚上.
_CN_DAY_PERIODS = {
    "今早": (0, "早上"), "今晨": (0, "早上"), "今晚": (0, "晚上"),
    "明早": (1, "早上"), "明晨": (1, "早上"), "明晚": (1, "晚上"),
}  # fmt: skip
_CN_PERIOD_DEFAULTS = {
    "早上": _PERIOD_MORNING, "早晨": _PERIOD_MORNING, "清晨": _PERIOD_MORNING,
    "早": _PERIOD_MORNING, "上午": _PERIOD_MORNING, "中午": _PERIOD_NOON,
    "午后": _PERIOD_AFTERNOON, "下午": _PERIOD_AFTERNOON, "傍晚": _PERIOD_DUSK,
    "晚上": _PERIOD_EVENING, "夜里": _PERIOD_EVENING, "夜晚": _PERIOD_EVENING,
    "晚间": _PERIOD_EVENING, "晚": _PERIOD_EVENING,
}  # fmt: skip
_CN_AFTERNOON = frozenset({"午后", "下午", "傍晚"})
_CN_EVENING = frozenset({"晚上", "夜里", "夜晚", "晚间", "晚"})
_CN_UNITS = {
    "分钟": "minute", "分": "minute", "小时": "hour", "钟头": "hour", "天": "day", "日": "day",
    "周": "week", "星期": "week", "礼拜": "week", "月": "month",
}  # fmt: skip

_CN_DAY_RE = re.compile("|".join(sorted(_CN_RELATIVE_DAYS, key=len, reverse=True)))
_CN_DAY_PERIOD_RE = re.compile("|".join(_CN_DAY_PERIODS))
_CN_WEEK_RE = re.compile(
    r"(?P<which>下下个?|下个?|本|这个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
)
_CN_NEXT_WEEK_RE = re.compile(r"(?P<which>下下个?|下个?)(?:周|星期|礼拜)")
_CN_NEXT_MONTH_RE = re.compile(rf"下个?月(?:(?P<d>{_CN_NUM})[日号])?")
_CN_OFFSET_RE = re.compile(
    rf"(?:过)?(?P<n>{_CN_NUM})?个?(?P<half>半)?个?(?P<unit>分钟|分|小时|钟头|天|日|周|星期|礼拜|月)"
    r"(?:以后|之后|后)"
)
_CN_FULL_DATE_RE = re.compile(rf"(?P<y>\d{{4}})年(?P<m>{_CN_NUM})月(?P<d>{_CN_NUM})[日号]?")
_CN_ISO_RE = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})日?")
_CN_MONTH_DAY_RE = re.compile(rf"(?P<m>{_CN_NUM})月(?P<d>{_CN_NUM})[日号]?")
_CN_SLASH_RE = re.compile(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})")
_CN_DAY_OF_MONTH_RE = re.compile(rf"(?P<d>{_CN_NUM})[日号]")
_CN_TIME_RE = re.compile(
    r"(?P<period>" + "|".join(sorted(_CN_PERIOD_DEFAULTS, key=len, reverse=True)) + r"|凌晨)?"
    r"(?:"
    rf"(?P<h>{_CN_NUM})(?:点钟?|时)(?:(?P<half>半)|(?P<quarter>一刻|三刻)|(?P<m>{_CN_NUM})分?|整)?"
    r"|(?P<ch>\d{1,2}):(?P<cm>\d{2})"
    r")?"
)


def _cn_number(text: str) -> int:
    if text.isascii():
        return int(text)
    total, current, last_was_digit = 0, 0, False
    for char in text:
        if char in _CN_DIGITS:
            if last_was_digit:
                raise DateParseError(text)  # '一二' is not a number
            current, last_was_digit = _CN_DIGITS[char], True
        else:
            total += (current or 1) * _CN_MULTIPLIERS[char]
            current, last_was_digit = 0, False
    return total + current


def _cn_time(text: str, local_day: date) -> tuple[date, time | None] | None:
    match = _CN_TIME_RE.fullmatch(text)
    if match is None:
        return None
    period = match["period"]
    if match["h"] is None and match["ch"] is None:
        if period is None:
            return local_day, None
        if period == "凌晨":
            return None  # 'small hours' without an hour is no time at all
        return local_day, _CN_PERIOD_DEFAULTS[period]
    if match["ch"] is not None:
        hour, minute = int(match["ch"]), int(match["cm"])
    else:
        hour = _cn_number(match["h"])
        if match["half"]:
            minute = 30
        elif match["quarter"]:
            minute = 15 if match["quarter"] == "一刻" else 45
        else:
            minute = _cn_number(match["m"]) if match["m"] else 0
        if period is None:
            hour = _casual_hour(hour)
    if period in _CN_AFTERNOON or period == "中午":
        if hour < 12 and (period != "中午" or hour <= 4):
            hour += 12
    elif period in _CN_EVENING:
        if hour == 12 or hour <= 4:
            # 晚上12点 / 夜里1点: the small hours after that evening.
            return local_day + _DAY, time(hour % 12, minute)
        if hour < 12:
            hour += 12
    elif period == "凌晨" and hour == 12:
        hour = 0
    return local_day, time(hour, minute)


def _cn_date(text: str, local_now: datetime) -> tuple[_Result, str, str | None] | None:
    """The date at the start of the text, what follows it, and a part of day it implied."""
    today = local_now.date()
    if match := _CN_DAY_PERIOD_RE.match(text):
        offset, period = _CN_DAY_PERIODS[match[0]]
        return _Wall(today + timedelta(days=offset), None), text[match.end() :], period
    if match := _CN_DAY_RE.match(text):
        found: _Result = _Wall(today + timedelta(days=_CN_RELATIVE_DAYS[match[0]]), None)
    elif match := _CN_WEEK_RE.match(text):
        weekday = _CN_WEEKDAYS.get(match["wd"])
        weekday = int(match["wd"]) - 1 if weekday is None else weekday
        which = (match["which"] or "").rstrip("个")
        weeks = {"": None, "下": 1, "下下": 2, "本": 0, "这": 0}[which]
        found = _Wall(_week_day(today, weekday, weeks), None)
    elif match := _CN_NEXT_WEEK_RE.match(text):
        weeks = 2 if match["which"].startswith("下下") else 1
        found = _Wall(_monday(today) + timedelta(weeks=weeks), None)
    elif match := _CN_NEXT_MONTH_RE.match(text):
        next_month = _add_months(today, 1)
        day = _cn_number(match["d"]) if match["d"] else next_month.day
        found = _Wall(next_month.replace(day=day), None)
    elif match := _CN_OFFSET_RE.match(text):
        if match["n"] is None and match["half"] is None:
            return None
        amount = (_cn_number(match["n"]) if match["n"] else 0) + (0.5 if match["half"] else 0)
        found = _offset(local_now, amount, _CN_UNITS[match["unit"]])
    elif match := _CN_FULL_DATE_RE.match(text) or _CN_ISO_RE.match(text):
        found = _Wall(date(int(match["y"]), _cn_number(match["m"]), _cn_number(match["d"])), None)
    elif match := _CN_MONTH_DAY_RE.match(text) or _CN_SLASH_RE.match(text):
        found = _Wall(
            _month_day(today, _cn_number(match["m"]), _cn_number(match["d"]), None), None
        )
    elif match := _CN_DAY_OF_MONTH_RE.match(text):
        found = _Wall(_day_of_month(today, _cn_number(match["d"])), None)
    else:
        return None
    return found, text[match.end() :], None


def _parse_chinese(text: str, local_now: datetime) -> _Result | None:
    compact = "".join(text.split()).removesuffix("左右")  # '下午3点左右': about 3 pm
    found = _cn_date(compact, local_now)
    if found is None:
        timed = _cn_time(compact, local_now.date())
        if timed is None or timed[1] is None:
            return None
        return _Wall(*timed)
    result, rest, period = found
    if isinstance(result, _Instant):
        return result if not rest else None
    timed = _cn_time((period or "") + rest.removeprefix("的"), result.day)
    return None if timed is None else _Wall(*timed)


# ---------------------------------------------------------------------------------------------
# dateparser, for what the hand-written rules do not cover


def _with_dateparser(
    rest: str, text: str, at: time | None, local_now: datetime, languages: list[str]
) -> _Result | None:
    sub_day = _SUB_DAY_RE.search(rest) is not None
    if (sub_day and at is not None) or not _WORTH_PARSING_RE.search(rest):
        return None
    base = local_now.replace(tzinfo=None)
    found = dateparser.parse(
        text if sub_day else rest,
        languages=languages,
        settings={
            "PREFER_DATES_FROM": "future",
            # A naive base in the user's zone plus an explicit TIMEZONE: dateparser never asks
            # the host for its local zone, which warns (FutureWarning) or fails on hosts with
            # an unusual TZ. The timestamp parsers are left out for the same reason (they look
            # the local zone up unconditionally), and a follow-up is never typed as a timestamp.
            "RELATIVE_BASE": base,
            "TIMEZONE": str(local_now.tzinfo),
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PARSERS": ["relative-time", "absolute-time"],
            "PREFER_DAY_OF_MONTH": "first",  # 'march' is 1 March, not the 9th like today
        },
    )
    if found is None:
        return None
    if sub_day:
        zone = local_now.tzinfo
        return _Instant(found.replace(tzinfo=zone))
    if at is None and found.time() not in (time(0, 0), base.time()):
        # A time we did not recognise but dateparser did: keep it rather than drop it.
        at = found.time()
    return _Wall(found.date(), at)


# ---------------------------------------------------------------------------------------------
# Public API


def _clean(text: str) -> str:
    cleaned = unicodedata.normalize("NFKC", text).strip().lower()
    cleaned = re.sub(r"(?<=\d)t(?=\d)", " ", cleaned)  # ISO 8601 '2026-12-01T15:00'
    cleaned = re.sub(r"[,，。!！?？]+", " ", cleaned).strip(" .")
    return " ".join(cleaned.split())


def _to_utc(result: _Result, zone: ZoneInfo, default_time: time) -> datetime:
    if isinstance(result, _Instant):
        return result.when.astimezone(UTC)
    # fold=0: an ambiguous autumn wall time is its first occurrence, and a spring-gap time
    # (02:30 that does not exist) lands just after the gap; both are what a person means.
    local = datetime.combine(result.day, result.at or default_time, tzinfo=zone)
    return local.astimezone(UTC)


def parse_when(
    text: str,
    *,
    now: datetime,
    timezone: str,
    language: str = "en",
    default_time: time = time(9, 0),
) -> datetime:
    """A follow-up time typed in the user's zone -> an aware UTC datetime strictly after now."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    cleaned = _clean(text)
    if not cleaned:
        raise DateParseError(text)
    try:
        if _has_cjk(cleaned):
            result = _parse_chinese(cleaned, local_now) or _with_dateparser(
                cleaned, cleaned, None, local_now, ["zh", "en"]
            )
        else:
            languages = ["zh", "en"] if language.lower().startswith("zh") else ["en", "zh"]
            result = _parse_english(cleaned, local_now, languages)
        when = None if result is None else _to_utc(result, zone, default_time)
    except (ValueError, OverflowError) as error:
        # Impossible dates (2月30日, hour 25) and offsets beyond year 9999.
        raise DateParseError(text) from error
    if when is None:
        raise DateParseError(text)
    if when <= now:
        raise PastDateError(when)
    return when


def _babel_locale(language: str) -> str:
    return "zh_Hans_CN" if language.lower().startswith("zh") else "en"


def describe_relative(when: datetime, now: datetime, language: str) -> str:
    """'5 minutes ago', 'in 2 hours', 'tomorrow', '刚刚', '3天前'... for a moment near now."""
    delta = when - now
    chinese = language.lower().startswith("zh")
    if abs(delta) < timedelta(minutes=1):
        return "刚刚" if chinese else "just now"
    # Babel rounds to the largest unit reaching 0.85 of itself, so 'about one day' spans
    # 0.85 to 1.5 days; that span reads better as yesterday/tomorrow.
    if 0.85 * _DAY <= abs(delta) < 1.5 * _DAY:
        if chinese:
            return "明天" if delta > timedelta(0) else "昨天"
        return "tomorrow" if delta > timedelta(0) else "yesterday"
    return format_timedelta(delta, add_direction=True, locale=_babel_locale(language))


def format_local(when: datetime, timezone: str) -> str:
    """'YYYY-MM-DD HH:MM' of a moment in a time zone (a naive moment is taken as UTC)."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
