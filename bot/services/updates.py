"""Which Telegram updates were handled (for at-least-once, never-twice polling)."""

from __future__ import annotations

from bot.clock import Clock
from bot.storage.db import Database


class UpdateLog:
    """The handled-updates watermark."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def watermark(self) -> int | None:
        """The highest handled update id."""
        async with self._db.read() as repo:
            return await repo.updates.watermark()

    async def record(self, *, update_id: int) -> None:
        """Mark an update (and all before it) handled."""
        async with self._db.transaction() as tx:
            await tx.updates.record(update_id=update_id, at=self._clock.now())
