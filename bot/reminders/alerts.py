"""Renderers of the rules pass's messages (see bot/services/rules.py), in the reader's language.

A nudge that no longer applies when it is due (the customer was contacted, changed status or
owner, e.g. while the reader's quiet hours held it back) is dropped rather than sent.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.models import Customer, CustomerStatus, Member, OutboxMessage, ValueTier
from bot.i18n import translator
from bot.reminders.render import Rendered, Undeliverable, renderer
from bot.services import CRM
from bot.services.customers import FEEDBACK_ALERT
from bot.services.rules import (
    CHURN_ALERT,
    CHURN_SUMMARY,
    DORMANT_NOTICE,
    MANAGER,
    NUDGE,
    OWNER_SUMMARY,
    TIER_NOTICE,
    TIER_SUMMARY,
)
from bot.views import alerts as views


def _reader(reader: Member | None) -> Member:
    if reader is None:
        raise Undeliverable("a personal message without its reader")
    return reader


async def _customer(crm: CRM, message: OutboxMessage) -> Customer:
    customer = (
        await crm.rules.subject(customer_id=message.customer_id)
        if message.customer_id is not None else None
    )
    if customer is None:
        raise Undeliverable("customer is gone")
    return customer


def _quiet_since(message: OutboxMessage) -> datetime:
    return datetime.fromisoformat(str(message.payload["quiet_since"]))


def _quiet_days(crm: CRM, message: OutboxMessage) -> int:
    """Whole days without contact, as of sending (not of the pass)."""
    return max((crm.clock.now() - _quiet_since(message)).days, 0)


async def _owner_name(crm: CRM, customer: Customer) -> str | None:
    owner = (await crm.team.get(user_id=customer.owner_id)
             if customer.owner_id is not None else None)
    return owner.full_name if owner else None


async def _listed(crm: CRM, message: OutboxMessage) -> list[Customer]:
    """The customers a summary names (those still there)."""
    ids = [int(i) for i in message.payload.get("customer_ids", [])]
    return await crm.customers.get_many(customer_ids=ids)


def _owned_by(customer: Customer, reader: Member) -> None:
    if customer.owner_id != reader.id:
        raise Undeliverable("the customer changed owner")


@renderer(NUDGE)
async def _nudge(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    member = _reader(reader)
    customer = await _customer(crm, message)
    _owned_by(customer, member)
    status = CustomerStatus(str(message.payload["status"]))
    if customer.status is not status or (
        customer.last_contact_at or customer.created_at
    ) != _quiet_since(message):
        raise Undeliverable("nudge no longer applies")
    text, markup = views.nudge(customer, status, _quiet_days(crm, message),
                               int(message.payload["threshold_days"]),
                               translator(member.language))
    return Rendered(text, markup)


@renderer(CHURN_ALERT)
async def _churn_alert(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    member = _reader(reader)
    customer = await _customer(crm, message)
    _ = translator(member.language)
    quiet = _quiet_days(crm, message)
    if message.payload.get("role") == MANAGER:
        text, markup = views.churn_warning_manager(
            customer, await _owner_name(crm, customer), quiet, _
        )
    else:
        _owned_by(customer, member)
        was = CustomerStatus(str(message.payload["status"]))
        text, markup = views.churn_warning_owner(customer, was, quiet, _)
    return Rendered(text, markup)


@renderer(DORMANT_NOTICE)
async def _dormant(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    member = _reader(reader)
    customer = await _customer(crm, message)
    _owned_by(customer, member)
    text, markup = views.dormant(customer, _quiet_days(crm, message),
                                 translator(member.language))
    return Rendered(text, markup)


@renderer(TIER_NOTICE)
async def _tier(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    member = _reader(reader)
    customer = await _customer(crm, message)
    _owned_by(customer, member)
    if customer.value_tier_override is not None:
        raise Undeliverable("a tier set by hand applies")
    text, markup = views.tier_changed(
        customer, ValueTier(str(message.payload["from"])), ValueTier(str(message.payload["to"])),
        translator(member.language),
    )
    return Rendered(text, markup)


@renderer(FEEDBACK_ALERT)
async def _feedback(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    member = _reader(reader)
    customer = await _customer(crm, message)
    feedback = await crm.customers.interaction_text(
        customer_id=customer.id, interaction_id=int(message.payload["interaction_id"])
    )
    text, markup = views.dissatisfied(customer, await _owner_name(crm, customer), feedback,
                                      translator(member.language))
    return Rendered(text, markup)


@renderer(CHURN_SUMMARY)
async def _churn_summary(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    language = reader.language if reader is not None else crm.settings.default_language
    customers = await _listed(crm, message)
    return Rendered(views.churn_summary(int(message.payload["count"]), customers,
                                        translator(language)))


@renderer(TIER_SUMMARY)
async def _tier_summary(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    member = _reader(reader)
    customers = await _listed(crm, message)
    return Rendered(views.tier_summary(int(message.payload["promoted"]),
                                       int(message.payload["demoted"]), customers,
                                       translator(member.language)))


@renderer(OWNER_SUMMARY)
async def _owner_summary(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    member = _reader(reader)
    customers = await _listed(crm, message)
    return Rendered(views.owner_summary(str(message.payload["decision"]),
                                        int(message.payload["count"]), customers,
                                        translator(member.language)))
