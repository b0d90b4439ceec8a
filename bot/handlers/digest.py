"""/digest for managers, and the digest's Nudge buttons."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.context import CRMContext
from bot.handlers.common import button_data, is_private, reply
from bot.services.digest import Period
from bot.services.errors import NotFound
from bot.views import customers as customer_views
from bot.views import digest as views
from bot.views.charts import fits_caption

_WEEK_WORDS = frozenset({"week", "weekly", "7", "周", "本周", "一周", "每周"})


async def digest(update: Update, context: CRMContext) -> None:
    """/digest [week]: the digest of the last 24 hours (or 7 days), now."""
    _ = context._
    if not context.me.is_manager_or_admin:
        await reply(update, views.managers_only(_))
        return
    if not is_private(update):
        await reply(update, views.private_only(_))
        return
    args = context.args or []
    weekly = bool(args) and args[0].lower() in _WEEK_WORDS
    report = await context.crm.digest.report(
        actor=context.me, period=Period.WEEKLY if weekly else Period.DAILY
    )
    # The chart is CPU work: off the event loop, so other chats are not kept waiting.
    built = await asyncio.to_thread(views.digest_message, report, context.me, _)
    message = update.effective_message
    if built.photo is None or message is None:
        await reply(update, built.text, built.markup)
    elif fits_caption(built.text):
        await message.reply_photo(built.photo, caption=built.text, reply_markup=built.markup)
    else:
        await message.reply_photo(built.photo)
        await reply(update, built.text, built.markup)


async def nudge_button(update: Update, context: CRMContext) -> None:
    """👋 Nudge: ask the customer's owner to follow up (a message to them, once a day)."""
    query = update.callback_query
    assert query is not None
    _ = context._
    if not context.me.is_manager_or_admin:
        await query.answer(views.managers_only(_), show_alert=True)
        return
    customer_id = int(button_data(update).rsplit(":", 1)[1])
    try:
        nudge = await context.crm.digest.nudge(actor=context.me, customer_id=customer_id)
    except NotFound:
        await query.answer(customer_views.not_found(_), show_alert=True)
        return
    owner = nudge.owner
    if nudge.queued and owner is not None:
        text = views.nudge_sent(nudge.customer, owner, _)
    elif owner is None or not owner.active or owner.id == context.me.id:
        text = views.nudge_nobody(nudge.customer, _)
    else:
        text = views.nudge_already(nudge.customer, owner, _)
    await query.answer(text)
