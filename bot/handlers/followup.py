"""/followup <customer> <when>, and the card's Follow-up button."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import CRMContext
from bot.handlers.common import button_data, message_text, persistent_conversation, reply, show
from bot.handlers.customers import id_from, resolve_customer, visible_customer
from bot.handlers.flows import quick_when, split_customer, typed_when, when_checker
from bot.services.errors import NotFound
from bot.views import actions, reminders
from bot.views import customers as views

NAME = "followup"
WHEN = 0
TARGET = "followup_customer"
PENDING = "followup_pending"


async def followup_command(update: Update, context: CRMContext) -> None:
    """/followup <customer> <when>: set the next follow-up in one message."""
    text = " ".join(context.args or []).strip()
    if not text:
        await reply(update, actions.usage_followup(context._))
        return
    now = context.crm.clock.now()
    target, when_text = await split_customer(context, text, when_checker(context.me, now))
    if not when_text:
        await reply(update, actions.usage_followup(context._))
        return
    when = await typed_when(update, context, when_text)
    if when is None:
        return
    if isinstance(target, str):
        customer = await resolve_customer(update, context, target, "fw")
        if customer is None:
            # Remember the time for the "which one?" buttons.
            context.user_data[PENDING] = when.isoformat()  # type: ignore[index]
            return
    else:
        customer = target[0]
    await _apply(update, context, customer.id, when)


async def pending_pick(update: Update, context: CRMContext) -> None:
    """A customer picked from the list of /followup's ambiguous query."""
    stored = (context.user_data or {}).pop(PENDING, None)
    if stored is None:
        await show(update, actions.usage_followup(context._))
        return
    await _apply(update, context, id_from(button_data(update)), datetime.fromisoformat(stored))


async def _apply(update: Update, context: CRMContext, customer_id: int, when: datetime | None
                 ) -> bool:
    try:
        customer = await context.crm.customers.set_followup(
            actor=context.me, customer_id=customer_id, when=when
        )
    except NotFound:
        await show(update, views.not_found(context._))
        return False
    await show(update, actions.followup_set(customer, context.me, context._),
               views.card_keyboard(customer.id, context._))
    return True


async def ask(update: Update, context: CRMContext) -> int:
    """Follow-up button of a card: ask when, with quick choices."""
    customer_id = id_from(button_data(update))
    customer = await visible_customer(update, context, customer_id)
    if customer is None:
        return ConversationHandler.END
    context.user_data[TARGET] = customer_id  # type: ignore[index]
    await show(update, *actions.when_prompt(customer, context._, optional=False))
    return WHEN


async def typed(update: Update, context: CRMContext) -> int:
    """A typed time: set it, or explain and ask again."""
    when = await typed_when(update, context, message_text(update))
    if when is None:
        return WHEN
    return await _finish(update, context, when)


async def quick(update: Update, context: CRMContext) -> int:
    """A quick choice (tomorrow, in 3 days, next week) or Clear."""
    choice = button_data(update).split(":")[1]
    when = None if choice == "clear" else quick_when(choice, context.me, context.crm.clock.now())
    return await _finish(update, context, when)


async def _finish(update: Update, context: CRMContext, when: datetime | None) -> int:
    customer_id = (context.user_data or {}).pop(TARGET, None)
    if customer_id is not None:
        await _apply(update, context, int(customer_id), when)
    return ConversationHandler.END


async def done(update: Update, context: CRMContext) -> int:
    """Done on a reminder: log that it happened, then ask for the next one (optional)."""
    customer_id = id_from(button_data(update), 2)
    try:
        customer = await context.crm.customers.complete_followup(
            actor=context.me, customer_id=customer_id, note=reminders.done_note(context._)
        )
    except NotFound:
        await show(update, views.not_found(context._))
        return ConversationHandler.END
    await show(update, reminders.followup_done(customer, context._))
    context.user_data[TARGET] = customer_id  # type: ignore[index]
    await reply(update, *reminders.next_prompt(customer, context._))
    return WHEN


async def skip_next(update: Update, context: CRMContext) -> int:
    """Skip after Done: no next follow-up."""
    (context.user_data or {}).pop(TARGET, None)
    await show(update, reminders.no_next(context._))
    return ConversationHandler.END


SNOOZES = {"1h": None, "tom": "tomorrow", "week": "week"}


async def snooze(update: Update, context: CRMContext) -> None:
    """Snooze 1h / Tomorrow / Next week on a reminder: move the follow-up, edit the message."""
    _prefix, choice, raw_id = button_data(update).split(":")
    now = context.crm.clock.now()
    preset = SNOOZES[choice]
    when = now + timedelta(hours=1) if preset is None else quick_when(preset, context.me, now)
    try:
        customer = await context.crm.customers.set_followup(
            actor=context.me, customer_id=int(raw_id), when=when
        )
    except NotFound:
        await show(update, views.not_found(context._))
        return
    await show(update, reminders.followup_snoozed(customer, context.me, context._))


async def cancel(update: Update, context: CRMContext) -> int:
    """Leave without changing the follow-up."""
    (context.user_data or {}).pop(TARGET, None)
    await reply(update, actions.cancelled(context._))
    return ConversationHandler.END


def conversation() -> ConversationHandler[CRMContext]:
    """The Follow-up button's conversation (persistent: waits for a typed time)."""
    return persistent_conversation(
        NAME,
        entry_points=[
            CallbackQueryHandler(ask, pattern=r"^fu:\d+$"),
            CallbackQueryHandler(done, pattern=r"^rm:done:\d+$"),
        ],
        states={
            WHEN: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, typed),
                CallbackQueryHandler(quick, pattern=r"^when:(tomorrow|3d|week|clear)$"),
                CallbackQueryHandler(skip_next, pattern=r"^when:skip$"),
            ],
        },
        cancel=cancel,
    )


HANDLERS = [
    CommandHandler("followup", followup_command, filters.ChatType.PRIVATE),
    CallbackQueryHandler(pending_pick, pattern=r"^fw:\d+$"),
    CallbackQueryHandler(snooze, pattern=r"^rm:(1h|tom|week):\d+$"),
]
