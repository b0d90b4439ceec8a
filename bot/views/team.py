"""Invites and the team list."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.models import Invite, Member, Role
from bot.i18n import Translator
from bot.views.common import esc, keyboard, role_label

CB_INVITE = "inv"
CB_TEAM = "team"


def invite_link(bot_username: str, code: str) -> str:
    """The deep link that opens the bot with the code."""
    return f"https://t.me/{bot_username}?start={code}"


def invite_created(invite: Invite, bot_username: str, tz_label: str, _: Translator) -> str:
    """The answer to /invite: link, code, expiry."""
    return _(
        "Invite for a new {role}. Send this link to the person; it works once, until {expires}:"
        "\n{link}\n\nOr they can send me: <code>/start {code}</code>",
        role=role_label(invite.role, _),
        expires=tz_label,
        link=invite_link(bot_username, invite.code),
        code=invite.code,
    )


def invite_usage(_: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """/invite without a valid role: pick one."""
    return (
        _("Whom do you want to invite? (/invite rep or /invite manager)"),
        keyboard(
            [[
                (role_label(Role.REP, _), f"{CB_INVITE}:rep"),
                (role_label(Role.MANAGER, _), f"{CB_INVITE}:manager"),
            ]]
        ),
    )


def invite_refused(reason: str, _: Translator) -> str:
    """Why an invite code did not work."""
    if reason == "used":
        return _("This invite has already been used. Ask an admin for a new one.")
    if reason == "expired":
        return _("This invite has expired. Ask an admin for a new one.")
    return _("This invite code is not valid. Check the link, or ask an admin for a new one.")


def already_member(member: Member, _: Translator) -> str:
    """/start <code> from someone already in the team."""
    return _("You're already in the team as {role}; the invite was not used.",
             role=role_label(member.role, _))


def member_joined(member: Member, _: Translator) -> str:
    """Told to the inviter when their invite is used."""
    return _("{name} joined the team as {role}.", name=esc(member.full_name),
             role=role_label(member.role, _))


def admins_only(_: Translator) -> str:
    """A command only admins may use."""
    return _("Only admins can do that.")


def _member_line(member: Member, _: Translator) -> str:
    handle = f" @{esc(member.username)}" if member.username else ""
    state = "" if member.active else " — " + _("deactivated")
    return f"• {esc(member.full_name)}{handle} — {role_label(member.role, _)}{state}"


def team_list(members: list[Member], _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The members, each with a button to manage them."""
    lines = [_("<b>Team</b> ({count})", count=len(members))]
    lines += [_member_line(m, _) for m in members]
    rows = [
        [InlineKeyboardButton(m.full_name, callback_data=f"{CB_TEAM}:m:{m.id}")] for m in members
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def member_page(member: Member, me: Member, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """One member, with the changes an admin can make."""
    text = _member_line(member, _)
    rows: list[list[tuple[str, str]]] = []
    if member.id != me.id:
        roles = [r for r in (Role.REP, Role.MANAGER, Role.ADMIN) if r is not member.role]
        rows.append(
            [(_("Make {role}", role=role_label(r, _)), f"{CB_TEAM}:r:{member.id}:{r.value}")
             for r in roles]
        )
        if member.active:
            rows.append([(_("Deactivate"), f"{CB_TEAM}:a:{member.id}:0")])
        else:
            rows.append([(_("Reactivate"), f"{CB_TEAM}:a:{member.id}:1")])
    rows.append([(_("Back"), f"{CB_TEAM}:list")])
    return text, keyboard(rows)
