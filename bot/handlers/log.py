"""/log <customer> <text>, and the card's Log button: kind, text, amount, next follow-up."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import CRMContext
from bot.domain.models import InteractionKind, Sentiment
from bot.domain.money import InvalidAmount, parse_amount
from bot.handlers.common import button_data, message_text, persistent_conversation, reply, show
from bot.handlers.customers import id_from, resolve_customer, visible_customer
from bot.handlers.flows import quick_when, split_customer, typed_when
from bot.services.errors import NotFound
from bot.views import actions
from bot.views import customers as views

NAME = "log"
KIND, TEXT, SENTIMENT, AMOUNT, FOLLOWUP = range(5)
DRAFT = "log_draft"
PENDING = "log_pending"


def _draft(context: CRMContext) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    draft: dict[str, Any] = data.setdefault(DRAFT, {})
    return draft


async def log_command(update: Update, context: CRMContext) -> None:
    """/log <customer> <text>: a note in one message."""
    text = " ".join(context.args or []).strip()
    target, note = await split_customer(context, text) if text else ("", "")
    if not note:
        await reply(update, actions.usage_log(context._))
        return
    if isinstance(target, str):
        customer = await resolve_customer(update, context, target, "lp")
        if customer is None:
            context.user_data[PENDING] = note  # type: ignore[index]
            return
    else:
        customer = target[0]
    await _save_note(update, context, customer.id, note)


async def pending_pick(update: Update, context: CRMContext) -> None:
    """A customer picked from the list of /log's ambiguous query."""
    note = (context.user_data or {}).pop(PENDING, None)
    if note is None:
        await show(update, actions.usage_log(context._))
        return
    await _save_note(update, context, id_from(button_data(update)), str(note))


async def _save_note(update: Update, context: CRMContext, customer_id: int, note: str) -> None:
    try:
        await context.crm.customers.log(
            actor=context.me, customer_id=customer_id, kind=InteractionKind.NOTE, text=note
        )
        customer = await context.crm.customers.get(actor=context.me, customer_id=customer_id)
    except NotFound:
        await show(update, views.not_found(context._))
        return
    await show(update, actions.logged(customer, context._),
               views.card_keyboard(customer_id, context._))


async def start(update: Update, context: CRMContext) -> int:
    """Log button: ask the kind of interaction."""
    customer_id = id_from(button_data(update))
    customer = await visible_customer(update, context, customer_id)
    if customer is None:
        return ConversationHandler.END
    context.user_data[DRAFT] = {"customer_id": customer_id}  # type: ignore[index]
    await show(update, *actions.log_kind(customer, context._))
    return KIND


async def kind(update: Update, context: CRMContext) -> int:
    """The kind was chosen: ask the text."""
    chosen = InteractionKind(button_data(update).split(":")[1])
    _draft(context)["kind"] = chosen.value
    await show(update, actions.log_text(chosen, context._))
    return TEXT


async def text(update: Update, context: CRMContext) -> int:
    """The text: feedback asks the sentiment next, everything else the amount."""
    draft = _draft(context)
    draft["text"] = message_text(update)
    if draft.get("kind") == InteractionKind.FEEDBACK.value:
        await reply(update, *actions.log_sentiment(context._))
        return SENTIMENT
    await reply(update, *actions.log_amount(context.settings.default_currency, context._))
    return AMOUNT


async def sentiment(update: Update, context: CRMContext) -> int:
    """Feedback's sentiment: then the amount."""
    _draft(context)["sentiment"] = Sentiment(button_data(update).split(":")[1]).value
    await show(update, *actions.log_amount(context.settings.default_currency, context._))
    return AMOUNT


async def amount(update: Update, context: CRMContext) -> int:
    """A typed amount (or Skip): then the optional next follow-up."""
    if update.message is not None:
        typed = message_text(update)
        try:
            minor, currency = parse_amount(typed, context.settings.default_currency)
        except InvalidAmount:
            await reply(update, *_with_skip(actions.bad_amount(typed, context._), context))
            return AMOUNT
        _draft(context).update(amount_minor=minor, currency=currency)
    return await _ask_followup(update, context)


def _with_skip(text: str, context: CRMContext) -> tuple[str, Any]:
    return text, actions.log_amount(context.settings.default_currency, context._)[1]


async def _ask_followup(update: Update, context: CRMContext) -> int:
    customer_id = int(_draft(context)["customer_id"])
    customer = await visible_customer(update, context, customer_id)
    if customer is None:
        return ConversationHandler.END
    prompt = actions.when_prompt(customer, context._, optional=True)
    if update.callback_query is not None:
        await show(update, *prompt)
    else:
        await reply(update, *prompt)
    return FOLLOWUP


async def followup_typed(update: Update, context: CRMContext) -> int:
    """A typed next follow-up: save everything."""
    when = await typed_when(update, context, message_text(update))
    if when is None:
        return FOLLOWUP
    return await _save(update, context, when)


async def followup_button(update: Update, context: CRMContext) -> int:
    """A quick follow-up choice, or Skip: save everything."""
    choice = button_data(update)
    when = None
    if choice.startswith("when:"):
        when = quick_when(choice.split(":")[1], context.me, context.crm.clock.now())
    return await _save(update, context, when)


async def _save(update: Update, context: CRMContext, when: datetime | None) -> int:
    draft = (context.user_data or {}).pop(DRAFT, {})
    customer_id = int(draft["customer_id"])
    try:
        await context.crm.customers.log(
            actor=context.me,
            customer_id=customer_id,
            kind=InteractionKind(draft["kind"]),
            text=draft.get("text", ""),
            amount_minor=draft.get("amount_minor"),
            currency=draft.get("currency"),
            sentiment=Sentiment(draft["sentiment"]) if draft.get("sentiment") else None,
            next_followup_at=when,
        )
        customer = await context.crm.customers.get(actor=context.me, customer_id=customer_id)
    except NotFound:
        await show(update, views.not_found(context._))
        return ConversationHandler.END
    done = actions.logged(customer, context._)
    if customer.next_followup_at is not None and when is not None:
        done += "\n" + actions.followup_set(customer, context.me, context._)
    await show(update, done, views.card_keyboard(customer_id, context._))
    return ConversationHandler.END


async def cancel(update: Update, context: CRMContext) -> int:
    """Leave without logging anything."""
    (context.user_data or {}).pop(DRAFT, None)
    await reply(update, actions.cancelled(context._))
    return ConversationHandler.END


def conversation() -> ConversationHandler[CRMContext]:
    """The Log button's conversation (persistent: it survives restarts mid-way)."""
    typed_text = filters.TEXT & ~filters.COMMAND
    return persistent_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(start, pattern=r"^lg:\d+$")],
        states={
            KIND: [CallbackQueryHandler(kind, pattern=r"^lk:\w+$")],
            TEXT: [MessageHandler(typed_text, text)],
            SENTIMENT: [CallbackQueryHandler(sentiment, pattern=r"^ls:\w+$")],
            AMOUNT: [
                MessageHandler(typed_text, amount),
                CallbackQueryHandler(amount, pattern=f"^{actions.SKIP}$"),
            ],
            FOLLOWUP: [
                MessageHandler(typed_text, followup_typed),
                CallbackQueryHandler(
                    followup_button, pattern=f"^(when:(tomorrow|3d|week)|{actions.SKIP})$"
                ),
            ],
        },
        cancel=cancel,
    )


HANDLERS = [
    CommandHandler("log", log_command, filters.ChatType.PRIVATE),
    CallbackQueryHandler(pending_pick, pattern=r"^lp:\d+$"),
]
