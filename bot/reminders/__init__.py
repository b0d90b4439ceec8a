"""The scheduler side: jobs run by PTB's JobQueue (APScheduler) that read due work."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram.ext import JobQueue

from bot.config import Settings
from bot.context import CRMContext
from bot.reminders import alerts as _alerts  # noqa: F401  (registers its renderers)
from bot.reminders.digest import schedule_digest_jobs
from bot.reminders.dispatch import Dispatcher

logger = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL = timedelta(hours=6)
CHECKPOINT_INTERVAL = timedelta(seconds=30)


async def housekeeping(context: CRMContext) -> None:
    """Drop invites that expired unused; they only clutter the table."""
    removed = await context.crm.team.purge_expired_invites()
    if removed:
        logger.info("removed %d expired invites", removed)


async def rules_pass(context: CRMContext) -> None:
    """The periodic rules pass: inactivity nudges, churn warnings, dormancy, value tiers."""
    report = await context.crm.rules.run()
    if report.changed:
        logger.info(
            "rules pass: %d nudges, %d churn warnings, %d dormant, %d tiers changed,"
            " %d messages queued", report.nudges, report.churn_warnings, report.dormant,
            report.tiers, report.messages,
        )


async def deliver(context: CRMContext) -> None:
    """The dispatcher's tick: send what is due."""
    data = context.bot_data
    if data.dispatcher is None:
        data.dispatcher = Dispatcher(context.crm, context.bot)
    sent = await data.dispatcher.tick()
    if sent:
        logger.info("delivered %d scheduled messages", sent)


async def checkpoint(context: CRMContext) -> None:
    """Fold the database's write-ahead log back in, off the request path."""
    await context.crm.db.checkpoint()


def schedule_jobs(job_queue: JobQueue[Any], settings: Settings) -> None:
    """Register every periodic job."""
    job_queue.run_repeating(
        checkpoint,
        interval=CHECKPOINT_INTERVAL,
        first=CHECKPOINT_INTERVAL,
        name="checkpoint",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    job_queue.run_repeating(
        deliver,
        interval=timedelta(seconds=settings.scheduler_tick_seconds),
        first=timedelta(seconds=1),
        name="deliver",
        # A slow tick must not pile up: skip a run while the previous one is still going.
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    job_queue.run_repeating(
        rules_pass,
        interval=timedelta(minutes=settings.rules_interval_minutes),
        # Not at once: a bot restarted in a loop should not run a full pass every time.
        first=timedelta(minutes=1),
        name="rules",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    job_queue.run_repeating(
        housekeeping,
        interval=HOUSEKEEPING_INTERVAL,
        first=timedelta(minutes=1),
        name="housekeeping",
    )
    schedule_digest_jobs(job_queue, settings)
