"""Repositories: the only place with SQL. Keyword arguments in, pydantic models out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

import aiosqlite

from bot.domain.models import AuditEntry, Invite, Member, Role
from bot.storage.codec import hhmm, parse_hhmm, parse_ts, parse_ts_or_none, ts
from bot.storage.customers import (
    CustomersRepository,
    InteractionsRepository,
    StatusHistoryRepository,
)
from bot.storage.digest import DigestRepository, GroupsRepository
from bot.storage.outbox import OutboxRepository
from bot.storage.rules import RulesRepository
from bot.storage.updates import UpdatesRepository

_MEMBER_COLUMNS = (
    "id, full_name, username, role, language, timezone, quiet_start, quiet_end, digest_time,"
    " active, reachable, created_at, updated_at"
)


def _member(row: aiosqlite.Row) -> Member:
    return Member(
        id=row["id"],
        full_name=row["full_name"],
        username=row["username"],
        role=Role(row["role"]),
        language=row["language"],
        timezone=row["timezone"],
        quiet_start=parse_hhmm(row["quiet_start"]),
        quiet_end=parse_hhmm(row["quiet_end"]),
        digest_time=parse_hhmm(row["digest_time"]) or time(9, 0),
        active=bool(row["active"]),
        reachable=bool(row["reachable"]),
        created_at=parse_ts(row["created_at"]),
        updated_at=parse_ts(row["updated_at"]),
    )


class UsersRepository:
    """Team members."""

    _UPDATABLE = frozenset(
        {"full_name", "username", "role", "language", "timezone", "quiet_start", "quiet_end",
         "digest_time", "active", "reachable"}
    )

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def get(self, *, user_id: int) -> Member | None:
        """The member with this Telegram id, active or not."""
        cur = await self._conn.execute(
            f"SELECT {_MEMBER_COLUMNS} FROM users WHERE id = ?", (user_id,)  # noqa: S608
        )
        row = await cur.fetchone()
        return _member(row) if row else None

    async def add(
        self,
        *,
        user_id: int,
        full_name: str,
        username: str | None,
        role: Role,
        language: str,
        timezone: str,
        at: datetime,
    ) -> Member:
        """Register a new member."""
        await self._conn.execute(
            "INSERT INTO users (id, full_name, username, role, language, timezone,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (user_id, full_name, username, role.value, language, timezone, ts(at), ts(at)),
        )
        member = await self.get(user_id=user_id)
        assert member is not None
        return member

    async def update(self, *, user_id: int, at: datetime, **fields: Any) -> Member:
        """Change some fields of a member (names as in `Member`)."""
        unknown = set(fields) - self._UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        values: list[Any] = []
        for value in fields.values():
            if isinstance(value, time):
                values.append(hhmm(value))
            elif isinstance(value, bool):
                values.append(int(value))
            elif isinstance(value, Role):
                values.append(value.value)
            else:
                values.append(value)
        assignments = ", ".join(f"{name} = ?" for name in fields)
        await self._conn.execute(
            f"UPDATE users SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608
            (*values, ts(at), user_id),
        )
        member = await self.get(user_id=user_id)
        if member is None:
            raise LookupError(f"no member {user_id}")
        return member

    async def all(self, *, active_only: bool = False) -> list[Member]:
        """All members, admins first, then by name."""
        where = "WHERE active = 1" if active_only else ""
        cur = await self._conn.execute(
            f"SELECT {_MEMBER_COLUMNS} FROM users {where}"  # noqa: S608
            " ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END,"
            " full_name COLLATE NOCASE"
        )
        return [_member(row) for row in await cur.fetchall()]

    async def ids_with_role(self, *, roles: Iterable[Role]) -> list[int]:
        """Ids of active members holding one of `roles`."""
        wanted = [r.value for r in roles]
        marks = ", ".join("?" for _ in wanted)
        cur = await self._conn.execute(
            f"SELECT id FROM users WHERE active = 1 AND role IN ({marks}) ORDER BY id",  # noqa: S608
            wanted,
        )
        return [int(row[0]) for row in await cur.fetchall()]


def _invite(row: aiosqlite.Row) -> Invite:
    return Invite(
        code=row["code"],
        role=Role(row["role"]),
        created_by=row["created_by"],
        created_at=parse_ts(row["created_at"]),
        expires_at=parse_ts(row["expires_at"]),
        used_by=row["used_by"],
        used_at=parse_ts_or_none(row["used_at"]),
    )


class InvitesRepository:
    """One-time invite codes."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(
        self, *, code: str, role: Role, created_by: int, at: datetime, expires_at: datetime
    ) -> Invite:
        """Store a new unused invite."""
        await self._conn.execute(
            "INSERT INTO invites (code, role, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (code, role.value, created_by, ts(at), ts(expires_at)),
        )
        invite = await self.get(code=code)
        assert invite is not None
        return invite

    async def get(self, *, code: str) -> Invite | None:
        """The invite with this code, used or not."""
        cur = await self._conn.execute("SELECT * FROM invites WHERE code = ?", (code,))
        row = await cur.fetchone()
        return _invite(row) if row else None

    async def mark_used(self, *, code: str, used_by: int, at: datetime) -> bool:
        """Consume the invite; False when it was already used (a race lost)."""
        cur = await self._conn.execute(
            "UPDATE invites SET used_by = ?, used_at = ? WHERE code = ? AND used_by IS NULL",
            (used_by, ts(at), code),
        )
        return cur.rowcount == 1

    async def delete_expired(self, *, before: datetime) -> int:
        """Drop unused invites that expired before `before`; returns how many."""
        cur = await self._conn.execute(
            "DELETE FROM invites WHERE used_by IS NULL AND expires_at < ?", (ts(before),)
        )
        return cur.rowcount


class AuditRepository:
    """The append-only record of every change."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        actor_id: int | None,
        action: str,
        entity: str,
        entity_id: str | int | None,
        at: datetime,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Record one change."""
        await self._conn.execute(
            "INSERT INTO audit_log (actor_id, action, entity, entity_id, details, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                actor_id,
                action,
                entity,
                None if entity_id is None else str(entity_id),
                json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
                ts(at),
            ),
        )

    async def recent(
        self, *, entity: str | None = None, entity_id: str | int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """The newest entries first, optionally for one entity."""
        clauses, params = [], []
        if entity is not None:
            clauses.append("entity = ?")
            params.append(entity)
        if entity_id is not None:
            clauses.append("entity_id = ?")
            params.append(str(entity_id))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        cur = await self._conn.execute(
            f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?",  # noqa: S608
            (*params, limit),
        )
        return [
            AuditEntry(
                id=row["id"],
                actor_id=row["actor_id"],
                action=row["action"],
                entity=row["entity"],
                entity_id=row["entity_id"],
                details=json.loads(row["details"]),
                at=parse_ts(row["at"]),
            )
            for row in await cur.fetchall()
        ]


class PTBRepository:
    """Documents of python-telegram-bot's persistence (JSON)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def load(self, *, kind: str) -> dict[int, Any]:
        """Every stored document of a kind ('user', 'chat', 'bot', 'callback'), by key."""
        cur = await self._conn.execute("SELECT key, data FROM ptb_data WHERE kind = ?", (kind,))
        return {int(row["key"]): json.loads(row["data"]) for row in await cur.fetchall()}

    async def save(self, *, kind: str, key: int, data: Any) -> None:
        """Replace one document."""
        await self._conn.execute(
            "INSERT INTO ptb_data (kind, key, data) VALUES (?, ?, ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
            (kind, key, json.dumps(data, ensure_ascii=False)),
        )

    async def delete(self, *, kind: str, key: int) -> None:
        """Remove one document."""
        await self._conn.execute("DELETE FROM ptb_data WHERE kind = ? AND key = ?", (kind, key))

    async def conversations(self, *, name: str) -> dict[tuple[str | int, ...], object]:
        """The states of one named conversation, by key."""
        cur = await self._conn.execute(
            "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
        )
        return {
            tuple(json.loads(row["key"])): json.loads(row["state"])
            for row in await cur.fetchall()
        }

    async def save_conversation(
        self, *, name: str, key: tuple[str | int, ...], state: object | None
    ) -> None:
        """Store a conversation's state; None ends it."""
        encoded_key = json.dumps(list(key))
        if state is None:
            await self._conn.execute(
                "DELETE FROM ptb_conversations WHERE name = ? AND key = ?", (name, encoded_key)
            )
            return
        await self._conn.execute(
            "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?)"
            " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, encoded_key, json.dumps(state)),
        )


class Repositories:
    """The repositories bound to one connection, inside `Database.read/transaction`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.users = UsersRepository(conn)
        self.invites = InvitesRepository(conn)
        self.audit = AuditRepository(conn)
        self.ptb = PTBRepository(conn)
        self.customers = CustomersRepository(conn)
        self.interactions = InteractionsRepository(conn)
        self.status_history = StatusHistoryRepository(conn)
        self.updates = UpdatesRepository(conn)
        self.outbox = OutboxRepository(conn)
        self.digest = DigestRepository(conn)
        self.groups = GroupsRepository(conn)
        self.rules = RulesRepository(conn)

