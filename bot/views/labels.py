"""Translated labels of the domain's stable keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from babel.numbers import format_currency

from bot.domain.models import (
    ChurnReason,
    CustomerKind,
    CustomerStatus,
    Demand,
    InteractionKind,
    Sentiment,
    ValueTier,
)
from bot.domain.money import to_major
from bot.i18n import N_, Translator

K = TypeVar("K")

STATUS = {
    CustomerStatus.POTENTIAL: N_("Potential"),
    CustomerStatus.INITIAL_CONTACT: N_("Initial contact"),
    CustomerStatus.FOLLOWING_UP: N_("Following up"),
    CustomerStatus.PENDING_CONFIRMATION: N_("Pending confirmation"),
    CustomerStatus.WON: N_("Won"),
    CustomerStatus.MAINTAINING: N_("Maintaining"),
    CustomerStatus.CHURN_WARNING: N_("Churn warning"),
    CustomerStatus.CHURNED: N_("Churned"),
    CustomerStatus.DORMANT: N_("Dormant"),
}
KIND = {CustomerKind.B2B: N_("Company (B2B)"), CustomerKind.B2C: N_("Person (B2C)")}
DEMAND = {Demand.PRODUCT: N_("Product"), Demand.SERVICE: N_("Service"), Demand.BOTH: N_("Both")}
TIER = {ValueTier.HIGH: N_("High value"), ValueTier.NORMAL: N_("Normal value"),
        ValueTier.LOW: N_("Low value")}
INTERACTION = {
    InteractionKind.CALL: N_("Call"),
    InteractionKind.MEETING: N_("Meeting"),
    InteractionKind.MESSAGE: N_("Message"),
    InteractionKind.EMAIL: N_("Email"),
    InteractionKind.VISIT: N_("Visit"),
    InteractionKind.NOTE: N_("Note"),
    InteractionKind.FEEDBACK: N_("Feedback"),
}
SENTIMENT = {Sentiment.SATISFIED: N_("Satisfied"), Sentiment.NEUTRAL: N_("Neutral"),
             Sentiment.DISSATISFIED: N_("Dissatisfied")}
CHURN_REASON = {
    ChurnReason.PRODUCT_QUALITY: N_("Product quality"),
    ChurnReason.SERVICE: N_("Service"),
    ChurnReason.PRICE: N_("Price"),
    ChurnReason.COMPETITOR: N_("Competitor"),
    ChurnReason.NO_LONGER_NEEDED: N_("No longer needs it"),
    ChurnReason.OTHER: N_("Other"),
}
FIELD = {
    "name": N_("Name"),
    "company": N_("Company"),
    "kind": N_("Type"),
    "phones": N_("Phone"),
    "emails": N_("Email"),
    "telegram_username": N_("Telegram"),
    "city": N_("City"),
    "source": N_("Source"),
    "demand": N_("Demand"),
    "tags": N_("Tags"),
    "notes": N_("Notes"),
}


def label(table: Mapping[K, str], key: K, _: Translator) -> str:
    """The translated label of `key` in one of the tables above."""
    return _(table[key])


def money(amount_minor: int, currency: str, language: str) -> str:
    """An amount in minor units, formatted for the reader's language."""
    locale = "zh_Hans_CN" if language == "zh" else "en_US"
    return format_currency(to_major(amount_minor, currency), currency, locale=locale)
