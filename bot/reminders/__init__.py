"""The scheduler side: jobs run by PTB's JobQueue (APScheduler) that read due work."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram.ext import JobQueue

from bot.context import CRMContext

log = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL = timedelta(hours=6)


async def housekeeping(context: CRMContext) -> None:
    """Drop invites that expired unused; they only clutter the table."""
    removed = await context.crm.team.purge_expired_invites()
    if removed:
        log.info("removed %d expired invites", removed)


def schedule_jobs(job_queue: JobQueue[Any]) -> None:
    """Register every periodic job."""
    job_queue.run_repeating(
        housekeeping,
        interval=HOUSEKEEPING_INTERVAL,
        first=timedelta(minutes=1),
        name="housekeeping",
    )
