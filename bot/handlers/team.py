"""/invite and /team: admins bring people in and manage roles."""

from __future__ import annotations

from telegram import Update

from bot.context import CRMContext
from bot.domain.models import Role
from bot.handlers.common import button_data, reply, show
from bot.services.errors import PermissionDenied
from bot.views import team as views
from bot.views.common import local_datetime

_ROLE_WORDS = {
    "rep": Role.REP,
    "sales": Role.REP,
    "销售": Role.REP,
    "manager": Role.MANAGER,
    "经理": Role.MANAGER,
}


async def invite(update: Update, context: CRMContext) -> None:
    """/invite rep|manager: a one-time deep link to join with that role."""
    if not context.me.is_admin:
        await reply(update, views.admins_only(context._))
        return
    role = _ROLE_WORDS.get(context.args[0].lower()) if context.args else None
    if role is None:
        await reply(update, *views.invite_usage(context._))
        return
    await _create(update, context, role)


async def invite_button(update: Update, context: CRMContext) -> None:
    """The role buttons under /invite's usage message."""
    query = update.callback_query
    role = Role(button_data(update).split(":")[1])
    assert query is not None
    if not context.me.is_admin:
        await query.answer(views.admins_only(context._), show_alert=True)
        return
    await query.answer()
    await _create(update, context, role)


async def _create(update: Update, context: CRMContext, role: Role) -> None:
    try:
        created = await context.crm.team.create_invite(actor=context.me, role=role)
    except PermissionDenied:
        await reply(update, views.admins_only(context._))
        return
    expires = local_datetime(created.expires_at, context.me.timezone)
    text = views.invite_created(created, context.bot.username, expires, context._)
    await reply(update, text)


async def team(update: Update, context: CRMContext) -> None:
    """/team: the members, each with a button to manage them."""
    if not context.me.is_admin:
        await reply(update, views.admins_only(context._))
        return
    await reply(update, *views.team_list(await context.crm.team.members(), context._))


async def team_button(update: Update, context: CRMContext) -> None:
    """Buttons of /team: open a member, change a role, (de)activate, back to the list."""
    query = update.callback_query
    parts = button_data(update).split(":")
    assert query is not None
    if not context.me.is_admin:
        await query.answer(views.admins_only(context._), show_alert=True)
        return
    try:
        if parts[1] == "r":
            member = await context.crm.team.set_role(
                actor=context.me, user_id=int(parts[2]), role=Role(parts[3])
            )
        elif parts[1] == "a":
            member = await context.crm.team.set_active(
                actor=context.me, user_id=int(parts[2]), active=parts[3] == "1"
            )
        elif parts[1] == "m":
            found = await context.crm.team.get(user_id=int(parts[2]))
            if found is None:
                await query.answer()
                return
            member = found
        else:
            await show(update, *views.team_list(await context.crm.team.members(), context._))
            return
    except PermissionDenied:
        await query.answer(views.admins_only(context._), show_alert=True)
        return
    await show(update, *views.member_page(member, context.me, context._))
