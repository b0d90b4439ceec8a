"""The watermark of handled Telegram updates."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.codec import ts


class UpdatesRepository:
    """Which updates were handled already (only the highest id is needed: ids increase)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def watermark(self) -> int | None:
        """The highest handled update id, None before the first."""
        cur = await self._conn.execute("SELECT update_id FROM update_watermark WHERE id = 1")
        row = await cur.fetchone()
        return int(row[0]) if row else None

    async def record(self, *, update_id: int, at: datetime) -> None:
        """Raise the watermark to `update_id` (never lowers it)."""
        await self._conn.execute(
            "INSERT INTO update_watermark (id, update_id, handled_at) VALUES (1, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET update_id = MAX(update_id, excluded.update_id),"
            " handled_at = excluded.handled_at",
            (update_id, ts(at)),
        )
