"""Messages of the rules pass: inactivity nudges, churn warnings, dormancy, value tiers."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.domain.models import Customer, CustomerStatus, ValueTier
from bot.i18n import Translator
from bot.views import labels
from bot.views.common import esc, keyboard
from bot.views.customers import ref


def act_keyboard(customer_id: int, _: Translator) -> InlineKeyboardMarkup:
    """Log · Follow-up · Open card (the card's own callbacks)."""
    return keyboard([[
        (_("Log"), f"lg:{customer_id}"), (_("Follow-up"), f"fu:{customer_id}"),
        (_("Open card"), f"c:{customer_id}"),
    ]])


def open_keyboard(customer_id: int, _: Translator) -> InlineKeyboardMarkup:
    """Open card."""
    return keyboard([[(_("Open card"), f"c:{customer_id}")]])


def days(count: int, _: Translator) -> str:
    """'1 day', '8 days'."""
    return _.ngettext("{count} day", "{count} days", count)


def nudge(customer: Customer, status: CustomerStatus, quiet_days: int, threshold_days: int,
          _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The owner's nudge: no contact for a while, with what to do about it."""
    lines = [
        _("⏳ No contact with <b>{customer}</b> for {days}.", customer=ref(customer),
          days=days(quiet_days, _)),
        _("Customers in “{status}” get a nudge after {days} without contact.",
          status=labels.label(labels.STATUS, status, _), days=days(threshold_days, _)),
        _("Log a contact to reset the clock, or plan a follow-up."),
    ]
    return "\n".join(lines), act_keyboard(customer.id, _)


def churn_warning_owner(customer: Customer, was: CustomerStatus, quiet_days: int,
                        _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """To the owner: their customer moved to churn warning."""
    lines = [
        _("⚠️ <b>{customer}</b> moved to {status}: no contact for {days}.",
          customer=ref(customer), status=labels.label(labels.STATUS,
                                                      CustomerStatus.CHURN_WARNING, _),
          days=days(quiet_days, _)),
        _("It was {status}. Get in touch before the customer is lost.",
          status=labels.label(labels.STATUS, was, _)),
    ]
    return "\n".join(lines), act_keyboard(customer.id, _)


def churn_warning_manager(customer: Customer, owner: str | None, quiet_days: int,
                          _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """To a manager: a customer of the team moved to churn warning."""
    who = esc(owner) if owner else _("nobody")
    text = _("⚠️ Churn warning: <b>{customer}</b> (owner: {owner}), no contact for {days}.",
             customer=ref(customer), owner=who, days=days(quiet_days, _))
    return text, open_keyboard(customer.id, _)


def dormant(customer: Customer, quiet_days: int, _: Translator
            ) -> tuple[str, InlineKeyboardMarkup]:
    """To the owner: a churn warning went quiet for long and is now dormant."""
    text = _("💤 <b>{customer}</b> is now {status}: no contact for {days}.",
             customer=ref(customer),
             status=labels.label(labels.STATUS, CustomerStatus.DORMANT, _),
             days=days(quiet_days, _))
    return text, act_keyboard(customer.id, _)


def tier_changed(customer: Customer, before: ValueTier, after: ValueTier, _: Translator
                 ) -> tuple[str, InlineKeyboardMarkup]:
    """To the owner: into or out of the high tier."""
    if after is ValueTier.HIGH:
        text = _("⭐ <b>{customer}</b> is now {tier}: recent purchases, large or frequent.",
                 customer=ref(customer), tier=labels.label(labels.TIER, after, _))
    else:
        text = _("📉 <b>{customer}</b> is no longer {was}: now {tier}.",
                 customer=ref(customer), was=labels.label(labels.TIER, before, _),
                 tier=labels.label(labels.TIER, after, _))
    return text, open_keyboard(customer.id, _)


def dissatisfied(customer: Customer, owner: str | None, feedback: str, _: Translator
                 ) -> tuple[str, InlineKeyboardMarkup]:
    """To the owner and managers: dissatisfied feedback raised a churn warning."""
    who = esc(owner) if owner else _("nobody")
    lines = [_("⚠️ Churn warning: <b>{customer}</b> (owner: {owner}) is dissatisfied.",
               customer=ref(customer), owner=who)]
    if feedback:
        lines.append(f"“{esc(feedback[:500])}”")
    return "\n".join(lines), open_keyboard(customer.id, _)


def churn_summary(count: int, customers: list[Customer], _: Translator) -> str:
    """Many churn warnings at once, in one message (to a manager or a group)."""
    lines = [_("⚠️ {count} customers moved to churn warning in this check: no contact for "
               "twice their status's threshold. Their owners have been told. The longest "
               "quiet:", count=count)]
    lines += [f"• {ref(c)}" for c in customers]
    return "\n".join(lines)


def tier_summary(promoted: int, demoted: int, customers: list[Customer], _: Translator) -> str:
    """Many value-tier moves of one owner's customers, in one message."""
    lines = [_("📈 Value tiers recomputed: {promoted} of your customers are now high value, "
               "{demoted} no longer are.", promoted=promoted, demoted=demoted)]
    lines += [f"• {ref(c)}" for c in customers]
    return "\n".join(lines)


def owner_summary(decision: str, count: int, customers: list[Customer], _: Translator) -> str:
    """Many of one owner's customers caught by the same rule in one pass, in one message."""
    if decision == "nudge":
        head = _("⏳ {count} of your customers have had no contact for longer than their "
                 "status allows. The longest quiet:", count=count)
    elif decision == "dormant":
        head = _("💤 {count} of your customers in churn warning are now dormant. The longest "
                 "quiet:", count=count)
    else:
        head = _("⚠️ {count} of your customers moved to churn warning: no contact for twice "
                 "their status's threshold. The longest quiet:", count=count)
    return "\n".join([head, *(f"• {ref(c)}" for c in customers), _("See them with /mine.")])
