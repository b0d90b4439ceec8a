"""Shared pieces of the customer handlers: picking a customer, showing the card."""

from __future__ import annotations

from telegram import Update

from bot.context import CRMContext
from bot.domain.models import Customer
from bot.handlers.common import reply, show
from bot.services.errors import NotFound
from bot.views import customers as views


async def resolve_customer(
    update: Update, context: CRMContext, query: str, action: str
) -> Customer | None:
    """The one customer `query` designates; otherwise answer (none, or which one?) and None."""
    found = await context.crm.customers.resolve(actor=context.me, query=query)
    if not found:
        await reply(update, views.no_match(query, context._))
        return None
    if len(found) > 1:
        await reply(update, *views.pick(found, action, context._))
        return None
    return found[0]


async def show_card(update: Update, context: CRMContext, customer_id: int, *,
                    edit: bool = False) -> None:
    """Send (or, from a button, edit into) the customer's card."""
    try:
        data = await context.crm.customers.card(actor=context.me, customer_id=customer_id)
    except NotFound:
        await reply(update, views.not_found(context._))
        return
    text, markup = views.card(data, context.me, context.crm.clock.now(), context._)
    if edit:
        await show(update, text, markup)
    else:
        await reply(update, text, markup)


def id_from(data: str, position: int = 1) -> int:
    """The customer id at `position` of colon-separated callback data."""
    return int(data.split(":")[position])


async def visible_customer(update: Update, context: CRMContext, customer_id: int
                           ) -> Customer | None:
    """The customer if the member may see it; otherwise say it cannot be found."""
    try:
        return await context.crm.customers.get(actor=context.me, customer_id=customer_id)
    except NotFound:
        await show(update, views.not_found(context._))
        return None
