"""Messages the bot sends on its own: follow-up reminders and what their buttons answer."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.domain.dates import format_local
from bot.domain.models import Customer, Interaction, Member
from bot.i18n import Translator
from bot.views import labels
from bot.views.common import esc, keyboard
from bot.views.customers import ref


def followup_keyboard(customer_id: int, _: Translator) -> InlineKeyboardMarkup:
    """Done · Snooze 1h · Tomorrow · Next week · Open card."""
    return keyboard([
        [(_("Done"), f"rm:done:{customer_id}"), (_("Snooze 1h"), f"rm:1h:{customer_id}")],
        [(_("Tomorrow"), f"rm:tom:{customer_id}"), (_("Next week"), f"rm:week:{customer_id}")],
        [(_("Open card"), f"c:{customer_id}")],
    ])


def followup_due(customer: Customer, last: Interaction | None, viewer: Member,
                 _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """'Time to follow up with #12 Zhang Wei (Acme)' with why, and the buttons."""
    lines = [_("⏰ Time to follow up with <b>{customer}</b>", customer=ref(customer))]
    if customer.next_followup_at is not None:
        lines.append(_("Due: {when}", when=format_local(customer.next_followup_at,
                                                         viewer.timezone)))
    if last is not None:
        kind = labels.label(labels.INTERACTION, last.kind, _)
        text = esc(last.text[:300]) if last.text else ""
        lines.append(_("Last: {kind} on {when}", kind=kind,
                       when=format_local(last.occurred_at, viewer.timezone))
                     + (f" — {text}" if text else ""))
    return "\n".join(lines), followup_keyboard(customer.id, _)


def followup_done(customer: Customer, _: Translator) -> str:
    """The reminder after Done."""
    return _("✅ Follow-up with {customer} done.", customer=ref(customer))


def followup_snoozed(customer: Customer, viewer: Member, _: Translator) -> str:
    """The reminder after a snooze."""
    assert customer.next_followup_at is not None
    return _("💤 Snoozed: follow up with {customer} at {when}.", customer=ref(customer),
             when=format_local(customer.next_followup_at, viewer.timezone))


def done_note(_: Translator) -> str:
    """The interaction text logged by Done."""
    return _("Follow-up done")


def next_prompt(customer: Customer, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """After Done: when next? (optional)."""
    return (
        _("When should we follow up with {customer} next? e.g. in 2 weeks, 下周一 — or Skip.",
          customer=ref(customer)),
        keyboard([
            [(_("Tomorrow"), "when:tomorrow"), (_("In 3 days"), "when:3d"),
             (_("Next week"), "when:week")],
            [(_("Skip"), "when:skip")],
        ]),
    )


def no_next(_: Translator) -> str:
    """Skip after Done."""
    return _("No next follow-up set.")


def today_item(customer: Customer, viewer: Member, now: datetime, _: Translator
               ) -> tuple[str, InlineKeyboardMarkup]:
    """One due follow-up of /today, with the reminder's buttons."""
    assert customer.next_followup_at is not None
    flag = " ⚠️ " + _("overdue") if customer.next_followup_at < now else ""
    text = f"{format_local(customer.next_followup_at, viewer.timezone)} {ref(customer)}{flag}"
    return text, followup_keyboard(customer.id, _)
