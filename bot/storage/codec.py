"""Conversions between Python values and the text SQLite stores."""

from __future__ import annotations

from datetime import UTC, datetime, time

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def ts(value: datetime) -> str:
    """An aware datetime as sortable UTC text."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; attach a time zone")
    utc = value.astimezone(UTC)
    # %Y does not zero-pad years before 1000 on every platform; the text must always sort.
    return f"{utc.year:04d}-" + utc.strftime(_FORMAT[3:])


def ts_or_none(value: datetime | None) -> str | None:
    """Like `ts`, passing None through."""
    return None if value is None else ts(value)


def parse_ts(text: str) -> datetime:
    """Stored UTC text back to an aware datetime."""
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


def parse_ts_or_none(text: str | None) -> datetime | None:
    """Like `parse_ts`, passing None through."""
    return None if text is None else parse_ts(text)


def hhmm(value: time | None) -> str | None:
    """A wall-clock time as 'HH:MM'."""
    return None if value is None else value.strftime("%H:%M")


def parse_hhmm(text: str | None) -> time | None:
    """'HH:MM' back to a time."""
    return None if text is None else time.fromisoformat(text)
