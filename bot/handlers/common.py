"""Helpers shared by handlers, and the handlers that belong to no feature."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.context import CRMContext
from bot.views import help as help_views


async def reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer in the chat the update came from (HTML, per the application defaults)."""
    message = update.effective_message
    if message is None:
        chat = update.effective_chat
        if chat is None:
            return None
        return await chat.send_message(text, reply_markup=markup)
    return await message.reply_text(text, reply_markup=markup)


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message whose button was pressed, or answer anew when there is none."""
    query = update.callback_query
    if query is not None and query.message is not None:
        await query.answer()
        await query.edit_message_text(text, reply_markup=markup)
    else:
        await reply(update, text, markup)


def button_data(update: Update) -> str:
    """The callback data of the pressed button (handlers are registered for presses only)."""
    query = update.callback_query
    if query is None or query.data is None:
        raise TypeError("expected a button press")
    return query.data


def message_text(update: Update) -> str:
    """The text of the incoming message (handlers are registered for text only)."""
    message = update.message
    if message is None or message.text is None:
        raise TypeError("expected a text message")
    return message.text


def is_private(update: Update) -> bool:
    """Whether the update comes from a one-to-one chat with the bot."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def cancel(update: Update, context: CRMContext) -> int:
    """/cancel outside any conversation: say there is nothing to leave."""
    await reply(update, help_views.nothing_to_cancel(context._))
    return ConversationHandler.END


async def expired_button(update: Update, context: CRMContext) -> None:
    """A button of a conversation that has ended: say so instead of spinning forever."""
    query = update.callback_query
    if query is not None:
        await query.answer(help_views.expired_buttons(context._), show_alert=True)


async def unknown(update: Update, context: CRMContext) -> None:
    """Anything no feature understood, in a private chat: point to /help."""
    if is_private(update):
        await reply(update, help_views.unknown_input(context._))


Handler = BaseHandler[Update, CRMContext, Any]


def persistent_conversation(
    name: str,
    *,
    entry_points: Sequence[Handler],
    states: dict[object, list[Handler]],
    cancel: Callable[[Update, CRMContext], Coroutine[Any, Any, int]],
) -> ConversationHandler[CRMContext]:
    """A named conversation that survives restarts, left with /cancel, re-entered at will."""
    with warnings.catch_warnings():
        # PTB warns that button presses are tracked per chat and user, not per message; that
        # is what we want: one conversation of each kind per member.
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        return ConversationHandler(
            name=name,
            persistent=True,
            allow_reentry=True,
            entry_points=list(entry_points),
            states=states,
            fallbacks=[CommandHandler("cancel", cancel)],
        )
