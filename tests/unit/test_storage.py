"""The SQLite database: opening, migrations, transactions, repositories and the codec."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time as time_module
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.storage.db as db_module
from bot.clock import FakeClock
from bot.domain.models import Member, Role
from bot.storage.codec import hhmm, parse_hhmm, parse_ts, parse_ts_or_none, ts, ts_or_none
from bot.storage.db import Database, Migration, StorageError, load_migrations
from bot.storage.repositories import Repositories

LATEST = load_migrations()[-1].version

DOMAIN_TABLES = {
    "users",
    "customers",
    "customer_phones",
    "customer_emails",
    "customer_tags",
    "interactions",
    "status_history",
    "reminders",
    "invites",
    "group_chats",
    "audit_log",
    "ptb_data",
    "ptb_conversations",
}


async def _scalar(db: Database, sql: str) -> object:
    cur = await db._conn.execute(sql)
    row = await cur.fetchone()
    assert row is not None
    return row[0]


async def _tables(db: Database) -> set[str]:
    cur = await db._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(row[0]) for row in await cur.fetchall()}


async def _add_user(
    tx: Repositories, clock: FakeClock, user_id: int, name: str = "Member", role: Role = Role.REP
) -> Member:
    return await tx.users.add(
        user_id=user_id,
        full_name=name,
        username=None,
        role=role,
        language="en",
        timezone="UTC",
        at=clock.now(),
    )


# --- opening -------------------------------------------------------------------------------


async def test_open_creates_the_directory(tmp_path: Path, clock: FakeClock) -> None:
    """Database.open creates missing parent directories and the file."""
    path = tmp_path / "a" / "b" / "crm.db"
    assert not path.parent.exists()
    database = await Database.open(path, clock)
    try:
        assert path.is_file()
        assert database.path == path
    finally:
        await database.close()


async def test_open_sets_pragmas(db: Database) -> None:
    """The connection uses WAL, enforces foreign keys and waits on a busy database."""
    assert await _scalar(db, "PRAGMA journal_mode") == "wal"
    assert await _scalar(db, "PRAGMA foreign_keys") == 1
    assert await _scalar(db, "PRAGMA busy_timeout") == 5000


async def test_open_unusable_path_is_a_storage_error(tmp_path: Path, clock: FakeClock) -> None:
    """A path that cannot be a database file gives a StorageError naming the path."""
    before = set(threading.enumerate())
    with pytest.raises(StorageError, match="cannot open the database") as info:
        await Database.open(tmp_path, clock)  # a directory
    assert str(tmp_path) in str(info.value)
    # aiosqlite stops its worker thread without waiting after a failed connect; let it finish
    # while this test's event loop is still open.
    deadline = time_module.monotonic() + 5
    while any(t.is_alive() for t in set(threading.enumerate()) - before):
        assert time_module.monotonic() < deadline
        await asyncio.sleep(0.01)


async def test_every_domain_table_exists(db: Database) -> None:
    """The initial migration creates every table of the domain."""
    assert await _tables(db) >= DOMAIN_TABLES


# --- migrations ----------------------------------------------------------------------------


async def test_schema_version_row(db: Database, clock: FakeClock) -> None:
    """A fresh database records each shipped migration, its file name and when it was applied."""
    assert await db.schema_version() == LATEST
    cur = await db._conn.execute(
        "SELECT version, name, applied_at FROM schema_version ORDER BY version"
    )
    rows = [tuple(row) for row in await cur.fetchall()]
    assert rows == [(m.version, m.name, ts(clock.now())) for m in load_migrations()]
    assert rows[0][:2] == (1, "0001_initial.sql")


async def test_migrate_again_is_a_no_op(db: Database) -> None:
    """Re-running migrate() on an up-to-date database applies nothing."""
    assert await db.migrate() == []
    assert await _scalar(db, "SELECT COUNT(*) FROM schema_version") == LATEST


async def test_open_without_migrating(tmp_path: Path, clock: FakeClock) -> None:
    """open(migrate=False) leaves an empty database at version 0; migrate() then applies all."""
    database = await Database.open(tmp_path / "raw.db", clock, migrate=False)
    try:
        assert await database.schema_version() == 0
        assert "users" not in await _tables(database)
        assert await database.migrate() == list(range(1, LATEST + 1))
        assert await database.schema_version() == LATEST
    finally:
        await database.close()


async def test_reopen_keeps_data_and_version(tmp_path: Path, clock: FakeClock) -> None:
    """Closing and reopening keeps committed rows and does not migrate again."""
    path = tmp_path / "crm.db"
    database = await Database.open(path, clock)
    async with database.transaction() as tx:
        await _add_user(tx, clock, 5)
    await database.close()
    database = await Database.open(path, clock)
    try:
        assert await database.migrate() == []
        async with database.read() as repo:
            assert await repo.users.get(user_id=5) is not None
    finally:
        await database.close()


async def test_newer_schema_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    """A database from a newer telecrm is refused, naming its version, on migrate and open."""
    path = tmp_path / "crm.db"
    database = await Database.open(path, clock)
    try:
        await database._conn.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'x', 'y')"
        )
        with pytest.raises(StorageError, match=r"schema version 99"):
            await database.migrate()
    finally:
        await database.close()
    with pytest.raises(StorageError, match=r"99"):
        await Database.open(path, clock)


async def test_failing_migration_leaves_no_trace(db: Database) -> None:
    """A migration failing halfway rolls back its earlier statements and the version."""
    broken = Migration(
        LATEST + 1,
        "9999_broken.sql",
        "CREATE TABLE first_half (x INTEGER);\n"
        "INSERT INTO first_half VALUES (1);\n"
        "ALTER TABLE users ADD COLUMN nickname TEXT;\n"
        "INSERT INTO no_such_table VALUES (1);\n"
        "CREATE TABLE never (y INTEGER);\n",
    )
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await db._apply(broken)
    tables = await _tables(db)
    assert "first_half" not in tables
    assert "never" not in tables
    cur = await db._conn.execute("SELECT name FROM pragma_table_info('users')")
    assert "nickname" not in {row[0] for row in await cur.fetchall()}
    assert await db.schema_version() == LATEST
    # no transaction was left open: a write transaction still works
    async with db.transaction() as tx:
        await tx.audit.add(
            actor_id=None, action="a", entity="e", entity_id=None, at=db.clock.now()
        )


async def test_migrate_applies_new_version_after_a_failure(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """migrate() propagates a failure without advancing, then applies the fixed script."""
    shipped = load_migrations()
    following = LATEST + 1
    broken = Migration(following, "x.sql", "CREATE TABLE extra (x);\nSELECT * FROM nowhere;\n")
    monkeypatch.setattr(db_module, "load_migrations", lambda: [*shipped, broken])
    with pytest.raises(sqlite3.OperationalError):
        await db.migrate()
    assert await db.schema_version() == LATEST
    fixed = Migration(following, "x.sql", "CREATE TABLE extra (x);\n")
    monkeypatch.setattr(db_module, "load_migrations", lambda: [*shipped, fixed])
    assert await db.migrate() == [following]
    assert "extra" in await _tables(db)
    assert await db.schema_version() == following


async def test_two_statements_on_one_line(db: Database) -> None:
    """A migration may put two statements on one line."""
    script = "CREATE TABLE a (x); CREATE TABLE b (y);\n"
    await db._apply(Migration(LATEST + 1, "x.sql", script))
    assert {"a", "b"} <= await _tables(db)


def test_split_sql_keeps_comments_and_semicolons_in_strings() -> None:
    """Comment lines are skipped; a ';' inside a string or a comment does not split."""
    script = (
        "-- header; with a semicolon\n"
        "\n"
        "CREATE TABLE t (\n"
        "    a TEXT DEFAULT 'x;y',  -- trailing; comment\n"
        "    b INTEGER\n"
        ");\n"
        "CREATE INDEX t_a ON t (a);\n"
    )
    statements = db_module._split_sql(script)
    assert len(statements) == 2
    assert statements[0].startswith("CREATE TABLE t (")
    assert statements[0].endswith(");")
    assert statements[1] == "CREATE INDEX t_a ON t (a);"


def test_split_sql_refuses_an_incomplete_statement() -> None:
    """A script ending mid-statement is a StorageError."""
    with pytest.raises(StorageError, match="incomplete"):
        db_module._split_sql("CREATE TABLE t (x);\nCREATE TABLE u (\n")


def test_load_migrations_shipped() -> None:
    """The package ships 0001_initial.sql as version 1 and the rest 2..N, with their SQL."""
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_initial.sql"
    assert "CREATE TABLE users" in migrations[0].sql


def _fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names: list[str]) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name in names:
        (folder / name).write_text(f"-- {name}\n", encoding="utf-8")
    monkeypatch.setattr(db_module, "resources", SimpleNamespace(files=lambda _package: tmp_path))


def test_load_migrations_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripts are returned in version order; other files are ignored."""
    _fake_package(
        tmp_path,
        monkeypatch,
        ["0003_third.sql", "0001_first.sql", "0010_bad-name.sql", "README.md", "0002_second.sql"],
    )
    migrations = load_migrations()
    assert [(m.version, m.name) for m in migrations] == [
        (1, "0001_first.sql"),
        (2, "0002_second.sql"),
        (3, "0003_third.sql"),
    ]
    assert migrations[1].sql == "-- 0002_second.sql\n"


def test_load_migrations_refuses_a_gap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Versions must be 1..N without gaps."""
    _fake_package(tmp_path, monkeypatch, ["0001_first.sql", "0003_third.sql"])
    with pytest.raises(StorageError, match="gaps"):
        load_migrations()


# --- transactions --------------------------------------------------------------------------


async def test_transaction_commits(db: Database, clock: FakeClock) -> None:
    """What a transaction writes is visible after it ends."""
    async with db.transaction() as tx:
        await _add_user(tx, clock, 10)
    async with db.read() as repo:
        assert await repo.users.get(user_id=10) is not None


@pytest.mark.parametrize("error", [RuntimeError("boom"), asyncio.CancelledError()])
async def test_transaction_rolls_back_on_exception(
    db: Database, clock: FakeClock, error: BaseException
) -> None:
    """An exception (even a cancellation) inside a transaction undoes all its writes."""

    async def write_then_fail() -> None:
        async with db.transaction() as tx:
            await _add_user(tx, clock, 10)
            await tx.audit.add(
                actor_id=10, action="x", entity="user", entity_id=10, at=clock.now()
            )
            raise error

    with pytest.raises(type(error)):
        await write_then_fail()
    async with db.read() as repo:
        assert await repo.users.get(user_id=10) is None
        assert await repo.audit.recent() == []
    async with db.transaction() as tx:  # and the connection is usable again
        await _add_user(tx, clock, 11)


async def test_foreign_keys_are_enforced(db: Database, clock: FakeClock) -> None:
    """An invite created by a user who does not exist is refused."""
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with db.transaction() as tx:
            await tx.invites.add(
                code="abc",
                role=Role.REP,
                created_by=424242,
                at=clock.now(),
                expires_at=clock.now() + timedelta(days=7),
            )
    async with db.read() as repo:
        assert await repo.invites.get(code="abc") is None


async def test_role_check_constraint(db: Database, clock: FakeClock) -> None:
    """The schema refuses a role outside admin/manager/rep."""
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await db._conn.execute(
            "INSERT INTO users (id, full_name, role, language, timezone, created_at, updated_at)"
            " VALUES (1, 'x', 'owner', 'en', 'UTC', ?, ?)",
            (ts(clock.now()), ts(clock.now())),
        )


# --- users ---------------------------------------------------------------------------------


async def test_users_add_and_get(db: Database, clock: FakeClock) -> None:
    """A new member has the given fields and the defaults of the schema."""
    async with db.transaction() as tx:
        added = await tx.users.add(
            user_id=7,
            full_name="Zhang Wei",
            username="zw",
            role=Role.MANAGER,
            language="zh",
            timezone="Asia/Shanghai",
            at=clock.now(),
        )
    async with db.read() as repo:
        member = await repo.users.get(user_id=7)
        assert await repo.users.get(user_id=8) is None
    assert member == added
    assert member is not None
    assert (member.id, member.full_name, member.username) == (7, "Zhang Wei", "zw")
    assert (member.role, member.language, member.timezone) == (Role.MANAGER, "zh", "Asia/Shanghai")
    assert (member.quiet_start, member.quiet_end, member.digest_time) == (None, None, time(9, 0))
    assert member.active
    assert member.reachable
    assert member.created_at == member.updated_at == clock.now()


async def test_users_duplicate_id_refused(db: Database, clock: FakeClock) -> None:
    """The Telegram id is the primary key."""
    async with db.transaction() as tx:
        await _add_user(tx, clock, 7)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await _add_user(tx, clock, 7)


async def test_users_update(db: Database, clock: FakeClock) -> None:
    """update changes the named fields and updated_at, and nothing else."""
    async with db.transaction() as tx:
        await _add_user(tx, clock, 7, "Old")
    created = clock.now()
    later = clock.advance(timedelta(hours=2))
    async with db.transaction() as tx:
        member = await tx.users.update(
            user_id=7,
            at=later,
            full_name="New",
            role=Role.ADMIN,
            quiet_start=time(22, 0),
            quiet_end=time(7, 30),
            digest_time=time(8, 15),
            active=False,
            reachable=False,
        )
    async with db.read() as repo:
        assert await repo.users.get(user_id=7) == member
    assert (member.full_name, member.role) == ("New", Role.ADMIN)
    assert (member.quiet_start, member.quiet_end) == (time(22, 0), time(7, 30))
    assert member.digest_time == time(8, 15)
    assert (member.active, member.reachable) == (False, False)
    assert member.username is None
    assert member.created_at == created
    assert member.updated_at == later


async def test_users_update_clears_quiet_hours(db: Database, clock: FakeClock) -> None:
    """None clears a nullable field."""
    async with db.transaction() as tx:
        await _add_user(tx, clock, 7)
        await tx.users.update(user_id=7, at=clock.now(), quiet_start=time(1), quiet_end=time(2))
        member = await tx.users.update(user_id=7, at=clock.now(), quiet_start=None, quiet_end=None)
    assert (member.quiet_start, member.quiet_end) == (None, None)


async def test_users_update_refuses_unknown_fields(db: Database, clock: FakeClock) -> None:
    """Only updatable fields may be changed (no id, no created_at, no SQL)."""
    async with db.transaction() as tx:
        await _add_user(tx, clock, 7)
        for field in ("id", "created_at", "role = 'admin', full_name"):
            with pytest.raises(ValueError, match="cannot update"):
                await tx.users.update(user_id=7, at=clock.now(), **{field: 1})


async def test_users_update_missing_member(db: Database, clock: FakeClock) -> None:
    """Updating a member who does not exist is a LookupError."""
    async with db.transaction() as tx:
        with pytest.raises(LookupError):
            await tx.users.update(user_id=99, at=clock.now(), full_name="x")


async def test_users_all_ordering(db: Database, clock: FakeClock) -> None:
    """Members are listed admins first, then managers, then reps, by name ignoring case."""
    async with db.transaction() as tx:
        await _add_user(tx, clock, 1, "bob", Role.REP)
        await _add_user(tx, clock, 2, "Zed", Role.ADMIN)
        await _add_user(tx, clock, 3, "carol", Role.MANAGER)
        await _add_user(tx, clock, 4, "Anna", Role.REP)
        await _add_user(tx, clock, 5, "Bea", Role.MANAGER)
        await _add_user(tx, clock, 6, "alex", Role.ADMIN)
        await tx.users.update(user_id=1, at=clock.now(), active=False)
    async with db.read() as repo:
        everyone = await repo.users.all()
        active = await repo.users.all(active_only=True)
    assert [m.full_name for m in everyone] == ["alex", "Zed", "Bea", "carol", "Anna", "bob"]
    assert [m.full_name for m in active] == ["alex", "Zed", "Bea", "carol", "Anna"]


async def test_users_ids_with_role(db: Database, clock: FakeClock) -> None:
    """ids_with_role lists active members with one of the roles, by id."""
    async with db.transaction() as tx:
        await _add_user(tx, clock, 30, "a", Role.ADMIN)
        await _add_user(tx, clock, 10, "b", Role.MANAGER)
        await _add_user(tx, clock, 20, "c", Role.REP)
        await _add_user(tx, clock, 40, "d", Role.ADMIN)
        await _add_user(tx, clock, 5, "e", Role.ADMIN)
        await tx.users.update(user_id=40, at=clock.now(), active=False)
    async with db.read() as repo:
        assert await repo.users.ids_with_role(roles=[Role.ADMIN]) == [5, 30]
        assert await repo.users.ids_with_role(roles=[Role.ADMIN, Role.MANAGER]) == [5, 10, 30]
        assert await repo.users.ids_with_role(roles=(Role.REP,)) == [20]
        assert await repo.users.ids_with_role(roles=[]) == []


# --- invites -------------------------------------------------------------------------------


async def test_invites_add_get(db: Database, clock: FakeClock) -> None:
    """An invite is stored unused, with its role, creator and times."""
    expires = clock.now() + timedelta(days=7)
    async with db.transaction() as tx:
        await _add_user(tx, clock, 1, role=Role.ADMIN)
        added = await tx.invites.add(
            code="C0DE", role=Role.MANAGER, created_by=1, at=clock.now(), expires_at=expires
        )
    async with db.read() as repo:
        invite = await repo.invites.get(code="C0DE")
        assert await repo.invites.get(code="c0de") is None
    assert invite == added
    assert invite is not None
    assert (invite.role, invite.created_by) == (Role.MANAGER, 1)
    assert (invite.created_at, invite.expires_at) == (clock.now(), expires)
    assert (invite.used_by, invite.used_at) == (None, None)


async def test_invites_mark_used_once(db: Database, clock: FakeClock) -> None:
    """mark_used succeeds once; a second use (or an unknown code) returns False."""
    async with db.transaction() as tx:
        await _add_user(tx, clock, 1, role=Role.ADMIN)
        await _add_user(tx, clock, 2)
        await _add_user(tx, clock, 3)
        await tx.invites.add(
            code="C", role=Role.REP, created_by=1, at=clock.now(), expires_at=clock.now()
        )
    used_at = clock.advance(timedelta(minutes=5))
    async with db.transaction() as tx:
        assert await tx.invites.mark_used(code="C", used_by=2, at=used_at) is True
        assert await tx.invites.mark_used(code="C", used_by=3, at=clock.now()) is False
        assert await tx.invites.mark_used(code="nope", used_by=3, at=clock.now()) is False
    async with db.read() as repo:
        invite = await repo.invites.get(code="C")
    assert invite is not None
    assert (invite.used_by, invite.used_at) == (2, used_at)


async def test_invites_delete_expired(db: Database, clock: FakeClock) -> None:
    """delete_expired drops unused invites that expired strictly before the time given."""
    day = timedelta(days=1)
    now = clock.now()
    async with db.transaction() as tx:
        await _add_user(tx, clock, 1, role=Role.ADMIN)
        await _add_user(tx, clock, 2)
        for code, expires in [
            ("old", now + day),
            ("edge", now + 2 * day),
            ("new", now + 3 * day),
            ("used", now + day),
        ]:
            await tx.invites.add(
                code=code, role=Role.REP, created_by=1, at=now, expires_at=expires
            )
        await tx.invites.mark_used(code="used", used_by=2, at=now)
    async with db.transaction() as tx:
        assert await tx.invites.delete_expired(before=now + 2 * day) == 1
        assert await tx.invites.delete_expired(before=now + 2 * day) == 0
    async with db.read() as repo:
        assert await repo.invites.get(code="old") is None
        for code in ("edge", "new", "used"):
            assert await repo.invites.get(code=code) is not None


# --- audit ---------------------------------------------------------------------------------


async def test_audit_add_and_recent(db: Database, clock: FakeClock) -> None:
    """Entries come back newest first, with their details, filtered and limited."""
    async with db.transaction() as tx:
        await tx.audit.add(
            actor_id=1,
            action="member.joined",
            entity="user",
            entity_id=1,
            at=clock.now(),
            details={"role": "admin", "名字": "张伟"},
        )
        clock.advance(timedelta(seconds=1))
        await tx.audit.add(
            actor_id=None,
            action="invite.created",
            entity="invite",
            entity_id="ab12",
            at=clock.now(),
        )
        clock.advance(timedelta(seconds=1))
        await tx.audit.add(
            actor_id=1,
            action="member.role_changed",
            entity="user",
            entity_id="2",
            at=clock.now(),
            details={"role": {"from": "rep", "to": "manager"}},
        )
    async with db.read() as repo:
        everything = await repo.audit.recent()
        users = await repo.audit.recent(entity="user")
        user_2 = await repo.audit.recent(entity="user", entity_id=2)
        by_id = await repo.audit.recent(entity_id="ab12")
        newest = await repo.audit.recent(limit=1)
    assert [e.action for e in everything] == [
        "member.role_changed",
        "invite.created",
        "member.joined",
    ]
    assert everything[0].at > everything[1].at > everything[2].at
    assert everything[2].details == {"role": "admin", "名字": "张伟"}
    assert everything[2].entity_id == "1"
    assert everything[1].details == {}
    assert everything[1].actor_id is None
    assert [e.action for e in users] == ["member.role_changed", "member.joined"]
    assert [e.details for e in user_2] == [{"role": {"from": "rep", "to": "manager"}}]
    assert [e.entity for e in by_id] == ["invite"]
    assert [e.action for e in newest] == ["member.role_changed"]


# --- python-telegram-bot documents ---------------------------------------------------------


async def test_ptb_documents(db: Database) -> None:
    """Documents are saved, replaced, kept apart by kind, and deleted."""
    async with db.transaction() as tx:
        assert await tx.ptb.load(kind="user") == {}
        await tx.ptb.save(kind="user", key=5, data={"a": [1, 2], "中": "文"})
        await tx.ptb.save(kind="user", key=6, data={"b": None})
        await tx.ptb.save(kind="chat", key=5, data={"chat": True})
        await tx.ptb.save(kind="user", key=6, data={"b": 2})
    async with db.read() as repo:
        assert await repo.ptb.load(kind="user") == {5: {"a": [1, 2], "中": "文"}, 6: {"b": 2}}
        assert await repo.ptb.load(kind="chat") == {5: {"chat": True}}
    async with db.transaction() as tx:
        await tx.ptb.delete(kind="user", key=5)
        await tx.ptb.delete(kind="user", key=404)
    async with db.read() as repo:
        assert await repo.ptb.load(kind="user") == {6: {"b": 2}}
        assert await repo.ptb.load(kind="chat") == {5: {"chat": True}}


async def test_ptb_document_kind_is_checked(db: Database) -> None:
    """Only the known kinds of document may be stored."""
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.ptb.save(kind="secrets", key=0, data={})


async def test_ptb_conversations(db: Database) -> None:
    """Conversation states are saved by name and key, replaced, and deleted by None."""
    async with db.transaction() as tx:
        await tx.ptb.save_conversation(name="settings", key=(1, 2), state=3)
        await tx.ptb.save_conversation(name="settings", key=(4,), state="ASK")
        await tx.ptb.save_conversation(name="other", key=(1, 2), state=9)
        await tx.ptb.save_conversation(name="settings", key=(1, 2), state=5)
    async with db.read() as repo:
        assert await repo.ptb.conversations(name="settings") == {(1, 2): 5, (4,): "ASK"}
        assert await repo.ptb.conversations(name="other") == {(1, 2): 9}
        assert await repo.ptb.conversations(name="none") == {}
    async with db.transaction() as tx:
        await tx.ptb.save_conversation(name="settings", key=(1, 2), state=None)
        await tx.ptb.save_conversation(name="settings", key=(7,), state=None)
    async with db.read() as repo:
        assert await repo.ptb.conversations(name="settings") == {(4,): "ASK"}
        assert await repo.ptb.conversations(name="other") == {(1, 2): 9}


# --- codec ---------------------------------------------------------------------------------

aware_datetimes = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
)


def test_ts_of_a_non_utc_datetime() -> None:
    """ts stores the UTC instant; parse_ts returns it as an aware UTC datetime."""
    local = datetime(2026, 3, 1, 17, 30, 15, 250, tzinfo=ZoneInfo("Asia/Shanghai"))
    text = ts(local)
    assert text == "2026-03-01T09:30:15.000250Z"
    parsed = parse_ts(text)
    assert parsed == local
    assert parsed.tzinfo is UTC


@given(aware_datetimes)
def test_ts_round_trip(value: datetime) -> None:
    """parse_ts(ts(x)) is the same instant as x, in UTC, to the microsecond."""
    parsed = parse_ts(ts(value))
    assert parsed.utcoffset() == timedelta(0)
    assert parsed == value.astimezone(UTC)


@given(aware_datetimes, aware_datetimes)
def test_ts_sorts_like_time(a: datetime, b: datetime) -> None:
    """Stored text sorts in the order of the instants (SQL compares it as text)."""
    assert (ts(a) < ts(b)) == (a.astimezone(UTC) < b.astimezone(UTC))


def test_ts_early_years() -> None:
    """Years before 1000 are stored with four digits and round-trip."""
    value = datetime(999, 12, 31, 23, 0, tzinfo=UTC)
    assert ts(value) == "0999-12-31T23:00:00.000000Z"
    assert parse_ts(ts(value)) == value


def test_ts_refuses_naive() -> None:
    """A naive datetime is never stored."""
    with pytest.raises(ValueError, match="naive"):
        ts(datetime(2026, 1, 1, 9, 0))


def test_ts_fixed_offset() -> None:
    """A fixed UTC offset is converted too."""
    value = datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert ts(value) == "2026-01-01T05:30:00.000000Z"


def test_none_passes_through() -> None:
    """The *_or_none helpers pass None through and convert anything else."""
    assert ts_or_none(None) is None
    assert parse_ts_or_none(None) is None
    assert hhmm(None) is None
    assert parse_hhmm(None) is None
    value = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_ts_or_none(ts_or_none(value)) == value


@given(st.integers(0, 23), st.integers(0, 59))
def test_hhmm_round_trip(hour: int, minute: int) -> None:
    """hhmm writes 'HH:MM' and parse_hhmm reads it back."""
    text = hhmm(time(hour, minute))
    assert text == f"{hour:02d}:{minute:02d}"
    assert parse_hhmm(text) == time(hour, minute)


async def test_checkpoint_runs_in_the_background_not_in_commits(
    db: Database, clock: FakeClock
) -> None:
    """Commits leave the WAL alone (autocheckpoint off); `checkpoint` folds it back."""
    for n in range(300):
        async with db.transaction() as tx:
            await tx.audit.add(actor_id=None, action="test", entity="x", entity_id=n,
                               at=clock.now(), details={"pad": "x" * 2000})
    wal_pages, copied = await db.checkpoint()
    assert wal_pages > 100  # nothing folded it back while committing
    assert copied == wal_pages
