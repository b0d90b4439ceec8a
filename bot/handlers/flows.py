"""Helpers shared by the conversations: entry guards, quick time choices, split arguments."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Update

from bot.context import CRMContext
from bot.domain.dates import DateParseError, PastDateError, parse_when
from bot.domain.models import Customer, Member
from bot.handlers.common import reply
from bot.views import actions

_ID_PREFIX = re.compile(r"^\s*#(\d+)\s*(.*)$", re.DOTALL)
# 'name: rest' — but not the colon of a time like 15:00.
_EXPLICIT_SPLIT = re.compile(r"^(.+?)\s*(?:(?<!\d)[:：]|[:：](?!\d))\s*(.+)$", re.DOTALL)


def quick_when(choice: str, member: Member, now: datetime) -> datetime:
    """The preset follow-up times offered on buttons."""
    text = {"tomorrow": "tomorrow", "3d": "in 3 days", "week": "next week"}[choice]
    return parse_when(text, now=now, timezone=member.timezone, language="en")


def read_when(text: str, member: Member, now: datetime) -> datetime:
    """A typed follow-up time in the member's zone (DateParseError / PastDateError)."""
    return parse_when(text, now=now, timezone=member.timezone, language=member.language)


async def split_customer(
    context: CRMContext,
    text: str,
    rest_ok: Callable[[str], Awaitable[bool]] | None = None,
) -> tuple[str, str] | tuple[list[Customer], str]:
    """Split 'CUSTOMER REST': `#id rest`, `name: rest`, the longest tail `rest_ok` accepts, or
    the longest head that designates exactly one customer (then already resolved)."""
    match = _ID_PREFIX.match(text)
    if match:
        return f"#{match.group(1)}", match.group(2).strip()
    match = _EXPLICIT_SPLIT.match(text)
    if match:
        return match.group(1).strip(), match.group(2).strip()
    words = text.split()
    if rest_ok is not None:
        # The longest tail that reads well (e.g. as a time) is the rest; the head the query.
        for cut in range(1, len(words)):
            rest = " ".join(words[cut:])
            if await rest_ok(rest):
                return " ".join(words[:cut]), rest
        return words[0], " ".join(words[1:])
    for cut in range(len(words) - 1, 0, -1):
        query, rest = " ".join(words[:cut]), " ".join(words[cut:])
        found = await context.crm.customers.resolve(actor=context.me, query=query)
        if len(found) == 1:
            return found, rest
    return words[0], " ".join(words[1:])


def when_checker(member: Member, now: datetime) -> Callable[[str], Awaitable[bool]]:
    """An async predicate: does this text read as a future time?"""

    async def ok(text: str) -> bool:
        try:
            read_when(text, member, now)
        except (DateParseError, PastDateError):
            return False
        return True

    return ok



async def typed_when(update: Update, context: CRMContext, text: str) -> datetime | None:
    """The time a member typed, or None after telling them what is wrong with it."""
    try:
        return read_when(text, context.me, context.crm.clock.now())
    except PastDateError as exc:
        await reply(update, actions.past_when(exc.when, context.me, context._))
    except DateParseError:
        await reply(update, actions.bad_when(text, context._))
    return None
