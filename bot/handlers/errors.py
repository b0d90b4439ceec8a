"""The one error handler: log without customer data, tell the user and the admins."""

from __future__ import annotations

import contextlib
import logging
import traceback
from datetime import timedelta

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from bot.context import CRMContext
from bot.i18n import translator
from bot.views import help as help_views

log = logging.getLogger(__name__)

# One admin report per kind of error in this window; a failing loop must not flood them.
REPORT_WINDOW = timedelta(minutes=10)


def describe(error: BaseException) -> str:
    """The exception type and where it happened, with no message (messages carry user data)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} in {f.name}" for f in frames[-4:]]
    return f"{type(error).__module__}.{type(error).__qualname__} at " + " <- ".join(
        reversed(where)
    )


async def on_error(update: object, context: CRMContext) -> None:
    """Log an error (never the update's content) and report it to the admins' chats."""
    error = context.error
    if error is None:
        return
    if isinstance(error, NetworkError) and not isinstance(error, Forbidden):
        # Telegram was unreachable for a moment; PTB retries polling by itself.
        log.warning("network problem talking to Telegram: %s", type(error).__name__)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    summary = describe(error)
    log.error("error while handling update %s: %s", update_id, summary)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await update.effective_chat.send_message(help_views.internal_error(context._))
        except TelegramError:
            log.warning("could not tell the user about an error")
    await _report(context, summary)


async def _report(context: CRMContext, summary: str) -> None:
    reported = context.bot_data.error_reports
    now = context.bot_data.clock.now()
    last = reported.get(summary)
    if last is not None and now - last < REPORT_WINDOW:
        return
    reported[summary] = now
    try:
        admins = await context.crm.team.admin_chat_ids()
    except Exception:  # noqa: BLE001 - the database itself may be what failed
        admins = list(context.settings.admin_ids)
    for admin_id in admins:
        member = None
        with contextlib.suppress(Exception):  # reporting must not fail on the database
            member = await context.crm.team.get(user_id=admin_id)
        _ = translator(member.language if member else context.settings.default_language)
        try:
            await context.bot.send_message(
                admin_id, _("⚠️ telecrm error: {summary}", summary=summary), parse_mode=None
            )
        except TelegramError:
            log.warning("could not report an error to an admin")
