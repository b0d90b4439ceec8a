"""The /settings menu and its prompts."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.domain.models import Member
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, Translator
from bot.views.common import esc, keyboard

CB_PREFIX = "set"


def settings_menu(member: Member, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The member's current settings with a button for each."""
    if member.quiet_start and member.quiet_end:
        quiet = f"{member.quiet_start:%H:%M}–{member.quiet_end:%H:%M}"
    else:
        quiet = _("off")
    lines = [
        _("<b>Your settings</b>"),
        _("Language: {value}", value=LANGUAGE_NAMES[member.language]),
        _("Time zone: {value}", value=esc(member.timezone)),
        _("Quiet hours: {value}", value=quiet),
    ]
    rows = [
        [(_("Language"), f"{CB_PREFIX}:lang"), (_("Time zone"), f"{CB_PREFIX}:tz")],
        [(_("Quiet hours"), f"{CB_PREFIX}:quiet")],
    ]
    if member.is_manager_or_admin:
        lines.append(_("Daily digest at: {value}", value=f"{member.digest_time:%H:%M}"))
        rows[1].append((_("Digest time"), f"{CB_PREFIX}:digest"))
    rows.append([(_("Done"), f"{CB_PREFIX}:done")])
    return "\n".join(lines), keyboard(rows)


def language_menu(_: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The language choice."""
    rows = [[(LANGUAGE_NAMES[code], f"{CB_PREFIX}:lang:{code}") for code in LANGUAGES]]
    rows.append([(_("Back"), f"{CB_PREFIX}:back")])
    return _("Choose your language:"), keyboard(rows)


def _back(_: Translator) -> InlineKeyboardMarkup:
    return keyboard([[(_("Back"), f"{CB_PREFIX}:back")]])


def timezone_prompt(member: Member, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Ask for a time zone."""
    return (
        _(
            "Your time zone is {current}. Send a new one: a city (Shanghai, Berlin), an IANA "
            "name (Asia/Shanghai) or an offset (UTC+8).",
            current=esc(member.timezone),
        ),
        _back(_),
    )


def quiet_prompt(_: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Ask for quiet hours."""
    return (
        _("Send your quiet hours as a range in your time zone, e.g. 22:00-08:00, or \"off\". "
          "Reminders due in quiet hours wait until they end."),
        _back(_),
    )


def digest_prompt(_: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Ask for the digest time."""
    return _("Send the time of your daily digest, e.g. 09:00 (your time zone)."), _back(_)


def invalid_timezone(_: Translator) -> str:
    """A time zone we could not recognise."""
    return _("I don't know that time zone. Try a city like Shanghai, a name like "
             "Europe/Berlin, or an offset like UTC+8.")


def invalid_quiet_hours(_: Translator) -> str:
    """Quiet hours we could not read."""
    return _("Please send quiet hours as two times, like 22:00-08:00, or \"off\".")


def invalid_time(_: Translator) -> str:
    """A time of day we could not read."""
    return _("Please send a time like 09:00.")


def closed(_: Translator) -> str:
    """The menu after Done."""
    return _("Settings saved.")
