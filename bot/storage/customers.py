"""Repositories of the customer book: customers and their search index, interactions, history."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

import aiosqlite

from bot.domain.models import (
    ChurnReason,
    Customer,
    CustomerKind,
    CustomerStatus,
    Demand,
    Interaction,
    InteractionKind,
    Sentiment,
    StatusChange,
    ValueTier,
)
from bot.domain.search import Candidate
from bot.storage import search_index
from bot.storage.codec import parse_ts, parse_ts_or_none, ts, ts_or_none

# The contact sets come back as JSON arrays, in their stored order (primary first).
_CUSTOMER_COLUMNS = """
    c.*,
    (SELECT json_group_array(phone) FROM (SELECT phone FROM customer_phones
        WHERE customer_id = c.id ORDER BY position, phone)) AS phones_json,
    (SELECT json_group_array(email) FROM (SELECT email FROM customer_emails
        WHERE customer_id = c.id ORDER BY position, email)) AS emails_json,
    (SELECT json_group_array(tag) FROM (SELECT tag FROM customer_tags
        WHERE customer_id = c.id ORDER BY rowid)) AS tags_json
"""

# Fields whose change alters what the search index holds (merging removes the customer).
_INDEXED = frozenset(
    {"name", "company", "phones", "emails", "telegram_username", "tags", "owner_id",
     "merged_into_id"}
)
_SETS = {"phones": "customer_phones", "emails": "customer_emails", "tags": "customer_tags"}


def _customer(row: aiosqlite.Row) -> Customer:
    return Customer(
        id=row["id"],
        name=row["name"],
        company=row["company"],
        kind=CustomerKind(row["kind"]),
        phones=tuple(json.loads(row["phones_json"])),
        emails=tuple(json.loads(row["emails_json"])),
        telegram_username=row["telegram_username"],
        city=row["city"],
        source=row["source"],
        demand=Demand(row["demand"]) if row["demand"] else None,
        status=CustomerStatus(row["status"]),
        value_tier=ValueTier(row["value_tier"]),
        value_tier_override=(
            ValueTier(row["value_tier_override"]) if row["value_tier_override"] else None
        ),
        tags=tuple(json.loads(row["tags_json"])),
        notes=row["notes"],
        owner_id=row["owner_id"],
        referred_by_id=row["referred_by_id"],
        merged_into_id=row["merged_into_id"],
        last_contact_at=parse_ts_or_none(row["last_contact_at"]),
        next_followup_at=parse_ts_or_none(row["next_followup_at"]),
        created_by=row["created_by"],
        created_at=parse_ts(row["created_at"]),
        updated_at=parse_ts(row["updated_at"]),
    )


def _column_value(value: Any) -> Any:
    """A Python value as stored in a customers column."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return ts(value)
    return value


def _marks(values: Collection[Any]) -> str:
    return ", ".join("?" for _ in values)


class CustomersRepository:
    """Customers, their phones, emails and tags, and the search index over them."""

    _UPDATABLE = frozenset(Customer.model_fields) - {"id", "created_at", "updated_at"}

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    # -- one customer ------------------------------------------------------------------------

    async def add(
        self,
        *,
        name: str,
        company: str | None,
        kind: CustomerKind,
        phones: Sequence[str],
        emails: Sequence[str],
        telegram_username: str | None,
        city: str | None,
        source: str | None,
        demand: Demand | None,
        tags: Sequence[str],
        notes: str | None,
        owner_id: int | None,
        referred_by_id: int | None,
        created_by: int | None,
        at: datetime,
    ) -> Customer:
        """Store a new customer (status potential, value tier normal) and index it."""
        cur = await self._conn.execute(
            "INSERT INTO customers (name, company, kind, telegram_username, city, source, demand,"
            " notes, owner_id, referred_by_id, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name, company, kind.value, telegram_username, city, source,
                demand.value if demand else None, notes, owner_id, referred_by_id, created_by,
                ts(at), ts(at),
            ),
        )
        customer_id = cur.lastrowid
        assert customer_id is not None
        await self._write_sets(customer_id, phones=phones, emails=emails, tags=tags)
        customer = await self.get(customer_id=customer_id)
        assert customer is not None
        await self._index(customer)
        return customer

    async def get(self, *, customer_id: int) -> Customer | None:
        """The customer with this id (merged ones too: `merged_into_id` says where to)."""
        cur = await self._conn.execute(
            f"SELECT {_CUSTOMER_COLUMNS} FROM customers AS c WHERE c.id = ?",  # noqa: S608
            (customer_id,),
        )
        row = await cur.fetchone()
        return _customer(row) if row else None

    async def update(self, *, customer_id: int, at: datetime, **fields: Any) -> Customer:
        """Change some fields (names as in `Customer`; phones, emails, tags replace the sets)."""
        unknown = set(fields) - self._UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        columns = {k: _column_value(v) for k, v in fields.items() if k not in _SETS}
        assignments = "".join(f"{name} = ?, " for name in columns)
        cur = await self._conn.execute(
            f"UPDATE customers SET {assignments}updated_at = ? WHERE id = ?",  # noqa: S608
            (*columns.values(), ts(at), customer_id),
        )
        if cur.rowcount != 1:
            raise LookupError(f"no customer {customer_id}")
        sets = {k: v for k, v in fields.items() if k in _SETS}
        if sets:
            await self._write_sets(customer_id, replace=True, **sets)
        customer = await self.get(customer_id=customer_id)
        assert customer is not None
        if _INDEXED & set(fields):
            await self._index(customer)
        return customer

    async def delete(self, *, customer_id: int) -> bool:
        """Erase a customer with its contacts, interactions and history; False if absent."""
        # The delete trigger of migration 0002 drops the search rows in the same statement.
        cur = await self._conn.execute("DELETE FROM customers WHERE id = ?", (customer_id,))
        return cur.rowcount == 1

    async def _write_sets(
        self, customer_id: int, *, replace: bool = False, **sets: Sequence[str] | None
    ) -> None:
        """Store phones/emails/tags in the given order (the first is the primary)."""
        for field, values in sets.items():
            table = _SETS[field]
            if replace:
                await self._conn.execute(
                    f"DELETE FROM {table} WHERE customer_id = ?", (customer_id,)  # noqa: S608
                )
            kept = search_index.dedupe(values or ())
            if field == "tags":
                await self._conn.executemany(
                    "INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)",
                    [(customer_id, tag) for tag in kept],
                )
            else:
                column = field[:-1]
                await self._conn.executemany(
                    f"INSERT INTO {table} (customer_id, {column}, position)"  # noqa: S608
                    " VALUES (?, ?, ?)",
                    [(customer_id, value, i) for i, value in enumerate(kept)],
                )

    async def _index(self, customer: Customer) -> None:
        """Replace the customer's search rows (none once merged into another)."""
        await self._conn.execute("DELETE FROM customer_search WHERE rowid = ?", (customer.id,))
        await self._conn.execute("DELETE FROM customer_terms WHERE rowid = ?", (customer.id,))
        if customer.merged_into_id is not None:
            return
        doc = search_index.document(
            name=customer.name, company=customer.company, phones=customer.phones,
            emails=customer.emails, username=customer.telegram_username, tags=customer.tags,
            owner_id=customer.owner_id,
        )
        await self._conn.execute(
            "INSERT INTO customer_search (rowid, name, company, contacts, phones, owner, card)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (customer.id, doc.name, doc.company, doc.contacts, doc.phones, doc.owner, doc.card),
        )
        await self._conn.execute(
            "INSERT INTO customer_terms (rowid, words, grams, fuzzy, owner)"
            " VALUES (?, ?, ?, ?, ?)",
            (customer.id, doc.words, doc.grams, doc.fuzzy, doc.owner),
        )

    async def reindex(self, *, customer_ids: Collection[int] | None = None) -> int:
        """Rebuild the search rows of these customers (None: all); returns how many."""
        if customer_ids is None:
            cur = await self._conn.execute("SELECT id FROM customers")
            ids = [int(row[0]) for row in await cur.fetchall()]
        else:
            ids = list(customer_ids)
        for start in range(0, len(ids), 500):  # bounded memory for a whole book
            for customer in await self._many(ids[start : start + 500]):
                await self._index(customer)
        return len(ids)

    # -- several customers -------------------------------------------------------------------

    async def get_many(self, *, customer_ids: Sequence[int]) -> list[Customer]:
        """These customers in the order given (absent ones skipped): one query, not N."""
        return await self._many(customer_ids)

    async def _many(self, customer_ids: Sequence[int]) -> list[Customer]:
        """These customers, in the order of the ids given (absent ones skipped)."""
        found: dict[int, Customer] = {}
        # Chunks stay far below SQLite's limit on bound parameters.
        for start in range(0, len(customer_ids), 500):
            chunk = customer_ids[start : start + 500]
            cur = await self._conn.execute(
                f"SELECT {_CUSTOMER_COLUMNS} FROM customers AS c"  # noqa: S608
                f" WHERE c.id IN ({_marks(chunk)})",
                tuple(chunk),
            )
            found.update((row["id"], _customer(row)) for row in await cur.fetchall())
        return [found[i] for i in customer_ids if i in found]

    async def by_phone(self, *, phones: Sequence[str]) -> list[Customer]:
        """Customers (not merged) holding one of these E.164 phones, oldest first."""
        wanted = search_index.dedupe(phones)
        if not wanted:
            return []
        cur = await self._conn.execute(
            "SELECT DISTINCT p.customer_id FROM customer_phones AS p"  # noqa: S608
            " JOIN customers AS c ON c.id = p.customer_id"
            f" WHERE p.phone IN ({_marks(wanted)}) AND c.merged_into_id IS NULL"
            " ORDER BY p.customer_id",
            wanted,
        )
        return await self._many([int(row[0]) for row in await cur.fetchall()])

    async def by_email(self, *, emails: Sequence[str]) -> list[Customer]:
        """Customers (not merged) holding one of these emails, ignoring case, oldest first."""
        wanted = search_index.dedupe(emails)
        if not wanted:
            return []
        cur = await self._conn.execute(
            "SELECT DISTINCT e.customer_id FROM customer_emails AS e"  # noqa: S608
            " JOIN customers AS c ON c.id = e.customer_id"
            f" WHERE e.email COLLATE NOCASE IN ({_marks(wanted)}) AND c.merged_into_id IS NULL"
            " ORDER BY e.customer_id",
            wanted,
        )
        return await self._many([int(row[0]) for row in await cur.fetchall()])

    async def duplicate_candidates(
        self,
        *,
        name: str,
        company: str | None,
        phones: Sequence[str],
        emails: Sequence[str],
        limit: int = 50,
    ) -> list[Customer]:
        """Customers (not merged) a new one may duplicate: same phone, email, or similar name."""
        # In this order: same phone, same email, every name word equal (汉字: containing the
        # name), every name word at most one edit away; newest first within each.
        del company  # the final judgement (bot.domain.duplicates) weighs the company
        ids = [c.id for c in await self.by_phone(phones=phones)]
        ids += [c.id for c in await self.by_email(emails=emails) if c.id not in ids]
        plan = search_index.plan(name)
        for match in (plan.whole, plan.fuzzy):
            if match and len(ids) < limit:
                ids += await self._matching_ids(
                    "customer_terms", match, owner_ids=None, exclude=ids, limit=limit - len(ids)
                )
        return await self._many(ids[:limit])

    async def names(self, *, customer_ids: Collection[int]) -> dict[int, str]:
        """The names of these customers, by id (absent ids left out)."""
        ids = list(dict.fromkeys(customer_ids))
        names: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cur = await self._conn.execute(
                f"SELECT id, name FROM customers WHERE id IN ({_marks(chunk)})",  # noqa: S608
                chunk,
            )
            names.update((int(row[0]), row[1]) for row in await cur.fetchall())
        return names

    # -- search ------------------------------------------------------------------------------

    async def search_candidates(
        self,
        *,
        text: str | None = None,
        digits: str | None = None,
        owner_ids: Collection[int] | None = None,
        limit: int = 200,
    ) -> list[Candidate]:
        """Customers (not merged, owned by one of `owner_ids` unless None) a query may mean."""
        # Tiers, each newest first: phones ending with `digits`, phones containing them, then
        # customers whose words start with every word of `text`, those containing every word,
        # those with every word within one edit. bot.domain.search.rank orders them.
        if owner_ids is not None and not owner_ids:
            return []
        tiers: list[tuple[str, str]] = []
        if digits:
            tiers += [("customer_search", m) for m in search_index.phone_matches(digits)]
        if text:
            plan = search_index.plan(text)
            tiers += [("customer_terms", plan.prefix)] if plan.prefix else []
            tiers += [("customer_search", plan.substring)] if plan.substring else []
            tiers += [("customer_terms", plan.fuzzy)] if plan.fuzzy else []
        ids: list[int] = []
        for table, match in tiers:
            if len(ids) >= limit:
                break
            ids += await self._matching_ids(
                table, match, owner_ids=owner_ids, exclude=ids, limit=limit - len(ids)
            )
        return await self._candidates(ids)

    async def _matching_ids(
        self,
        table: str,
        match: str,
        *,
        owner_ids: Collection[int] | None,
        exclude: Sequence[int],
        limit: int,
    ) -> list[int]:
        """Ids of customers whose `table` row matches, newest first."""
        # Newest first because FTS5 yields rows in rowid order and can stop at the limit, where
        # ordering by bm25 would score every match (tens of ms for a common name).
        if owner_ids is not None:
            match = f"({match}) AND {search_index.owner_filter(owner_ids)}"
        where = f"{table} MATCH ?"
        if exclude:
            # Unary + keeps SQLite from driving the FTS lookup from this list, row by row.
            where += f" AND +{table}.rowid NOT IN ({_marks(exclude)})"
        try:
            cur = await self._conn.execute(
                f"SELECT rowid FROM {table} WHERE {where} ORDER BY rowid DESC LIMIT ?",  # noqa: S608
                (match, *exclude, limit),
            )
        except sqlite3.OperationalError as exc:
            # A few letters are word characters to Python but separators to SQLite's older
            # Unicode tables (e.g. New Tai Lue vowels): such a key becomes a phrase, which
            # `detail=column` refuses. Nothing can match it; the other tiers still answer.
            if "phrase queries are not supported" in str(exc):
                return []
            raise
        return [int(row[0]) for row in await cur.fetchall()]

    async def _candidates(self, ids: Sequence[int]) -> list[Candidate]:
        """The candidates with these ids, in this order, from their search rows."""
        if not ids:
            return []
        cur = await self._conn.execute(
            f"SELECT rowid, card FROM customer_search WHERE rowid IN ({_marks(ids)})",  # noqa: S608
            tuple(ids),
        )
        by_id: dict[int, Candidate] = {}
        for row in await cur.fetchall():
            name, company, phones, emails, username, tags = json.loads(row[1])
            by_id[row[0]] = Candidate(
                customer_id=row[0], name=name, company=company, phones=tuple(phones),
                emails=tuple(emails), username=username, tags=tuple(tags),
            )
        return [by_id[i] for i in ids if i in by_id]

    # -- lists -------------------------------------------------------------------------------

    @staticmethod
    def _owner_clause(owner_ids: Collection[int] | None) -> tuple[str, list[Any]]:
        if owner_ids is None:
            return "", []
        return f" AND c.owner_id IN ({_marks(owner_ids)})", list(owner_ids)

    async def list_for_owner(
        self,
        *,
        owner_ids: Collection[int] | None,
        status: CustomerStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Customer]:
        """Customers (not merged) of these owners (None: all), by name, one page."""
        owner_sql, params = self._owner_clause(owner_ids)
        if status is not None:
            owner_sql += " AND c.status = ?"
            params.append(status.value)
        # Ids first: the contact sets are then read for this page only, not for every row
        # the sort goes through.
        cur = await self._conn.execute(
            "SELECT c.id FROM customers AS c"  # noqa: S608
            f" WHERE c.merged_into_id IS NULL{owner_sql}"
            " ORDER BY c.name COLLATE NOCASE, c.id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return await self._many([int(row[0]) for row in await cur.fetchall()])

    async def count_by_status(
        self, *, owner_ids: Collection[int] | None
    ) -> dict[CustomerStatus, int]:
        """Customers (not merged) of these owners (None: all) per status, zeros included."""
        owner_sql, params = self._owner_clause(owner_ids)
        cur = await self._conn.execute(
            "SELECT c.status, COUNT(*) FROM customers AS c"  # noqa: S608
            f" WHERE c.merged_into_id IS NULL{owner_sql} GROUP BY c.status",
            params,
        )
        counts = dict.fromkeys(CustomerStatus, 0)
        for row in await cur.fetchall():
            counts[CustomerStatus(row[0])] = int(row[1])
        return counts

    async def due_followups(
        self, *, owner_id: int, until: datetime, limit: int = 50
    ) -> list[Customer]:
        """The owner's customers (not merged) due by `until`, the longest overdue first."""
        cur = await self._conn.execute(
            f"SELECT {_CUSTOMER_COLUMNS} FROM customers AS c"  # noqa: S608
            " WHERE c.owner_id = ? AND c.next_followup_at IS NOT NULL"
            " AND c.next_followup_at <= ? AND c.merged_into_id IS NULL"
            " ORDER BY c.next_followup_at, c.id LIMIT ?",
            (owner_id, ts(until), limit),
        )
        return [_customer(row) for row in await cur.fetchall()]


def _interaction(row: aiosqlite.Row) -> Interaction:
    return Interaction(
        id=row["id"],
        customer_id=row["customer_id"],
        author_id=row["author_id"],
        kind=InteractionKind(row["kind"]),
        text=row["text"],
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        sentiment=Sentiment(row["sentiment"]) if row["sentiment"] else None,
        next_followup_at=parse_ts_or_none(row["next_followup_at"]),
        occurred_at=parse_ts(row["occurred_at"]),
        created_at=parse_ts(row["created_at"]),
    )


class InteractionsRepository:
    """Calls, meetings, messages, notes, feedback... logged against customers."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        customer_id: int,
        author_id: int | None,
        kind: InteractionKind,
        text: str,
        amount_minor: int | None,
        currency: str | None,
        sentiment: Sentiment | None,
        next_followup_at: datetime | None,
        occurred_at: datetime,
        at: datetime,
    ) -> Interaction:
        """Log one interaction (the customer's own fields are the caller's to update)."""
        cur = await self._conn.execute(
            "INSERT INTO interactions (customer_id, author_id, kind, text, amount_minor,"
            " currency, sentiment, next_followup_at, occurred_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                customer_id, author_id, kind.value, text, amount_minor, currency,
                sentiment.value if sentiment else None, ts_or_none(next_followup_at),
                ts(occurred_at), ts(at),
            ),
        )
        cur = await self._conn.execute(
            "SELECT * FROM interactions WHERE id = ?", (cur.lastrowid,)
        )
        row = await cur.fetchone()
        assert row is not None
        return _interaction(row)

    async def recent(
        self, *, customer_id: int, limit: int = 3, offset: int = 0
    ) -> list[Interaction]:
        """The customer's interactions, the latest occurred first."""
        cur = await self._conn.execute(
            "SELECT * FROM interactions WHERE customer_id = ?"
            " ORDER BY occurred_at DESC, id DESC LIMIT ? OFFSET ?",
            (customer_id, limit, offset),
        )
        return [_interaction(row) for row in await cur.fetchall()]

    async def get(self, *, interaction_id: int) -> Interaction | None:
        """One interaction."""
        cur = await self._conn.execute(
            "SELECT * FROM interactions WHERE id = ?", (interaction_id,)
        )
        row = await cur.fetchone()
        return _interaction(row) if row else None

    async def count(self, *, customer_id: int) -> int:
        """How many interactions the customer has."""
        cur = await self._conn.execute(
            "SELECT COUNT(*) FROM interactions WHERE customer_id = ?", (customer_id,)
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0


def _status_change(row: aiosqlite.Row) -> StatusChange:
    return StatusChange(
        id=row["id"],
        customer_id=row["customer_id"],
        changed_by=row["changed_by"],
        from_status=CustomerStatus(row["from_status"]) if row["from_status"] else None,
        to_status=CustomerStatus(row["to_status"]),
        reason=ChurnReason(row["reason"]) if row["reason"] else None,
        reason_text=row["reason_text"],
        changed_at=parse_ts(row["changed_at"]),
    )


class StatusHistoryRepository:
    """Every move of a customer from one status to another."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        customer_id: int,
        changed_by: int | None,
        from_status: CustomerStatus | None,
        to_status: CustomerStatus,
        reason: ChurnReason | None,
        reason_text: str | None,
        at: datetime,
    ) -> StatusChange:
        """Record one status change (the customer's status is the caller's to update)."""
        cur = await self._conn.execute(
            "INSERT INTO status_history (customer_id, changed_by, from_status, to_status,"
            " reason, reason_text, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                customer_id, changed_by, from_status.value if from_status else None,
                to_status.value, reason.value if reason else None, reason_text, ts(at),
            ),
        )
        cur = await self._conn.execute(
            "SELECT * FROM status_history WHERE id = ?", (cur.lastrowid,)
        )
        row = await cur.fetchone()
        assert row is not None
        return _status_change(row)

    async def for_customer(
        self, *, customer_id: int, limit: int = 20, offset: int = 0
    ) -> list[StatusChange]:
        """The customer's status changes, the latest first."""
        cur = await self._conn.execute(
            "SELECT * FROM status_history WHERE customer_id = ?"
            " ORDER BY changed_at DESC, id DESC LIMIT ? OFFSET ?",
            (customer_id, limit, offset),
        )
        return [_status_change(row) for row in await cur.fetchall()]

    async def count(self, *, customer_id: int) -> int:
        """How many status changes the customer has."""
        cur = await self._conn.execute(
            "SELECT COUNT(*) FROM status_history WHERE customer_id = ?", (customer_id,)
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0
