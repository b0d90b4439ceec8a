"""Prompts and confirmations of the log, follow-up, edit and status flows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.domain.dates import format_local
from bot.domain.models import Customer, InteractionKind, Member, Sentiment
from bot.i18n import Translator
from bot.views import labels
from bot.views.common import esc, keyboard
from bot.views.customers import ref

SKIP = "skip"


def _skip_row(_: Translator) -> list[tuple[str, str]]:
    return [(_("Skip"), SKIP)]


def log_kind(customer: Customer, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """What kind of interaction?"""
    kinds = list(InteractionKind)
    rows = [[(labels.label(labels.INTERACTION, k, _), f"lk:{k}") for k in kinds[i:i + 4]]
            for i in range(0, len(kinds), 4)]
    return _("Log for {customer}: what kind?", customer=ref(customer)), keyboard(rows)


def log_text(kind: InteractionKind, _: Translator) -> str:
    """Ask for the text."""
    return _("{kind}: what happened? Send the text.",
             kind=labels.label(labels.INTERACTION, kind, _))


def log_sentiment(_: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Feedback: how does the customer feel?"""
    return _("How does the customer feel?"), keyboard(
        [[(labels.label(labels.SENTIMENT, s, _), f"ls:{s}") for s in Sentiment]]
    )


def log_amount(default_currency: str, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Optional amount."""
    return (_("Any amount (a purchase or deal value)? e.g. 12000 or 300 USD — currency "
              "{currency} if none is given.", currency=default_currency),
            keyboard([_skip_row(_)]))


def when_prompt(customer: Customer, _: Translator, *, optional: bool
                ) -> tuple[str, InlineKeyboardMarkup]:
    """When to follow up, with quick choices."""
    rows = [
        [(_("Tomorrow"), "when:tomorrow"), (_("In 3 days"), "when:3d"),
         (_("Next week"), "when:week")],
    ]
    if optional:
        rows.append(_skip_row(_))
    else:
        rows.append([(_("Clear follow-up"), "when:clear")])
    text = _("When should we follow up with {customer}? e.g. tomorrow 10:00, fri, in 3 days, "
             "2026-12-01 15:00, 明天上午10点", customer=ref(customer))
    return text, keyboard(rows)


def logged(customer: Customer, _: Translator) -> str:
    """Confirmation of a logged interaction."""
    return _("Logged for {customer}.", customer=ref(customer))


def followup_set(customer: Customer, viewer: Member, _: Translator) -> str:
    """Confirmation of a follow-up time."""
    if customer.next_followup_at is None:
        return _("Follow-up cleared for {customer}.", customer=ref(customer))
    return _("Next follow-up with {customer}: {when}", customer=ref(customer),
             when=format_local(customer.next_followup_at, viewer.timezone))


def bad_when(text: str, _: Translator) -> str:
    """A time we could not read."""
    return _("I couldn't read “{text}” as a time. Try: tomorrow 10:00, fri, in 3 days, "
             "2026-12-01 15:00, 明天上午10点.", text=esc(text))


def past_when(when: datetime, viewer: Member, _: Translator) -> str:
    """A time in the past."""
    return _("{when} is in the past. Please give a future time.",
             when=format_local(when, viewer.timezone))


def bad_amount(text: str, _: Translator) -> str:
    """An amount we could not read."""
    return _("I couldn't read “{text}” as an amount. Send e.g. 12000, ¥1,200.50 or 300 USD, "
             "or press Skip.", text=esc(text))


def usage_log(_: Translator) -> str:
    """/log without enough arguments."""
    return _("Send /log, the customer (#12 or a name) and the text, e.g. /log #12 called, "
             "wants a quote. Or open a card and press Log.")


def usage_followup(_: Translator) -> str:
    """/followup without enough arguments."""
    return _("Send /followup, the customer and when, e.g. /followup #12 tomorrow 10:00.")


def usage_status(_: Translator) -> str:
    """/status without a customer."""
    return _("Send /status and the customer, e.g. /status #12 or /status Zhang Wei.")


def reason_text_prompt(_: Translator) -> str:
    """Other churn reason: ask for it."""
    return _("What was the reason? Send a short text.")


def edit_menu(customer: Customer, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Which field to edit."""
    fields = list(labels.FIELD)
    rows = [[(_(labels.FIELD[f]), f"ef:{f}") for f in fields[i:i + 3]]
            for i in range(0, len(fields), 3)]
    rows.append([(_("Back to card"), f"cc:{customer.id}")])
    return _("Edit {customer}: which field?", customer=ref(customer)), keyboard(rows)


def edit_prompt(field: str, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Ask for a field's new value (or offer its choices)."""
    name = _(labels.FIELD[field])
    if field == "kind":
        return name, keyboard([[(_(v), f"ev:{k.value}") for k, v in labels.KIND.items()]])
    if field == "demand":
        return name, keyboard([[(_(v), f"ev:{k.value}") for k, v in labels.DEMAND.items()],
                               [(_("Clear"), "ev:")]])
    hint = {
        "phones": _("Send the phone numbers, separated by commas (they replace the old ones)."),
        "emails": _("Send the email addresses, separated by commas (they replace the old ones)."),
        "tags": _("Send the tags, separated by commas (they replace the old ones)."),
    }.get(field, _("Send the new value, or “-” to clear it."))
    return f"{name}: {hint}", keyboard([[(_("Cancel"), "ev:cancel")]])


def edited(customer: Customer, field: str, _: Translator) -> str:
    """Confirmation of an edit."""
    return _("{field} of {customer} saved.", field=_(labels.FIELD[field]),
             customer=ref(customer))


def field_problems(problems: Sequence[tuple[str, str]], _: Translator) -> str:
    """What was wrong with typed values, one line each."""
    lines = []
    for field, text in problems:
        if field == "phone":
            lines.append(_("“{text}” is not a valid phone number.", text=esc(text)))
        elif field == "email":
            lines.append(_("“{text}” is not a valid email address.", text=esc(text)))
        elif field == "telegram_username":
            lines.append(_("“{text}” is not a Telegram username.", text=esc(text)))
        else:
            lines.append(_("A name is required."))
    return "\n".join(lines)


def cancelled(_: Translator) -> str:
    """A flow was left; nothing changed."""
    return _("Cancelled; nothing was changed.")
