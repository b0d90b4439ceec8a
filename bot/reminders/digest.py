"""Manager digests and team group alerts on the scheduler's side: the job that queues them,
and the renderers that turn their outbox rows into messages at send time."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import JobQueue

from bot.config import Settings
from bot.context import CRMContext
from bot.domain.models import Member, OutboxMessage
from bot.i18n import translator
from bot.reminders.render import Rendered, Undeliverable, renderer
from bot.services import CRM
from bot.services.digest import DIGEST, MANAGER_NUDGE, Period
from bot.services.errors import NotFound
from bot.services.groups import GROUP_ALERT, AlertGone
from bot.views import digest as digest_views
from bot.views import groups as group_views

logger = logging.getLogger(__name__)

FIRST_RUN = timedelta(seconds=15)


async def digest_job(context: CRMContext) -> None:
    """Queue the digests due today and run the daily overdue check when its time has come."""
    queued = await context.crm.digest.schedule_due()
    alerts = await context.crm.groups.check_overdue()
    if queued or alerts:
        logger.info("queued %d digests and %d overdue alerts", queued, alerts)


def schedule_digest_jobs(job_queue: JobQueue[Any], settings: Settings) -> None:
    """Register the digest job (every TELECRM_DIGEST_CHECK_SECONDS, soon after start)."""
    interval = timedelta(seconds=settings.digest_check_seconds)
    job_queue.run_repeating(
        digest_job,
        interval=interval,
        first=min(interval, FIRST_RUN),
        name="digest",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


def _reader(reader: Member | None) -> Member:
    if reader is None:
        raise Undeliverable("a personal message without its reader")
    return reader


@renderer(DIGEST)
async def _digest(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    member = _reader(reader)
    if not member.is_manager_or_admin:
        raise Undeliverable("the reader is no longer a manager")
    payload = message.payload
    report = await crm.digest.report(
        actor=member,
        period=Period(payload["period"]),
        since=datetime.fromisoformat(payload["since"]),
        until=datetime.fromisoformat(payload["until"]),
    )
    # The chart is CPU work of a few tens of milliseconds: keep it off the event loop.
    built = await asyncio.to_thread(
        digest_views.digest_message, report, member, translator(member.language)
    )
    return Rendered(built.text, built.markup, built.photo)


@renderer(MANAGER_NUDGE)
async def _nudge(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    member = _reader(reader)
    if message.customer_id is None:
        raise Undeliverable("a nudge without a customer")
    try:
        customer, manager = await crm.digest.nudge_context(
            customer_id=message.customer_id, manager_id=int(message.payload["manager_id"])
        )
    except NotFound:
        raise Undeliverable("the customer is gone") from None
    if customer.owner_id != member.id:
        raise Undeliverable("the customer changed hands")
    text, markup = digest_views.nudge_message(
        customer, manager, member, crm.clock.now(), translator(member.language)
    )
    return Rendered(text, markup)


@renderer(GROUP_ALERT)
async def _group_alert(crm: CRM, message: OutboxMessage, reader: Member | None) -> Rendered:
    # No reader: the team's language. No buttons either: a card opened from a group message
    # would be shown to the whole group.
    del reader
    try:
        alert = await crm.groups.alert(
            chat_id=message.chat_id, payload=message.payload, customer_id=message.customer_id
        )
    except AlertGone as exc:
        raise Undeliverable(str(exc)) from None
    _ = translator(crm.settings.default_language)
    return Rendered(group_views.alert_text(alert, crm.clock.now(), _))
