"""A manager's digest and a team group alert through the real process and HTTP stack: each
arrives in its own chat (the digest as a photo with its caption, checked by the fake server's
caption and HTML rules), and only there."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage.codec import ts
from tests.e2e.harness import ADMIN_ID, TIMEOUT, BotLauncher, Mode, containing, text_of
from tests.fakebotapi import FakeBotAPI

GROUP = -100_555


class DigestLauncher(BotLauncher):
    """Bots whose dispatcher and digest job run every 0.2 s."""

    def env(self, mode: Mode = "polling", log_level: str = "INFO", **extra: str) -> dict[str, str]:
        """The usual environment with fast scheduler jobs."""
        settings = super().env(mode, log_level, **extra)
        settings["TELECRM_SCHEDULER_TICK_SECONDS"] = "0.2"
        settings["TELECRM_DIGEST_CHECK_SECONDS"] = "0.2"
        return settings


@pytest.fixture
async def launcher(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotLauncher]:
    """Starts fast-ticking bot processes against ``api``; kills leftovers afterwards."""
    bots = DigestLauncher(api, tmp_path)
    try:
        yield bots
    finally:
        await bots.close()


def _digest_due_now(database: Path) -> None:
    """Make the admin's digest time this minute (UTC) and move the day's events a minute
    before it, so that the digest is due at once and its period holds them."""
    now = datetime.now(UTC)
    moment = now.replace(second=0, microsecond=0)
    earlier = ts(moment - timedelta(minutes=1))
    with sqlite3.connect(database, timeout=5.0, isolation_level=None) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE status_history SET changed_at = ?", (earlier,))
        conn.execute("UPDATE customers SET created_at = ?", (earlier,))
        conn.execute(
            "UPDATE users SET digest_time = ?, created_at = ? WHERE id = ?",
            (moment.strftime("%H:%M"), ts(now - timedelta(days=2)), ADMIN_ID),
        )
        conn.execute("COMMIT")
    conn.close()


async def test_digest_and_group_alert_arrive_in_the_right_chats(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """/bindgroup in a group; a deal won → the alert in the group; the digest due → a photo
    captioned with the figures in the admin's chat; neither in the other chat."""
    bot = await launcher.start()
    api.message_update(user_id=ADMIN_ID, first_name="Ada", text="/bindgroup", chat_id=GROUP,
                       chat_type="group", chat_title="Sales")
    await bot.guard(api.wait_for_message(GROUP, containing("now receives team alerts"),
                                         timeout=TIMEOUT))
    api.message_update(user_id=ADMIN_ID, first_name="Ada", text="/new Zhang Wei, Acme")
    await bot.guard(api.wait_for_message(ADMIN_ID, containing("Zhang Wei"), timeout=TIMEOUT))
    start = len(api.sent_messages(ADMIN_ID))
    api.message_update(user_id=ADMIN_ID, first_name="Ada", text="/status #1")
    keyboard = await bot.guard(api.wait_for_message(
        ADMIN_ID, containing("Status of #1"), start=start, timeout=TIMEOUT
    ))
    api.callback_update(user_id=ADMIN_ID, first_name="Ada", message=keyboard, data="st:1:won")
    alert = await bot.guard(api.wait_for_message(GROUP, containing("Deal won"),
                                                 timeout=TIMEOUT))
    assert text_of(alert) == "🏆 Deal won: #1 Zhang Wei (Acme) · Ada"

    _digest_due_now(launcher.database)
    digest = await bot.guard(api.wait_for_message(ADMIN_ID, containing("📊"), timeout=TIMEOUT))
    assert "photo" in digest
    caption = text_of(digest)
    assert "🏆 Deals won: 1" in caption
    assert "🆕 New customers: 1" in caption

    assert await bot.stop() == 0
    assert "Traceback" not in bot.stderr(), bot.stderr()
    assert not [m for m in api.sent_messages(GROUP) if "📊" in text_of(m)]
    assert not [m for m in api.sent_messages(ADMIN_ID) if "Deal won" in text_of(m)]
    assert len([m for m in api.sent_messages(ADMIN_ID) if "📊" in text_of(m)]) == 1
    with sqlite3.connect(launcher.database) as conn:
        rows = conn.execute("SELECT state FROM outbox WHERE kind = 'digest'").fetchall()
    conn.close()
    assert rows == [("sent",)]
