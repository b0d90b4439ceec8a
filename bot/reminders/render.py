"""How each kind of outbox row becomes a message, for its reader (or a group).

Each feature registers a renderer for its kinds with `@renderer("kind")`; the dispatcher looks
them up. Renderers read what they need through the services and render with the views, in the
reader's language; raising `Undeliverable` fails the row for good.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.domain.models import Member, OutboxMessage
from bot.i18n import translator
from bot.services import CRM
from bot.services.customers import FOLLOWUP_DUE
from bot.services.errors import NotFound
from bot.services.outbox import UNREACHABLE
from bot.views import reminders as views
from bot.views.common import esc


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: text (caption when there is a photo), buttons, a picture."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: bytes | None = None


class Undeliverable(Exception):
    """The message no longer makes sense (its customer is gone, its reader left)."""


Renderer = Callable[[CRM, OutboxMessage, Member | None], Awaitable[Rendered]]
RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of an outbox kind."""

    def register(function: Renderer) -> Renderer:
        if kind in RENDERERS:
            raise ValueError(f"two renderers for {kind}")
        RENDERERS[kind] = function
        return function

    return register


async def render(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    """The message for a row (Undeliverable when there is no way to render it)."""
    function = RENDERERS.get(message.kind)
    if function is None:
        raise Undeliverable(f"unknown kind {message.kind}")
    return await function(crm, message, reader)


def _member(reader: Member | None) -> Member:
    if reader is None:
        raise Undeliverable("a personal message without its reader")
    return reader


@renderer(FOLLOWUP_DUE)
async def _followup_due(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    member = _member(reader)
    if message.customer_id is None:
        raise Undeliverable("follow-up without a customer")
    try:
        customer, last = await crm.customers.followup_context(customer_id=message.customer_id)
    except NotFound:
        raise Undeliverable("customer is gone") from None
    if customer.owner_id != member.id or customer.next_followup_at is None:
        raise Undeliverable("follow-up no longer applies")
    text, markup = views.followup_due(customer, last, member, translator(member.language))
    return Rendered(text, markup)


@renderer(UNREACHABLE)
async def _unreachable(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    _ = translator(_member(reader).language)
    member = await crm.team.get(user_id=int(message.payload["member_id"]))
    name = member.full_name if member else str(message.payload["member_id"])
    return Rendered(_("⚠️ {name} has blocked the bot: their reminders cannot be delivered "
                      "until they send /start again.", name=esc(name)))
