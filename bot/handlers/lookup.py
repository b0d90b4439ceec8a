"""/find, the customer card and its history, /mine, /today, inline mode."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update

from bot.context import CRMContext
from bot.handlers.common import button_data, reply, show
from bot.handlers.customers import id_from, show_card
from bot.services.errors import NotFound
from bot.views import customers as views
from bot.views import reminders

LAST_QUERY = "find_query"
TODAY_LIMIT = 10
INLINE_LIMIT = 20


async def find(update: Update, context: CRMContext) -> None:
    """/find <query>: one hit opens the card, several are listed, none suggests /new."""
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, views.usage_find(context._))
        return
    found = await context.crm.customers.find(actor=context.me, query=query)
    if not found:
        await reply(update, views.no_match(query, context._))
    elif len(found) == 1:
        await show_card(update, context, found[0].id)
    else:
        # Paging buttons carry only the page: the query may be longer than callback data allows.
        context.user_data[LAST_QUERY] = query  # type: ignore[index]
        await reply(update, *views.results(found, query, 0, context._))


async def find_page(update: Update, context: CRMContext) -> None:
    """Prev/Next under a result list."""
    page = id_from(button_data(update))
    query = (context.user_data or {}).get(LAST_QUERY)
    if not query:
        await show(update, views.usage_find(context._))
        return
    found = await context.crm.customers.find(actor=context.me, query=query)
    await show(update, *views.results(found, query, page, context._))


async def open_card(update: Update, context: CRMContext) -> None:
    """A customer button: `c:` sends the card anew (lists stay), `cc:` turns the message back
    into the card (from its history or status keyboard)."""
    data = button_data(update)
    query = update.callback_query
    assert query is not None
    in_place = data.startswith("cc:")
    if not in_place:
        await query.answer()
    await show_card(update, context, id_from(data), edit=in_place)


async def history(update: Update, context: CRMContext) -> None:
    """History button: a page of interactions and status changes."""
    parts = button_data(update).split(":")
    customer_id, page = int(parts[1]), int(parts[2])
    try:
        customer = await context.crm.customers.get(actor=context.me, customer_id=customer_id)
        data = await context.crm.customers.history(
            actor=context.me, customer_id=customer_id, page=page
        )
    except NotFound:
        await show(update, views.not_found(context._))
        return
    await show(update, *views.history(data, customer, context.me, context.crm.clock.now(),
                                      context._))


async def mine(update: Update, context: CRMContext) -> None:
    """/mine: my customers grouped by status."""
    data = await context.crm.customers.overview(actor=context.me)
    await reply(update, views.overview(data, context._))


async def today(update: Update, context: CRMContext) -> None:
    """/today: my follow-ups due today and overdue."""
    due = await context.crm.customers.due_today(actor=context.me)
    now = context.crm.clock.now()
    await reply(update, views.today(due, context.me, now, context._))
    # One message per follow-up, each with the reminder's Done / Snooze buttons.
    for customer in due[:TODAY_LIMIT]:
        await reply(update, *reminders.today_item(customer, context.me, now, context._))


async def inline(update: Update, context: CRMContext) -> None:
    """Inline mode: matching customers the member may see, each shared as a short card."""
    inline_query = update.inline_query
    assert inline_query is not None
    text = inline_query.query.strip()
    found = (
        await context.crm.customers.find(actor=context.me, query=text) if text else []
    )
    results = [
        InlineQueryResultArticle(
            id=str(c.id),
            title=views.button_label(c),
            description=views.description(c, context._),
            input_message_content=InputTextMessageContent(
                views.short_card(c, context.me, context._)
            ),
        )
        for c in found[:INLINE_LIMIT]
    ]
    # Personal and uncached: results depend on who asks and change as the book changes.
    await inline_query.answer(results, cache_time=0, is_personal=True)
