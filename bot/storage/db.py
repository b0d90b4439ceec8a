"""The SQLite database: one connection per process, migrations, transactions."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiosqlite

from bot.clock import Clock
from bot.storage.codec import ts
from bot.storage.repositories import Repositories

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(Exception):
    """The database cannot be used; the message says why, for a person."""


@dataclass(frozen=True)
class Migration:
    """One versioned SQL script."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The migration scripts shipped with the package, in version order."""
    found = []
    for entry in resources.files("bot.storage").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StorageError(f"migration versions are not 1..N without gaps: {versions}")
    return found


class Database:
    """The process's one SQLite connection; every use goes through `read` or `transaction`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, clock: Clock) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path
        self.clock = clock

    @classmethod
    async def open(cls, path: Path, clock: Clock, *, migrate: bool = True) -> Database:
        """Open (creating the directory and file), configure and migrate the database."""
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open the database at {path}: {exc}") from None
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA synchronous=NORMAL")
            # SQLite would checkpoint the WAL inside whichever commit crosses 1000 pages,
            # stalling that user's request (7 ms, or 0.4 s after a large rules pass); the
            # `checkpoint` job does it in the background instead (see bot/reminders).
            await conn.execute("PRAGMA wal_autocheckpoint=0")
            conn.row_factory = aiosqlite.Row
            db = cls(conn, path, clock)
            if migrate:
                await db.migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        async with self._lock:
            await self._conn.close()

    async def checkpoint(self) -> tuple[int, int]:
        """Copy the WAL back into the database without blocking readers or writers;
        returns (pages in the WAL, pages copied)."""
        async with self._lock:
            cur = await self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            row = await cur.fetchone()
        return (int(row[1]), int(row[2])) if row else (0, 0)

    async def schema_version(self) -> int:
        """The highest migration applied, 0 for an empty database."""
        async with self._lock:
            return await self._schema_version()

    async def _schema_version(self) -> int:
        cur = await self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        )
        if await cur.fetchone() is None:
            return 0
        cur = await self._conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> list[int]:
        """Apply the migrations this database lacks; returns the versions applied."""
        migrations = load_migrations()
        latest = migrations[-1].version if migrations else 0
        applied: list[int] = []
        async with self._lock:
            await self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = await self._schema_version()
            if current > latest:
                raise StorageError(
                    f"the database {self.path} has schema version {current}, newer than this "
                    f"telecrm knows ({latest}); upgrade telecrm or use another database"
                )
            for migration in migrations:
                if migration.version <= current:
                    continue
                await self._apply(migration)
                applied.append(migration.version)
        if applied:
            log.info("database migrated to schema version %d", applied[-1])
        return applied

    async def _apply(self, migration: Migration) -> None:
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            # executescript would COMMIT first; run the statements one by one instead
            # so that a failing migration leaves no trace.
            for statement in _split_sql(migration.sql):
                await self._conn.execute(statement)
            await self._conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, ts(self.clock.now())),
            )
            await self._conn.execute("COMMIT")
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Repositories]:
        """Repositories for reading; sees only committed data."""
        async with self._lock:
            yield Repositories(self._conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """Repositories inside one write transaction: all or nothing."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Repositories(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3.complete_statement decides)."""
    statements: list[str] = []
    buffer = ""
    pieces = script.split(";")
    # Cut at each ';' that completes a statement (complete_statement knows about strings,
    # comments and trigger bodies), so several statements may share a line.
    for index, piece in enumerate(pieces):
        buffer += piece if index == len(pieces) - 1 else piece + ";"
        if buffer.endswith(";") and sqlite3.complete_statement(buffer):
            statement = _drop_leading_comments(buffer)
            if statement.strip(" \n\t;"):
                statements.append(statement)
            buffer = ""
    if _drop_leading_comments(buffer):
        raise StorageError("a migration ends in an incomplete SQL statement")
    return statements


def _drop_leading_comments(sql: str) -> str:
    lines = sql.strip().splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
        lines.pop(0)
    return "\n".join(lines).strip()
