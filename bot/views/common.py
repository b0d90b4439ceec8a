"""Shared rendering helpers: escaping and keyboards."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.models import Role
from bot.i18n import N_, Translator

ROLE_LABELS = {
    Role.ADMIN: N_("admin"),
    Role.MANAGER: N_("manager"),
    Role.REP: N_("sales rep"),
}


def esc(text: object) -> str:
    """User-supplied text made safe for an HTML message."""
    return html.escape(str(text), quote=False)


def role_label(role: Role, _: Translator) -> str:
    """The translated name of a role."""
    return _(ROLE_LABELS[role])


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def local_datetime(when: datetime, timezone: str) -> str:
    """An instant as 'YYYY-MM-DD HH:MM' in a member's time zone."""
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
