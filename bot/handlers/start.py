"""/start (greeting, or joining with an invite code) and /help."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import CRMContext
from bot.handlers.common import reply
from bot.i18n import translator
from bot.services.errors import AlreadyMember, InviteRefused
from bot.views import help as help_views
from bot.views import team as team_views

log = logging.getLogger(__name__)


async def start(update: Update, context: CRMContext) -> None:
    """Greet a member, or let someone join with the code from an invite link."""
    if context.args:
        await _join(update, context, context.args[0])
        return
    await reply(update, help_views.greeting(context.me, context._))


async def _join(update: Update, context: CRMContext, code: str) -> None:
    user = update.effective_user
    assert user is not None  # the gate stops updates without a user
    try:
        member, invite = await context.crm.team.join(
            user_id=user.id,
            full_name=user.full_name,
            username=user.username,
            language_code=user.language_code,
            code=code,
        )
    except AlreadyMember as exc:
        await reply(update, team_views.already_member(exc.member, context._))
        return
    except InviteRefused as exc:
        await reply(update, team_views.invite_refused(exc.reason, context._))
        return
    context.member = member
    await reply(update, help_views.welcome(member, context._))
    inviter = await context.crm.team.get(user_id=invite.created_by)
    if inviter is not None and inviter.active:
        try:
            await context.bot.send_message(
                inviter.id, team_views.member_joined(member, translator(inviter.language))
            )
        except TelegramError as exc:
            # The join itself succeeded; a missed courtesy note is not worth failing it.
            log.warning("could not tell the inviter about a join: %s", type(exc).__name__)


async def help_command(update: Update, context: CRMContext) -> None:
    """List what the member's role can do."""
    await reply(update, help_views.help_text(context.me, context._))
