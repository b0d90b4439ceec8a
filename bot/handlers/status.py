"""/status: the status keyboard; churned asks for the reason."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import CRMContext
from bot.domain.models import ChurnReason, CustomerStatus
from bot.handlers.common import button_data, message_text, persistent_conversation, reply, show
from bot.handlers.customers import id_from, resolve_customer
from bot.services.errors import NotFound
from bot.views import actions
from bot.views import customers as views

NAME = "churn_reason"
REASON_TEXT = 0
PENDING = "churn_other"


async def status_command(update: Update, context: CRMContext) -> None:
    """/status <customer>: the status keyboard, current status marked."""
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, actions.usage_status(context._))
        return
    customer = await resolve_customer(update, context, query, "st")
    if customer is not None:
        await reply(update, *views.status_keyboard(customer, context._))


async def status_menu(update: Update, context: CRMContext) -> None:
    """Status button of a card (or a pick from a list): the keyboard, in place."""
    try:
        customer = await context.crm.customers.get(
            actor=context.me, customer_id=id_from(button_data(update))
        )
    except NotFound:
        await show(update, views.not_found(context._))
        return
    await show(update, *views.status_keyboard(customer, context._))


async def set_status(update: Update, context: CRMContext) -> None:
    """A status pressed: change it (churned first asks why) and confirm in place."""
    _prefix, customer_id, status = button_data(update).split(":")
    target = CustomerStatus(status)
    try:
        customer = await context.crm.customers.get(actor=context.me, customer_id=int(customer_id))
        if target is CustomerStatus.CHURNED and customer.status is not target:
            await show(update, *views.churn_reasons(customer, context._))
            return
        customer = await context.crm.customers.change_status(
            actor=context.me, customer_id=int(customer_id), status=target
        )
    except NotFound:
        await show(update, views.not_found(context._))
        return
    await show(update, views.status_changed(customer, context._),
               views.card_keyboard(customer.id, context._))


async def churn_reason(update: Update, context: CRMContext) -> int:
    """A churn reason pressed: save it, or for Other ask for the text."""
    _prefix, customer_id, reason = button_data(update).split(":")
    if reason == ChurnReason.OTHER:
        context.user_data[PENDING] = int(customer_id)  # type: ignore[index]
        await show(update, actions.reason_text_prompt(context._))
        return REASON_TEXT
    await _churn(update, context, int(customer_id), ChurnReason(reason), None)
    return ConversationHandler.END


async def churn_text(update: Update, context: CRMContext) -> int:
    """The text of an Other churn reason."""
    customer_id = (context.user_data or {}).pop(PENDING, None)
    if customer_id is None:
        return ConversationHandler.END
    await _churn(update, context, int(customer_id), ChurnReason.OTHER, message_text(update))
    return ConversationHandler.END


async def _churn(update: Update, context: CRMContext, customer_id: int, reason: ChurnReason,
                 text: str | None) -> None:
    try:
        customer = await context.crm.customers.change_status(
            actor=context.me, customer_id=customer_id, status=CustomerStatus.CHURNED,
            reason=reason, reason_text=text,
        )
    except NotFound:
        await show(update, views.not_found(context._))
        return
    await show(update, views.status_changed(customer, context._),
               views.card_keyboard(customer.id, context._))


async def cancel(update: Update, context: CRMContext) -> int:
    """Leave without changing the status."""
    (context.user_data or {}).pop(PENDING, None)
    await reply(update, actions.cancelled(context._))
    return ConversationHandler.END


def conversation() -> ConversationHandler[CRMContext]:
    """Churn reasons (a persistent conversation: Other waits for a typed reason)."""
    return persistent_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(churn_reason, pattern=r"^cr:\d+:\w+$")],
        states={REASON_TEXT: [MessageHandler(filters.TEXT & ~filters.COMMAND, churn_text)]},
        cancel=cancel,
    )


HANDLERS = [
    CommandHandler("status", status_command, filters.ChatType.PRIVATE),
    CallbackQueryHandler(status_menu, pattern=r"^st:\d+$"),
    CallbackQueryHandler(set_status, pattern=r"^st:\d+:\w+$"),
]
