"""/settings: a persistent conversation to change language, time zone, quiet hours, digest."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import CRMContext
from bot.domain.preferences import find_timezone, parse_quiet_hours, parse_time_of_day
from bot.handlers.common import button_data, message_text, persistent_conversation, reply, show
from bot.i18n import translator
from bot.views import settings as views

NAME = "settings"
MENU, LANGUAGE, TIMEZONE, QUIET, DIGEST = range(5)

_P = views.CB_PREFIX


async def open_menu(update: Update, context: CRMContext) -> int:
    """Show the member's settings with a button for each."""
    await reply(update, *views.settings_menu(context.me, context._))
    return MENU


async def back_to_menu(update: Update, context: CRMContext) -> int:
    """Return to the menu from a sub-page."""
    await show(update, *views.settings_menu(context.me, context._))
    return MENU


async def ask_language(update: Update, context: CRMContext) -> int:
    """Offer the languages."""
    await show(update, *views.language_menu(context._))
    return LANGUAGE


async def set_language(update: Update, context: CRMContext) -> int:
    """Switch language and show the menu in the new one."""
    language = button_data(update).rsplit(":", 1)[1]
    context.member = await context.crm.preferences.set_language(
        member=context.me, language=language
    )
    await show(update, *views.settings_menu(context.me, translator(language)))
    return MENU


async def ask_timezone(update: Update, context: CRMContext) -> int:
    """Ask for a time zone as text."""
    await show(update, *views.timezone_prompt(context.me, context._))
    return TIMEZONE


async def set_timezone(update: Update, context: CRMContext) -> int:
    """Save a typed time zone, or ask again."""
    zone = find_timezone(message_text(update))
    if zone is None:
        await reply(update, views.invalid_timezone(context._))
        return TIMEZONE
    context.member = await context.crm.preferences.set_timezone(member=context.me, timezone=zone)
    await reply(update, *views.settings_menu(context.me, context._))
    return MENU


async def ask_quiet(update: Update, context: CRMContext) -> int:
    """Ask for quiet hours as text."""
    await show(update, *views.quiet_prompt(context._))
    return QUIET


async def set_quiet(update: Update, context: CRMContext) -> int:
    """Save typed quiet hours (or 'off'), or ask again."""
    parsed = parse_quiet_hours(message_text(update))
    if parsed is False:
        await reply(update, views.invalid_quiet_hours(context._))
        return QUIET
    start, end = parsed if isinstance(parsed, tuple) else (None, None)
    context.member = await context.crm.preferences.set_quiet_hours(
        member=context.me, start=start, end=end
    )
    await reply(update, *views.settings_menu(context.me, context._))
    return MENU


async def ask_digest(update: Update, context: CRMContext) -> int:
    """Ask for the digest time as text."""
    await show(update, *views.digest_prompt(context._))
    return DIGEST


async def set_digest(update: Update, context: CRMContext) -> int:
    """Save a typed digest time, or ask again."""
    at = parse_time_of_day(message_text(update))
    if at is None:
        await reply(update, views.invalid_time(context._))
        return DIGEST
    context.member = await context.crm.preferences.set_digest_time(member=context.me, at=at)
    await reply(update, *views.settings_menu(context.me, context._))
    return MENU


async def done(update: Update, context: CRMContext) -> int:
    """Close the menu."""
    await show(update, views.closed(context._))
    return ConversationHandler.END


async def cancel(update: Update, context: CRMContext) -> int:
    """Leave the settings conversation."""
    await reply(update, views.closed(context._))
    return ConversationHandler.END


def conversation() -> ConversationHandler[CRMContext]:
    """The /settings conversation (named and persistent: it survives restarts)."""
    text = filters.TEXT & ~filters.COMMAND
    back: BaseHandler[Update, CRMContext, object] = CallbackQueryHandler(
        back_to_menu, pattern=f"^{_P}:back$"
    )
    return persistent_conversation(
        NAME,
        entry_points=[CommandHandler("settings", open_menu, filters.ChatType.PRIVATE)],
        states={
            MENU: [
                CallbackQueryHandler(ask_language, pattern=f"^{_P}:lang$"),
                CallbackQueryHandler(ask_timezone, pattern=f"^{_P}:tz$"),
                CallbackQueryHandler(ask_quiet, pattern=f"^{_P}:quiet$"),
                CallbackQueryHandler(ask_digest, pattern=f"^{_P}:digest$"),
                CallbackQueryHandler(done, pattern=f"^{_P}:done$"),
                back,
            ],
            LANGUAGE: [
                CallbackQueryHandler(set_language, pattern=f"^{_P}:lang:(en|zh)$"),
                back,
            ],
            TIMEZONE: [MessageHandler(text, set_timezone), back],
            QUIET: [MessageHandler(text, set_quiet), back],
            DIGEST: [MessageHandler(text, set_digest), back],
        },
        cancel=cancel,
    )
