"""The access gate, run before every handler: members pass, everyone else is refused."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import CRMContext
from bot.handlers.common import is_private
from bot.i18n import resolve_language
from bot.views import help as help_views


def _is_join_attempt(update: Update) -> bool:
    """`/start <code>` in a private chat: the one thing an outsider may send."""
    message = update.message
    if message is None or message.text is None or not is_private(update):
        return False
    parts = message.text.split()
    return len(parts) == 2 and parts[0].split("@")[0] == "/start"


async def gate(update: Update, context: CRMContext) -> None:
    """Identify the member behind the update, or refuse politely and stop processing."""
    user = update.effective_user
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    context.language = resolve_language(user.language_code, context.settings.default_language)
    member = await context.crm.team.identify(
        user_id=user.id,
        full_name=user.full_name,
        username=user.username,
        language_code=user.language_code,
    )
    if member is not None:
        context.member = member
        return
    if _is_join_attempt(update):
        return
    deactivated = await context.crm.team.is_deactivated(user_id=user.id)
    text = help_views.refusal(context._, deactivated=deactivated)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.inline_query is not None:
        await update.inline_query.answer([], cache_time=0, is_personal=True)
    elif is_private(update) and update.effective_message is not None:
        await update.effective_message.reply_text(text)
    # In groups an outsider's message is simply not ours to answer.
    raise ApplicationHandlerStop
