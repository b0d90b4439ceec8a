"""The card's Edit button: pick a field, send the new value (validated like capture)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import CRMContext
from bot.handlers.common import button_data, message_text, persistent_conversation, reply, show
from bot.handlers.customers import id_from, show_card, visible_customer
from bot.services.customers import EDITABLE_FIELDS
from bot.services.errors import FieldProblems, NotFound
from bot.views import actions
from bot.views import customers as views

NAME = "edit"
FIELD, VALUE = range(2)
TARGET = "edit_target"
CLEAR = "-"


async def start(update: Update, context: CRMContext) -> int:
    """Edit button: which field?"""
    customer_id = id_from(button_data(update))
    customer = await visible_customer(update, context, customer_id)
    if customer is None:
        return ConversationHandler.END
    context.user_data[TARGET] = {"customer_id": customer_id}  # type: ignore[index]
    await show(update, *actions.edit_menu(customer, context._))
    return FIELD


async def field(update: Update, context: CRMContext) -> int:
    """A field was chosen: ask its new value."""
    name = button_data(update).split(":")[1]
    target = (context.user_data or {}).get(TARGET)
    if name not in EDITABLE_FIELDS or target is None:
        return ConversationHandler.END
    target["field"] = name
    await show(update, *actions.edit_prompt(name, context._))
    return VALUE


async def typed(update: Update, context: CRMContext) -> int:
    """A typed value: save it, or say what is wrong and ask again."""
    text = message_text(update).strip()
    return await _save(update, context, "" if text == CLEAR else text)


async def chosen(update: Update, context: CRMContext) -> int:
    """A value button (type, demand) or Cancel."""
    value = button_data(update).split(":", 1)[1]
    if value == "cancel":
        target = (context.user_data or {}).pop(TARGET, None)
        if target:
            await show_card(update, context, int(target["customer_id"]), edit=True)
        return ConversationHandler.END
    return await _save(update, context, value)


async def _save(update: Update, context: CRMContext, value: str) -> int:
    target = (context.user_data or {}).get(TARGET)
    if not target or "field" not in target:
        return ConversationHandler.END
    customer_id, name = int(target["customer_id"]), str(target["field"])
    try:
        customer = await context.crm.customers.edit(
            actor=context.me, customer_id=customer_id, field_name=name, text=value
        )
    except FieldProblems as exc:
        await reply(update, actions.field_problems(exc.problems, context._))
        return VALUE
    except NotFound:
        await show(update, views.not_found(context._))
        return ConversationHandler.END
    (context.user_data or {}).pop(TARGET, None)
    await show(update, actions.edited(customer, name, context._))
    await show_card(update, context, customer_id)
    return ConversationHandler.END


async def cancel(update: Update, context: CRMContext) -> int:
    """Leave without editing."""
    (context.user_data or {}).pop(TARGET, None)
    await reply(update, actions.cancelled(context._))
    return ConversationHandler.END


def conversation() -> ConversationHandler[CRMContext]:
    """The Edit button's conversation (persistent)."""
    return persistent_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(start, pattern=r"^ed:\d+$")],
        states={
            FIELD: [CallbackQueryHandler(field, pattern=r"^ef:\w+$")],
            VALUE: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, typed),
                CallbackQueryHandler(chosen, pattern=r"^ev:"),
            ],
        },
        cancel=cancel,
    )
