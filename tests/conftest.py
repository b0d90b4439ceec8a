"""Fixtures shared by every test: settings on a fresh database, a fake clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

# PTB 22 warns when RetryAfter.retry_after is read as an int; opt in to the new behaviour so
# the warning (an error under filterwarnings=error) does not replace the real exception.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bot.clock import FakeClock
from bot.config import Settings
from bot.storage.db import Database
from tests.handlers.harness import Harness, start_bot

ADMIN_ID = 1001
TEST_TOKEN = "123456:TEST-fake-token"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TELECRM_* variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("TELECRM_"):
            monkeypatch.delenv(name)


@pytest.fixture
def clock() -> FakeClock:
    """A clock at a fixed Monday morning, UTC."""
    return FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where this test's SQLite file lives."""
    return tmp_path / "data" / "telecrm.db"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    """Settings on a fresh database, with one configured admin."""
    return Settings(
        _env_file=None,
        bot_token=TEST_TOKEN,
        database_url=f"sqlite:///{db_path}",
        admin_ids=(ADMIN_ID,),
        default_timezone="UTC",
    )


@pytest.fixture
async def db(db_path: Path, clock: FakeClock) -> AsyncIterator[Database]:
    """A fresh, migrated database."""
    database = await Database.open(db_path, clock)
    yield database
    await database.close()


@pytest.fixture
async def bot(settings: Settings, clock: FakeClock) -> AsyncIterator[Harness]:
    """The real application, started, with Telegram answered in-process."""
    async with start_bot(settings, clock) as harness:
        yield harness
