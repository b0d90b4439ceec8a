"""The outbox: messages the bot will send on its own, claimed and delivered by dispatchers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.domain.models import OutboxMessage
from bot.storage.codec import parse_ts, parse_ts_or_none, ts

_COLUMNS = (
    "id, kind, chat_id, user_id, customer_id, payload, dedupe_key, due_at, state, claimed_by,"
    " claim_expires_at, attempts, last_error, sent_at, message_id, created_at"
)


def _message(row: aiosqlite.Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        kind=row["kind"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        customer_id=row["customer_id"],
        payload=json.loads(row["payload"]),
        dedupe_key=row["dedupe_key"],
        due_at=parse_ts(row["due_at"]),
        state=row["state"],
        claimed_by=row["claimed_by"],
        claim_expires_at=parse_ts_or_none(row["claim_expires_at"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        sent_at=parse_ts_or_none(row["sent_at"]),
        message_id=row["message_id"],
        created_at=parse_ts(row["created_at"]),
    )


class OutboxRepository:
    """Rows of the outbox. Claims are single UPDATE statements, so that several processes
    sharing one database never take the same live claim."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        kind: str,
        chat_id: int,
        due_at: datetime,
        at: datetime,
        user_id: int | None = None,
        customer_id: int | None = None,
        payload: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue a message; None when a row with the same dedupe key exists already."""
        cur = await self._conn.execute(
            "INSERT INTO outbox (kind, chat_id, user_id, customer_id, payload, dedupe_key,"
            " due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            (kind, chat_id, user_id, customer_id,
             json.dumps(payload or {}, ensure_ascii=False, sort_keys=True),
             dedupe_key, ts(due_at), ts(at)),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    async def get(self, *, outbox_id: int) -> OutboxMessage | None:
        """One row."""
        cur = await self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (outbox_id,)  # noqa: S608
        )
        row = await cur.fetchone()
        return _message(row) if row else None

    async def claim(
        self, *, owner: str, now: datetime, lease: timedelta, limit: int
    ) -> list[OutboxMessage]:
        """Take up to `limit` due rows that nobody holds (or whose holder's lease ran out)."""
        cur = await self._conn.execute(
            f"UPDATE outbox SET claimed_by = ?, claim_expires_at = ?"  # noqa: S608
            # Each chat's rows are numbered by due time; taking rank 1 of every chat first
            # spreads a batch across chats, which Telegram paces at one message a second.
            " WHERE id IN (SELECT id FROM (SELECT id, due_at, ROW_NUMBER() OVER"
            "   (PARTITION BY chat_id ORDER BY due_at, id) AS turn FROM outbox"
            "   WHERE state = 'pending' AND due_at <= ?"
            "   AND (claimed_by IS NULL OR claim_expires_at <= ?))"
            "   ORDER BY turn, due_at, id LIMIT ?)"
            f" RETURNING {_COLUMNS}",
            (owner, ts(now + lease), ts(now), ts(now), limit),
        )
        rows = await cur.fetchall()
        return sorted((_message(r) for r in rows), key=lambda m: (m.due_at, m.id))

    async def mark_sent(
        self, *, outbox_id: int, owner: str, at: datetime, message_id: int | None
    ) -> bool:
        """Record the delivery; False if the claim was lost meanwhile."""
        cur = await self._conn.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?, claimed_by = NULL,"
            " claim_expires_at = NULL, attempts = attempts + 1"
            " WHERE id = ? AND claimed_by = ? AND state = 'pending'",
            (ts(at), message_id, outbox_id, owner),
        )
        return cur.rowcount == 1

    async def release(
        self, *, outbox_id: int, owner: str, due_at: datetime, error: str | None,
        attempted: bool,
    ) -> bool:
        """Give a claimed row back, due again at `due_at` (a retry, or the end of quiet hours)."""
        cur = await self._conn.execute(
            "UPDATE outbox SET claimed_by = NULL, claim_expires_at = NULL, due_at = ?,"
            " last_error = COALESCE(?, last_error), attempts = attempts + ?"
            " WHERE id = ? AND claimed_by = ? AND state = 'pending'",
            (ts(due_at), error, int(attempted), outbox_id, owner),
        )
        return cur.rowcount == 1

    async def fail(self, *, outbox_id: int, owner: str, error: str) -> bool:
        """Give up on a claimed row for good (the chat is gone, the request is invalid)."""
        cur = await self._conn.execute(
            "UPDATE outbox SET state = 'failed', last_error = ?, claimed_by = NULL,"
            " claim_expires_at = NULL, attempts = attempts + 1"
            " WHERE id = ? AND claimed_by = ? AND state = 'pending'",
            (error, outbox_id, owner),
        )
        return cur.rowcount == 1

    async def cancel_pending(self, *, customer_id: int, kinds: Sequence[str]) -> int:
        """Cancel the pending messages of these kinds about a customer (e.g. a moved follow-up)."""
        marks = ", ".join("?" for _ in kinds)
        cur = await self._conn.execute(
            f"UPDATE outbox SET state = 'cancelled', claimed_by = NULL"  # noqa: S608
            f" WHERE customer_id = ? AND state = 'pending' AND kind IN ({marks})",
            (customer_id, *kinds),
        )
        return cur.rowcount

    async def next_due(self) -> datetime | None:
        """When the earliest pending row is due."""
        cur = await self._conn.execute(
            "SELECT MIN(due_at) FROM outbox WHERE state = 'pending'"
        )
        row = await cur.fetchone()
        return parse_ts(row[0]) if row and row[0] else None

    async def all(self, *, state: str | None = None, limit: int = 1000) -> list[OutboxMessage]:
        """Rows, oldest first (for tests, benchmarks and support)."""
        where = "WHERE state = ?" if state else ""
        params: tuple[Any, ...] = (state, limit) if state else (limit,)
        cur = await self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox {where} ORDER BY id LIMIT ?", params  # noqa: S608
        )
        return [_message(r) for r in await cur.fetchall()]
