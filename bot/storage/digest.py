"""The SQL of manager digests and team group alerts: period figures, customers at risk, bound
groups, once-a-day job runs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.models import CustomerStatus, GroupChat
from bot.storage.codec import parse_ts, ts

# The expression of migration 0005's customers_quiet index (status, then this): spelled
# exactly like it so that SQLite reads the at-risk customers straight from the index.
_QUIET_SINCE = "COALESCE(last_contact_at, created_at)"


@dataclass(frozen=True)
class WinRow:
    """A customer moved to won in a period: when, by whom, and the deal value found."""

    customer_id: int
    won_at: datetime
    won_by: int | None
    amount_minor: int | None
    currency: str | None


class DigestRepository:
    """Figures of a period for the manager's digest, and the once-a-day marks of jobs."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def new_customers(self, *, since: datetime, until: datetime) -> int:
        """Customers (not merged) created in (since, until]."""
        cur = await self._conn.execute(
            "SELECT COUNT(*) FROM customers WHERE merged_into_id IS NULL"
            " AND created_at > ? AND created_at <= ?",
            (ts(since), ts(until)),
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def moves(self, *, since: datetime, until: datetime) -> dict[CustomerStatus, int]:
        """Status changes in (since, until] per status reached (captures are not moves)."""
        cur = await self._conn.execute(
            "SELECT to_status, COUNT(*) FROM status_history"
            " WHERE changed_at > ? AND changed_at <= ? AND from_status IS NOT NULL"
            " GROUP BY to_status",
            (ts(since), ts(until)),
        )
        return {CustomerStatus(row[0]): int(row[1]) for row in await cur.fetchall()}

    async def moved_to(
        self, *, status: CustomerStatus, since: datetime, until: datetime
    ) -> list[tuple[int, datetime, int | None]]:
        """(customer, when, by whom) of the customers moved to `status` in (since, until],
        each once (its latest move), in time order."""
        # SQLite returns the other columns of the row holding MAX(): the latest move's author.
        cur = await self._conn.execute(
            "SELECT customer_id, MAX(changed_at) AS at, changed_by FROM status_history"
            " WHERE changed_at > ? AND changed_at <= ? AND to_status = ?"
            " AND from_status IS NOT NULL GROUP BY customer_id ORDER BY at, customer_id",
            (ts(since), ts(until), status.value),
        )
        return [
            (int(row[0]), parse_ts(row[1]), row[2]) for row in await cur.fetchall()
        ]

    async def latest_amount(
        self, *, customer_id: int, since: datetime, until: datetime
    ) -> tuple[int, str] | None:
        """The amount of the customer's latest amount-bearing interaction in (since, until]."""
        cur = await self._conn.execute(
            "SELECT amount_minor, currency FROM interactions"
            " WHERE customer_id = ? AND amount_minor IS NOT NULL"
            " AND occurred_at > ? AND occurred_at <= ?"
            " ORDER BY occurred_at DESC, id DESC LIMIT 1",
            (customer_id, ts(since), ts(until)),
        )
        row = await cur.fetchone()
        return (int(row[0]), str(row[1])) if row else None

    async def overdue_by_owner(self, *, now: datetime) -> dict[int, int]:
        """Follow-ups due before `now` per owner (customers not merged, with an owner)."""
        cur = await self._conn.execute(
            "SELECT owner_id, COUNT(*) FROM customers"
            " WHERE next_followup_at IS NOT NULL AND next_followup_at < ?"
            " AND merged_into_id IS NULL AND owner_id IS NOT NULL GROUP BY owner_id",
            (ts(now),),
        )
        return {int(row[0]): int(row[1]) for row in await cur.fetchall()}

    async def quietest(
        self, *, statuses: Sequence[CustomerStatus], before: datetime | None, limit: int
    ) -> list[int]:
        """Ids of customers (not merged) in `statuses` without contact since before `before`
        (None: any), the longest without contact first."""
        # One index range per status, merged here: SQLite would otherwise sort every customer
        # of all these statuses to find the first few.
        found: list[tuple[str, int]] = []
        for status in statuses:
            bound = " AND " + _QUIET_SINCE + " < ?" if before is not None else ""
            params: list[Any] = [status.value]
            if before is not None:
                params.append(ts(before))
            cur = await self._conn.execute(
                f"SELECT {_QUIET_SINCE}, id FROM customers"  # noqa: S608
                f" WHERE merged_into_id IS NULL AND status = ?{bound}"
                f" ORDER BY {_QUIET_SINCE}, id LIMIT ?",
                (*params, limit),
            )
            found += [(str(row[0]), int(row[1])) for row in await cur.fetchall()]
        found.sort()
        return [customer_id for _, customer_id in found[:limit]]

    async def claim_daily_run(self, *, job: str, run_date: str, at: datetime) -> bool:
        """Mark `job` as done for `run_date`; False when it already ran that day."""
        cur = await self._conn.execute(
            "INSERT INTO daily_runs (job, run_date, ran_at) VALUES (?, ?, ?)"
            " ON CONFLICT (job, run_date) DO NOTHING",
            (job, run_date, ts(at)),
        )
        return cur.rowcount == 1

    async def reschedule_pending(
        self, *, dedupe_key: str, due_at: datetime, payload: dict[str, Any], now: datetime
    ) -> bool:
        """Move a pending outbox row nobody holds (e.g. a digest whose time was changed)."""
        cur = await self._conn.execute(
            "UPDATE outbox SET due_at = ?, payload = ?"
            " WHERE dedupe_key = ? AND state = 'pending' AND due_at != ?"
            " AND (claimed_by IS NULL OR claim_expires_at <= ?)",
            (ts(due_at), json.dumps(payload, ensure_ascii=False, sort_keys=True), dedupe_key,
             ts(due_at), ts(now)),
        )
        return cur.rowcount == 1


def _group(row: aiosqlite.Row) -> GroupChat:
    return GroupChat(
        chat_id=row["chat_id"],
        title=row["title"],
        bound_by=row["bound_by"],
        bound_at=parse_ts(row["bound_at"]),
        show_values=bool(row["show_values"]),
    )


class GroupsRepository:
    """Group chats bound to receive team alerts."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def get(self, *, chat_id: int) -> GroupChat | None:
        """The bound group with this chat id."""
        cur = await self._conn.execute(
            "SELECT * FROM group_chats WHERE chat_id = ?", (chat_id,)
        )
        row = await cur.fetchone()
        return _group(row) if row else None

    async def bound(self) -> list[GroupChat]:
        """Every bound group, oldest binding first."""
        cur = await self._conn.execute("SELECT * FROM group_chats ORDER BY bound_at, chat_id")
        return [_group(row) for row in await cur.fetchall()]

    async def add(
        self, *, chat_id: int, title: str | None, bound_by: int, at: datetime
    ) -> GroupChat:
        """Bind a group (deal values hidden)."""
        await self._conn.execute(
            "INSERT INTO group_chats (chat_id, title, bound_by, bound_at) VALUES (?, ?, ?, ?)",
            (chat_id, title, bound_by, ts(at)),
        )
        group = await self.get(chat_id=chat_id)
        assert group is not None
        return group

    async def delete(self, *, chat_id: int) -> bool:
        """Unbind a group; False when it was not bound."""
        cur = await self._conn.execute("DELETE FROM group_chats WHERE chat_id = ?", (chat_id,))
        return cur.rowcount == 1

    async def set_show_values(self, *, chat_id: int, show: bool) -> GroupChat | None:
        """Show or hide deal values in a group's alerts."""
        await self._conn.execute(
            "UPDATE group_chats SET show_values = ? WHERE chat_id = ?", (int(show), chat_id)
        )
        return await self.get(chat_id=chat_id)

    async def move(self, *, old_chat_id: int, new_chat_id: int) -> bool:
        """A group became a supergroup (Telegram gave it a new id): follow it, with the
        alerts still waiting for it; False when the old id was not bound."""
        cur = await self._conn.execute(
            "UPDATE group_chats SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
        )
        if cur.rowcount != 1:
            return False
        await self._conn.execute(
            "UPDATE outbox SET chat_id = ? WHERE chat_id = ? AND user_id IS NULL"
            " AND state = 'pending'",
            (new_chat_id, old_chat_id),
        )
        return True

    async def cancel_pending(self, *, chat_id: int) -> int:
        """Cancel the alerts still waiting for a group (it was unbound)."""
        cur = await self._conn.execute(
            "UPDATE outbox SET state = 'cancelled', claimed_by = NULL"
            " WHERE chat_id = ? AND user_id IS NULL AND state = 'pending'",
            (chat_id,),
        )
        return cur.rowcount
