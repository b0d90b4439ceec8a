"""Team group chats: /bindgroup, /unbindgroup and the group's own /settings."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.context import CRMContext
from bot.handlers.common import button_data, reply, show
from bot.services.groups import may_manage_groups
from bot.views import groups as views


def _group_chat(update: Update) -> tuple[int, str | None] | None:
    """(id, title) of the group the update comes from; None outside groups."""
    chat = update.effective_chat
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return None
    return chat.id, chat.title


async def bindgroup(update: Update, context: CRMContext) -> None:
    """/bindgroup in a group (admins and managers): send team alerts here."""
    group = _group_chat(update)
    if group is None:
        await reply(update, views.groups_only("bindgroup", context._))
        return
    if not may_manage_groups(context.me):
        await reply(update, views.managers_only(context._))
        return
    chat_id, title = group
    _bound, created = await context.crm.groups.bind(actor=context.me, chat_id=chat_id,
                                                    title=title)
    if created:
        await reply(update, views.bound(context.settings.group_overdue_threshold, context._))
    else:
        await reply(update, views.already_bound(context._))


async def unbindgroup(update: Update, context: CRMContext) -> None:
    """/unbindgroup in a bound group (admins and managers): stop the alerts."""
    group = _group_chat(update)
    if group is None:
        await reply(update, views.groups_only("unbindgroup", context._))
        return
    if not may_manage_groups(context.me):
        await reply(update, views.managers_only(context._))
        return
    if await context.crm.groups.unbind(actor=context.me, chat_id=group[0]):
        await reply(update, views.unbound(context._))
    else:
        await reply(update, views.not_bound(context._))


async def group_settings(update: Update, context: CRMContext) -> None:
    """/settings in a group: what the team alerts there show (the private /settings is the
    member's own conversation)."""
    group = _group_chat(update)
    if group is None:
        return
    if not may_manage_groups(context.me):
        await reply(update, views.managers_only(context._))
        return
    bound = await context.crm.groups.get(chat_id=group[0])
    if bound is None:
        await reply(update, views.not_bound(context._))
        return
    threshold = context.settings.group_overdue_threshold
    await reply(update, *views.settings_menu(bound, threshold, context._))


async def group_settings_button(update: Update, context: CRMContext) -> None:
    """Show / Hide deal values."""
    query = update.callback_query
    group = _group_chat(update)
    assert query is not None
    if group is None:
        await query.answer()
        return
    if not may_manage_groups(context.me):
        await query.answer(views.managers_only(context._), show_alert=True)
        return
    show_values = button_data(update).endswith(":1")
    bound = await context.crm.groups.set_show_values(
        actor=context.me, chat_id=group[0], show=show_values
    )
    if bound is None:
        await query.answer(views.not_bound(context._), show_alert=True)
        return
    threshold = context.settings.group_overdue_threshold
    await show(update, *views.settings_menu(bound, threshold, context._))
