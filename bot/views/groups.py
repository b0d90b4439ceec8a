"""Team group chats: binding answers, the group's /settings, and the alerts posted there.

Alerts are one or two short lines each: the dispatcher joins the ones due together with a
blank line into one message, so each must read on its own.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.domain.dates import describe_relative
from bot.domain.models import GroupChat
from bot.i18n import Translator
from bot.services.groups import CHURN_WARNING, DEAL_WON, REP_OVERDUE, GroupAlert
from bot.views import labels
from bot.views.common import esc, keyboard
from bot.views.customers import ref

CB_PREFIX = "gs"


def alert_text(alert: GroupAlert, now: datetime, _: Translator) -> str:
    """One alert for a group; deal values only when the group shows them."""
    if alert.event == REP_OVERDUE:
        return _("⏰ {name} has {count} overdue follow-ups.",
                 name=esc(alert.member_name or "?"), count=alert.count)
    customer = alert.customer
    assert customer is not None
    owner = f" · {esc(alert.owner_name)}" if alert.owner_name else ""
    if alert.event == DEAL_WON:
        value = ""
        if alert.value is not None and alert.group.show_values:
            value = " · " + labels.money(alert.value[0], alert.value[1], _.language)
        return _("🏆 Deal won: {customer}", customer=ref(customer)) + value + owner
    assert alert.event == CHURN_WARNING
    since = customer.last_contact_at
    quiet = (" · " + _("last contact {when}", when=describe_relative(since, now, _.language))
             if since else "")
    return _("⚠️ Churn warning: {customer}", customer=ref(customer)) + owner + quiet


def bound(threshold: int, _: Translator) -> str:
    """/bindgroup done."""
    return _("✅ This group now receives team alerts: deals won, churn warnings and members "
             "with more than {count} overdue follow-ups. Deal values are hidden; an admin or "
             "manager can show them with /settings here. /unbindgroup stops the alerts.",
             count=threshold)


def already_bound(_: Translator) -> str:
    """/bindgroup in a group that is bound."""
    return _("This group already receives team alerts. /settings here changes what they "
             "show; /unbindgroup stops them.")


def unbound(_: Translator) -> str:
    """/unbindgroup done."""
    return _("🔕 This group no longer receives team alerts.")


def not_bound(_: Translator) -> str:
    """A group command in a group that is not bound."""
    return _("This group does not receive team alerts. An admin or manager can send "
             "/bindgroup here.")


def managers_only(_: Translator) -> str:
    """A rep tried to bind a group or change its settings."""
    return _("Only admins and managers can bind this group or change its alerts.")


def groups_only(command: str, _: Translator) -> str:
    """A group command in a private chat."""
    return _("Send /{command} in your team's group chat (add me to the group first).",
             command=command)


def settings_menu(group: GroupChat, threshold: int, _: Translator
                  ) -> tuple[str, InlineKeyboardMarkup]:
    """The group's settings: what its alerts show, with the toggle."""
    state = _("on") if group.show_values else _("off")
    lines = [
        _("<b>Team alerts in this group</b>"),
        _("Deals won, churn warnings, members with more than {count} overdue follow-ups.",
          count=threshold),
        _("Show deal values: {value}", value=state),
    ]
    if group.show_values:
        button = (_("Hide deal values"), f"{CB_PREFIX}:v:0")
    else:
        button = (_("Show deal values"), f"{CB_PREFIX}:v:1")
    return "\n".join(lines), keyboard([[button]])
