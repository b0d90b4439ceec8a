"""Greeting, help and the command menu."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import BotCommand

from bot.domain.models import Member, Role
from bot.i18n import N_, Translator
from bot.views.common import esc, role_label


@dataclass(frozen=True)
class Command:
    """A chat command, what it does, and who may use it."""

    name: str
    description: str
    roles: frozenset[Role] = frozenset(Role)


_ADMINS = frozenset({Role.ADMIN})
_MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})

COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Greet me, or join the team with an invite code")),
    Command("help", N_("What I can do for you")),
    Command("new", N_("Add a customer: /new Name, Company, phone, email")),
    Command("find", N_("Find a customer by name, company, phone, email or tag")),
    Command("log", N_("Log an interaction: /log #12 called, wants a quote")),
    Command("status", N_("Change a customer's status")),
    Command("followup", N_("Set the next follow-up: /followup #12 tomorrow 10:00")),
    Command("today", N_("My follow-ups due today and overdue")),
    Command("mine", N_("My customers by status")),
    Command("digest", N_("The digest now: wins, moves, overdue, at risk (/digest week)"),
            _MANAGERS),
    Command("bindgroup", N_("In the team's group: post team alerts there"), _MANAGERS),
    Command("unbindgroup", N_("In the team's group: stop the team alerts"), _MANAGERS),
    Command("settings", N_("Language, time zone, quiet hours, digest time")),
    Command("cancel", N_("Leave the current conversation")),
    Command("invite", N_("Invite a sales rep or a manager"), _ADMINS),
    Command("team", N_("Team members and roles"), _ADMINS),
)


def commands_for(role: Role) -> list[Command]:
    """The commands a role may use, in menu order."""
    return [c for c in COMMANDS if role in c.roles]


def bot_commands(_: Translator, role: Role) -> list[BotCommand]:
    """The command menu Telegram shows, in one language."""
    return [BotCommand(c.name, _(c.description)) for c in commands_for(role)]


def greeting(member: Member, _: Translator) -> str:
    """What /start answers a member."""
    return _(
        "Hello, <b>{name}</b>! I'm your team's CRM. You're signed in as {role}.\n"
        "Send /help to see what I can do.",
        name=esc(member.full_name),
        role=role_label(member.role, _),
    )


def welcome(member: Member, _: Translator) -> str:
    """What a new member reads after joining with an invite."""
    return _(
        "Welcome to the team, <b>{name}</b>! You joined as {role}.",
        name=esc(member.full_name),
        role=role_label(member.role, _),
    ) + "\n\n" + help_text(member, _)


def help_text(member: Member, _: Translator) -> str:
    """What /help answers: the commands of the member's role."""
    lines = [_("<b>What I can do for you</b>")]
    lines += [f"/{c.name} — {_(c.description)}" for c in commands_for(member.role)]
    lines.append("")
    lines.append(_("Send /settings to change the language, your time zone and quiet hours."))
    return "\n".join(lines)


def refusal(_: Translator, *, deactivated: bool = False) -> str:
    """What an outsider (or a deactivated member) reads, and nothing more."""
    if deactivated:
        return _("Your access to this team's CRM has been turned off. Ask an admin if this is a "
                 "mistake.")
    return _("Sorry, this bot is private to a sales team. If you should be in it, ask an admin "
             "for an invite link.")


def unknown_input(_: Translator) -> str:
    """The answer to a message no feature understood."""
    return _("I didn't understand that. Send /help to see what I can do.")


def nothing_to_cancel(_: Translator) -> str:
    """The answer to /cancel outside any conversation."""
    return _("There is nothing to cancel.")


def expired_buttons(_: Translator) -> str:
    """The answer to a button that belongs to a finished conversation."""
    return _("These buttons have expired. Please start again.")


def internal_error(_: Translator) -> str:
    """What a user reads when we failed."""
    return _("Sorry, something went wrong on our side. The admins have been told; please try "
             "again in a moment.")
