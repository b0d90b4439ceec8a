"""The handled-updates watermark behind at-least-once, never-twice polling."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.services.updates import UpdateLog
from bot.storage.db import Database


async def test_watermark_starts_empty_and_only_rises(db: Database, clock: FakeClock) -> None:
    """None before the first update; recording a lower id never lowers it."""
    log = UpdateLog(db, clock)
    assert await log.watermark() is None
    await log.record(update_id=10)
    assert await log.watermark() == 10
    await log.record(update_id=7)
    assert await log.watermark() == 10
    await log.record(update_id=11)
    assert await log.watermark() == 11
