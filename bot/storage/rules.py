"""The rules pass's SQL, set-based: customers due for a rule are staged in a temporary table
by a few range queries, then each write (status moves, history, audit, outbox rows for every
reader) is one INSERT ... SELECT or UPDATE ... FROM over the staged rows, not one per customer.

Outbox dedupe keys are made here, in SQL, from the rule, the customer, its quiet-since time
(the last contact, or creation; for nudges also the status) and the reader: a new contact
starts a new cycle; the same pass run twice writes each message once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import aiosqlite

from bot.domain.models import CustomerStatus, ValueTier
from bot.domain.rules import Decision, Purchases, QuietWindow
from bot.storage.codec import ts

# The expression of migration 0005's index: the inactivity clock starts at creation for a
# customer never contacted. Queries must spell it exactly like this to use the index.
_QUIET_SINCE = "COALESCE(c.last_contact_at, c.created_at)"

# Temporary tables live in this connection only and vanish with it.
_CREATE_DUE = (
    "CREATE TEMP TABLE IF NOT EXISTS rules_due ("
    " customer_id INTEGER PRIMARY KEY, owner_id INTEGER, from_status TEXT NOT NULL,"
    " quiet_since TEXT NOT NULL, decision TEXT NOT NULL, threshold_days INTEGER)"
)
_CREATE_TIERS = (
    "CREATE TEMP TABLE IF NOT EXISTS rules_tiers ("
    " customer_id INTEGER PRIMARY KEY, owner_id INTEGER, from_tier TEXT NOT NULL,"
    " to_tier TEXT NOT NULL, tell INTEGER NOT NULL)"
)
# The message's key: rule, customer, (for nudges) status, quiet spell in Unix seconds; the
# reader is appended. Kept short on purpose: the outbox's unique index on it is most of the
# cost of writing many rows at once.
_DUE_KEY = (
    "'rp:' || d.decision || ':' || d.customer_id || ':'"
    " || CASE d.decision WHEN 'nudge' THEN d.from_status || ':' ELSE '' END"
    " || strftime('%s', d.quiet_since)"
)
_DUE_PAYLOAD = (
    "json_object('status', d.from_status, 'quiet_since', d.quiet_since,"
    " 'threshold_days', d.threshold_days, 'role', :role)"
)
_OUTBOX = (
    "INSERT INTO outbox (kind, chat_id, user_id, customer_id, payload, dedupe_key, due_at,"
    " created_at)"
)


class TierInput(NamedTuple):
    """A customer's stored tiers and purchase figures (a tuple: the pass reads 100k)."""

    customer_id: int
    owner_id: int | None
    value_tier: ValueTier
    override: ValueTier | None
    purchases: Purchases


class TierChange(NamedTuple):
    """A computed tier that differs from the stored one; `tell`: notify the owner."""

    customer_id: int
    owner_id: int | None
    from_tier: ValueTier
    to_tier: ValueTier
    tell: bool


def _when(text: str) -> datetime:
    # fromisoformat reads our 'YYYY-MM-DDTHH:MM:SS.ffffffZ' about 20 times faster than the
    # codec's strptime, which matters for 100,000 rows.
    return datetime.fromisoformat(text)


class RulesRepository:
    """What the periodic rules pass reads and writes, in bulk."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def begin(self) -> None:
        """Empty staging tables for a pass (in the pass's transaction)."""
        for create in (_CREATE_DUE, _CREATE_TIERS):
            await self._conn.execute(create)
        await self.end()  # a pass that failed half-way rolled back, but be sure

    async def end(self) -> None:
        """Leave nothing staged behind (the tables stay, empty, for the next pass)."""
        await self._conn.execute("DELETE FROM temp.rules_due")
        await self._conn.execute("DELETE FROM temp.rules_tiers")

    # -- inactivity --------------------------------------------------------------------------

    async def stage_quiet(self, *, window: QuietWindow) -> int:
        """Stage the customers (not merged) in the window's status whose quiet-since time
        falls in it, with its decision; returns how many."""
        lower = "" if window.after is None else f" AND {_QUIET_SINCE} > :after"
        cur = await self._conn.execute(
            "INSERT INTO temp.rules_due (customer_id, owner_id, from_status, quiet_since,"  # noqa: S608
            " decision, threshold_days)"
            f" SELECT c.id, c.owner_id, c.status, {_QUIET_SINCE}, :decision, :days"
            " FROM customers AS c WHERE c.status = :status AND c.merged_into_id IS NULL"
            f"   AND {_QUIET_SINCE} <= :until{lower}",
            {"decision": window.decision.value, "days": window.threshold_days,
             "status": window.status.value, "until": ts(window.until),
             "after": ts(window.after) if window.after else None},
        )
        return cur.rowcount

    async def stage_dormant(self, *, until: datetime) -> int:
        """Stage the churn warnings (not merged) with neither a contact nor their (latest)
        move into churn_warning after `until`; returns how many."""
        cur = await self._conn.execute(
            "INSERT INTO temp.rules_due (customer_id, owner_id, from_status, quiet_since,"  # noqa: S608
            " decision, threshold_days)"
            " SELECT id, owner_id, 'churn_warning', quiet, :decision, NULL FROM ("
            f"   SELECT c.id, c.owner_id, {_QUIET_SINCE} AS quiet,"
            "     (SELECT MAX(h.changed_at) FROM status_history AS h"
            "       WHERE h.customer_id = c.id AND h.to_status = 'churn_warning') AS warned"
            "   FROM customers AS c WHERE c.status = 'churn_warning'"
            f"     AND c.merged_into_id IS NULL AND {_QUIET_SINCE} <= :until)"
            " WHERE warned IS NULL OR warned <= :until",
            {"decision": Decision.DORMANT.value, "until": ts(until)},
        )
        return cur.rowcount

    async def move_staged(
        self, *, decision: Decision, to_status: CustomerStatus, rule: str, at: datetime
    ) -> int:
        """Move the staged customers of `decision` to `to_status`: status history (changed by
        the system), audit rows (no actor), the customers; returns how many moved."""
        values = {"decision": decision.value, "to": to_status.value, "rule": rule, "at": ts(at)}
        await self._conn.execute(
            "INSERT INTO status_history (customer_id, changed_by, from_status, to_status,"
            " changed_at) SELECT d.customer_id, NULL, d.from_status, :to, :at"
            " FROM temp.rules_due AS d WHERE d.decision = :decision",
            values,
        )
        await self._conn.execute(
            "INSERT INTO audit_log (actor_id, action, entity, entity_id, details, at)"
            " SELECT NULL, 'customer.status_changed', 'customer', CAST(d.customer_id AS TEXT),"
            "   json_object('from', d.from_status, 'quiet_since', d.quiet_since, 'rule', :rule,"
            "     'threshold_days', d.threshold_days, 'to', :to), :at"
            " FROM temp.rules_due AS d WHERE d.decision = :decision",
            values,
        )
        cur = await self._conn.execute(
            # IN rather than UPDATE ... FROM, which SQLite plans as a scan of all customers.
            "UPDATE customers SET status = :to, updated_at = :at WHERE id IN ("
            "   SELECT d.customer_id FROM temp.rules_due AS d WHERE d.decision = :decision)",
            values,
        )
        return cur.rowcount

    async def queue_for_owners(self, *, decision: Decision, kind: str, at: datetime,
                               most: int | None = None) -> int:
        """A message to the owner (if an active member) of each staged customer of
        `decision` — with `most`, only for owners with at most that many; returns how many
        were new."""
        crowded = (
            " AND d.owner_id IN (SELECT owner_id FROM temp.rules_due WHERE decision = :decision"
            "   GROUP BY owner_id HAVING COUNT(*) <= :most)" if most is not None else ""
        )
        cur = await self._conn.execute(
            f"{_OUTBOX} SELECT :kind, d.owner_id, d.owner_id, d.customer_id, {_DUE_PAYLOAD},"  # noqa: S608
            f"   {_DUE_KEY} || ':u' || d.owner_id, :at, :at"
            " FROM temp.rules_due AS d JOIN users AS u ON u.id = d.owner_id AND u.active = 1"
            f" WHERE d.decision = :decision{crowded}"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            {"kind": kind, "decision": decision.value, "role": "owner", "at": ts(at),
             "most": most},
        )
        return cur.rowcount

    async def fold_crowded(self, *, kind: str, at: datetime, more_than: int, shown: int
                           ) -> dict[int, tuple[int, list[int]]]:
        """Readers given more than `more_than` rows of `kind` by this pass (written at `at`):
        their rows are cancelled — the dedupe keys stay taken, so later passes do not send
        them either — and how many there were and the first `shown` customers returned."""
        cur = await self._conn.execute(
            "SELECT user_id, COUNT(*) FROM outbox WHERE state = 'pending' AND due_at = ?"
            " AND kind = ? AND created_at = ? GROUP BY user_id HAVING COUNT(*) > ?",
            (ts(at), kind, ts(at), more_than),
        )
        folded: dict[int, tuple[int, list[int]]] = {}
        for user_id, count in await cur.fetchall():
            ids = await self._conn.execute(
                "SELECT customer_id FROM outbox WHERE state = 'pending' AND due_at = ?"
                " AND kind = ? AND created_at = ? AND user_id = ? ORDER BY id LIMIT ?",
                (ts(at), kind, ts(at), user_id, shown),
            )
            folded[int(user_id)] = (int(count), [int(r[0]) for r in await ids.fetchall()])
            await self._conn.execute(
                "UPDATE outbox SET state = 'cancelled', last_error = 'summarised'"
                " WHERE state = 'pending' AND due_at = ? AND kind = ? AND created_at = ?"
                " AND user_id = ?",
                (ts(at), kind, ts(at), user_id),
            )
        return folded

    async def crowded_owners(self, *, decision: Decision, more_than: int, shown: int
                             ) -> dict[int, tuple[int, list[int]]]:
        """Active owners with more than `more_than` staged customers of `decision`: how many,
        and the ids of the longest quiet `shown`."""
        cur = await self._conn.execute(
            "SELECT d.owner_id, COUNT(*) FROM temp.rules_due AS d"
            " JOIN users AS u ON u.id = d.owner_id AND u.active = 1"
            " WHERE d.decision = ? GROUP BY d.owner_id HAVING COUNT(*) > ?",
            (decision.value, more_than),
        )
        crowded: dict[int, tuple[int, list[int]]] = {}
        for owner_id, count in await cur.fetchall():
            ids = await self._conn.execute(
                "SELECT customer_id FROM temp.rules_due WHERE decision = ? AND owner_id = ?"
                " ORDER BY quiet_since, customer_id LIMIT ?",
                (decision.value, owner_id, shown),
            )
            crowded[int(owner_id)] = (int(count), [int(r[0]) for r in await ids.fetchall()])
        return crowded

    async def queue_for_members(
        self, *, decision: Decision, kind: str, member_ids: Sequence[int], role: str,
        at: datetime,
    ) -> int:
        """A message to each of `member_ids` (but the customer's owner) per staged customer of
        `decision`; returns how many were new."""
        cur = await self._conn.execute(
            f"{_OUTBOX} SELECT :kind, m.value, m.value, d.customer_id, {_DUE_PAYLOAD},"  # noqa: S608
            f"   {_DUE_KEY} || ':u' || m.value, :at, :at"
            " FROM temp.rules_due AS d JOIN json_each(:members) AS m"
            " WHERE d.decision = :decision AND d.owner_id IS NOT m.value"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            {"kind": kind, "decision": decision.value, "role": role, "at": ts(at),
             "members": json.dumps(list(member_ids))},
        )
        return cur.rowcount

    async def queue_for_groups(
        self, *, decision: Decision, kind: str, event: str, chat_ids: Sequence[int],
        at: datetime,
    ) -> int:
        """A group alert {"event", "customer_id"} to each of `chat_ids` per staged customer
        of `decision`; returns how many were new."""
        cur = await self._conn.execute(
            f"{_OUTBOX} SELECT :kind, g.value, NULL, d.customer_id,"  # noqa: S608
            "   json_object('customer_id', d.customer_id, 'event', :event),"
            f"   {_DUE_KEY} || ':g' || g.value, :at, :at"
            " FROM temp.rules_due AS d JOIN json_each(:groups) AS g"
            " WHERE d.decision = :decision"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            {"kind": kind, "decision": decision.value, "event": event, "at": ts(at),
             "groups": json.dumps(list(chat_ids))},
        )
        return cur.rowcount

    async def staged(self, *, decision: Decision, limit: int) -> list[int]:
        """Ids of staged customers of `decision`, the longest quiet first."""
        cur = await self._conn.execute(
            "SELECT customer_id FROM temp.rules_due WHERE decision = ?"
            " ORDER BY quiet_since, customer_id LIMIT ?",
            (decision.value, limit),
        )
        return [int(row[0]) for row in await cur.fetchall()]

    async def bound_groups(self) -> list[int]:
        """The group chats bound to receive team alerts."""
        cur = await self._conn.execute("SELECT chat_id FROM group_chats ORDER BY chat_id")
        return [int(row[0]) for row in await cur.fetchall()]

    # -- value tiers -------------------------------------------------------------------------

    async def tier_inputs(
        self, *, window_start: datetime, currency: str, neutral: ValueTier
    ) -> list[TierInput]:
        """Purchase figures of every customer (not merged) who bought, plus those who never
        did but whose stored tier is not `neutral` (the tier of customers who never bought;
        nobody else's tier can change)."""
        # Both halves run on migration 0005's partial indexes: one GROUP BY over the
        # amount-bearing interactions only, joined to customers by id, and the few customers
        # holding another tier. A scan of all customers would cost several times as much.
        # The literal (our enum's value, not input) lets SQLite match the partial index.
        cur = await self._conn.execute(
            "SELECT c.id, c.owner_id, c.value_tier, c.value_tier_override, p.n, p.amount,"  # noqa: S608
            "   p.last"
            " FROM (SELECT customer_id, SUM(occurred_at >= :start) AS n,"
            "     SUM(CASE WHEN occurred_at >= :start AND currency = :currency"
            "         THEN amount_minor ELSE 0 END) AS amount,"
            "     MAX(occurred_at) AS last"
            "   FROM interactions WHERE amount_minor IS NOT NULL GROUP BY customer_id) AS p"
            " JOIN customers AS c ON c.id = p.customer_id"
            " WHERE c.merged_into_id IS NULL"
            " UNION ALL"
            " SELECT c.id, c.owner_id, c.value_tier, c.value_tier_override, 0, 0, NULL"
            " FROM customers AS c"
            f" WHERE c.value_tier != '{neutral.value}' AND c.merged_into_id IS NULL"
            "   AND NOT EXISTS (SELECT 1 FROM interactions AS i"
            "     WHERE i.customer_id = c.id AND i.amount_minor IS NOT NULL)",
            {"start": ts(window_start), "currency": currency},
        )
        cur.row_factory = None  # plain tuples: 100k sqlite3.Row objects are not free
        tiers = {t.value: t for t in ValueTier}
        return [
            TierInput(cid, owner, tiers[tier], tiers[override] if override else None,
                      Purchases(frequency, amount, _when(last) if last else None))
            for cid, owner, tier, override, frequency, amount, last in await cur.fetchall()
        ]

    async def apply_tiers(
        self, *, changes: Sequence[TierChange], kind: str, at: datetime
    ) -> tuple[int, int]:
        """Store computed tiers (audit row each, no actor) and queue a message to the owner
        (if an active member) of each change marked `tell`; returns (changed, messages)."""
        if not changes:
            return 0, 0
        await self._conn.executemany(
            "INSERT INTO temp.rules_tiers (customer_id, owner_id, from_tier, to_tier, tell)"
            " VALUES (?, ?, ?, ?, ?)",
            [(c.customer_id, c.owner_id, c.from_tier.value, c.to_tier.value, int(c.tell))
             for c in changes],
        )
        values = {"at": ts(at), "kind": kind}
        cur = await self._conn.execute(
            "UPDATE customers SET updated_at = :at, value_tier = (SELECT t.to_tier"
            "   FROM temp.rules_tiers AS t WHERE t.customer_id = customers.id)"
            " WHERE id IN (SELECT t.customer_id FROM temp.rules_tiers AS t)",
            values,
        )
        changed = cur.rowcount
        await self._conn.execute(
            "INSERT INTO audit_log (actor_id, action, entity, entity_id, details, at)"
            " SELECT NULL, 'customer.tier_computed', 'customer', CAST(t.customer_id AS TEXT),"
            "   json_object('from', t.from_tier, 'to', t.to_tier), :at"
            " FROM temp.rules_tiers AS t",
            values,
        )
        cur = await self._conn.execute(
            f"{_OUTBOX} SELECT :kind, t.owner_id, t.owner_id, t.customer_id,"  # noqa: S608
            "   json_object('from', t.from_tier, 'to', t.to_tier),"
            "   'rp:tier:' || t.customer_id || ':' || t.to_tier || ':' || strftime('%s', :at)"
            "     || ':u' || t.owner_id, :at, :at"
            " FROM temp.rules_tiers AS t JOIN users AS u ON u.id = t.owner_id AND u.active = 1"
            " WHERE t.tell"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            values,
        )
        return changed, cur.rowcount
