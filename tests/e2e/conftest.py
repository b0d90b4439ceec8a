"""Fixtures of the end-to-end tests: a fake Bot API per test and a launcher for the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import BotLauncher, random_token
from tests.fakebotapi import FakeBotAPI


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """A fake Bot API server with a token of its own."""
    async with FakeBotAPI(token=random_token()) as server:
        yield server


@pytest.fixture
async def launcher(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotLauncher]:
    """Starts bot processes against ``api`` in ``tmp_path``; kills leftovers afterwards."""
    bots = BotLauncher(api, tmp_path)
    try:
        yield bots
    finally:
        await bots.close()
