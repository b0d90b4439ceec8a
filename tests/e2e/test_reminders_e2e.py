"""Follow-up reminders through the real process and HTTP stack: the outbox, the dispatcher's
ticks, restarts, crashes, Telegram's 429/5xx/403. Nothing sleeps: a reminder is made due by
moving its time into the past in the SQLite file, and every wait is event-driven and bounded."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.storage.codec import parse_ts, ts
from tests.e2e.harness import (
    ADMIN_ID,
    TIMEOUT,
    BotLauncher,
    BotProcess,
    Chat,
    Mode,
    button_data,
    text_of,
)
from tests.fakebotapi import ApiCall, FakeBotAPI, Fault

REP_ID = 3003
# A chat that only receives the tick witnesses (see `ticks`).
WITNESS_CHAT = 7007
TICK_SECONDS = "0.2"
REMINDER = "Time to follow up"
REMINDER_BUTTONS = ["rm:done:1", "rm:1h:1", "rm:tom:1", "rm:week:1", "c:1"]
REMINDER_LABELS = ["Done", "Snooze 1h", "Tomorrow", "Next week", "Open card"]
INVITE_CODE_RE = re.compile(r"\?start=([A-Za-z0-9_-]+)")


class TickingLauncher(BotLauncher):
    """A BotLauncher whose bots run the dispatcher every 0.2 s."""

    def env(self, mode: Mode = "polling", log_level: str = "INFO", **extra: str) -> dict[str, str]:
        """The usual environment with a fast scheduler tick."""
        settings = super().env(mode, log_level, **extra)
        settings["TELECRM_SCHEDULER_TICK_SECONDS"] = TICK_SECONDS
        return settings


@pytest.fixture
async def launcher(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotLauncher]:
    """Starts fast-ticking bot processes against ``api``; kills leftovers afterwards."""
    bots = TickingLauncher(api, tmp_path)
    try:
        yield bots
    finally:
        await bots.close()


# ---- the database, owned by the test -------------------------------------------------------


@contextlib.contextmanager
def database(path: Path) -> Iterator[sqlite3.Connection]:
    """An autocommit connection that waits for the bot's write locks (WAL lets both work)."""
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def a_moment_ago() -> str:
    """One second ago, in the stored time format."""
    return ts(datetime.now(UTC) - timedelta(seconds=1))


def make_due(path: Path, expected: int | None = 1) -> int:
    """Move the pending follow-ups (outbox rows and customers' dates) into the past, in one
    transaction."""
    past = a_moment_ago()
    with database(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE customers SET next_followup_at = ? WHERE next_followup_at IS NOT NULL",
            (past,),
        )
        moved = conn.execute(
            "UPDATE outbox SET due_at = ? WHERE kind = 'followup_due' AND state = 'pending'",
            (past,),
        ).rowcount
        conn.execute("COMMIT")
    assert expected is None or moved == expected, f"expected {expected} rows, moved {moved}"
    return moved


def expire_claims(path: Path) -> int:
    """End the outstanding follow-up claims' leases now (as if LEASE had passed)."""
    with database(path) as conn:
        return conn.execute(
            "UPDATE outbox SET claim_expires_at = ?"
            " WHERE kind = 'followup_due' AND claimed_by IS NOT NULL",
            (a_moment_ago(),),
        ).rowcount


def followup_rows(path: Path) -> list[dict[str, Any]]:
    """Every follow-up outbox row, oldest first."""
    with database(path) as conn:
        rows = conn.execute(
            "SELECT * FROM outbox WHERE kind = 'followup_due' ORDER BY id"
        ).fetchall()
    return [dict(row) for row in rows]


def one(sql: str, path: Path, *params: Any) -> Any:
    """The first column of the first row of a query."""
    with database(path) as conn:
        row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


async def ticks(api: FakeBotAPI, bot: BotProcess, path: Path, count: int = 3) -> None:
    """Wait until the dispatcher has run at least ``count`` more times.

    Each round queues a harmless due row for WITNESS_CHAT and waits for its message. A tick
    claims everything due at once and finishes its sends before it claims again, so once a
    witness queued after some moment has arrived, whatever was due at that moment was sent
    (or attempted) already. The last witness's own row may still be marked meanwhile.
    """
    for _ in range(count):
        start = len(api.sent_messages(WITNESS_CHAT))
        now = datetime.now(UTC)
        with database(path) as conn:
            conn.execute(
                "INSERT INTO outbox (kind, chat_id, user_id, payload, due_at, created_at)"
                " VALUES ('member_unreachable', ?, ?, ?, ?, ?)",
                (
                    WITNESS_CHAT,
                    ADMIN_ID,
                    json.dumps({"member_id": WITNESS_CHAT}),
                    ts(now - timedelta(seconds=1)),
                    ts(now),
                ),
            )
        await bot.guard(api.wait_for_message(WITNESS_CHAT, start=start, timeout=TIMEOUT))


# ---- the chat side ---------------------------------------------------------------------------


def reminder_calls(api: FakeBotAPI, chat_id: int, start: int = 0) -> list[ApiCall]:
    """sendMessage calls (from index ``start``) carrying a follow-up reminder to ``chat_id``."""
    return [
        call
        for call in api.calls[start:]
        if call.method == "sendMessage"
        and call.chat_id == chat_id
        and REMINDER in str(call.params.get("text", ""))
    ]


def accepted(calls: list[ApiCall]) -> list[ApiCall]:
    """The calls the server answered 200 (Telegram accepted the message)."""
    return [call for call in calls if call.response_status == 200]


def reminders_in_chat(api: FakeBotAPI, chat_id: int) -> list[dict[str, Any]]:
    """The reminder messages the server recorded in a chat (and that were not edited since)."""
    return [m for m in api.sent_messages(chat_id) if REMINDER in text_of(m)]


async def stop_cleanly(bot: BotProcess) -> None:
    """Stop the bot; it must exit 0 without having logged a single traceback."""
    assert await bot.stop() == 0
    assert "Traceback" not in bot.stderr(), bot.stderr()


async def plan_followup(chat: Chat, name: str = "Zhang Wei, Acme, +86 138 0013 8000") -> None:
    """Capture a customer, log why, and plan tomorrow's follow-up through the bot."""
    first = name.split(",", maxsplit=1)[0]
    await chat.send(f"/new {name}", expect=first)
    await chat.send("/log #1 sent the quote", expect="Logged")
    await chat.send("/followup #1 tomorrow 10:00", expect="Next follow-up with #1")


# ---- the tests -------------------------------------------------------------------------------


async def test_reminder_snooze_then_done_then_skip(api: FakeBotAPI, launcher: BotLauncher) -> None:
    """Due → reminder with five buttons; Snooze 1h moves it; due again → Done, Skip."""
    bot = await launcher.start()
    db = launcher.database
    admin = Chat(api, bot, ADMIN_ID, first_name="Ada")
    await plan_followup(admin)

    start = admin.mark()
    make_due(db)
    reminder = await admin.next_message(start, REMINDER)
    assert "⏰ Time to follow up with #1 Zhang Wei (Acme)" in text_of(reminder)
    assert "sent the quote" in text_of(reminder)
    assert button_data(reminder) == REMINDER_BUTTONS
    labels = [b["text"] for row in reminder["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == REMINDER_LABELS

    pressed_at = datetime.now(UTC)
    await admin.press(reminder, "rm:1h:1", "Snoozed")
    assert "💤 Snoozed: follow up with #1 Zhang Wei (Acme) at" in text_of(reminder)
    rows = followup_rows(db)
    assert [r["state"] for r in rows] == ["sent", "pending"]
    due = parse_ts(rows[1]["due_at"]) - pressed_at
    assert timedelta(minutes=59) < due < timedelta(minutes=61), due
    await ticks(api, bot, db)  # a snoozed reminder is not sent again meanwhile
    assert len(reminder_calls(api, ADMIN_ID)) == 1

    start = admin.mark()
    make_due(db)
    again = await admin.next_message(start, REMINDER)
    assert again["message_id"] != reminder["message_id"]
    assert button_data(again) == REMINDER_BUTTONS

    start = admin.mark()
    await admin.press(again, "rm:done:1", "done")
    assert "✅ Follow-up with #1 Zhang Wei (Acme) done." in text_of(again)
    prompt = await admin.next_message(start, "next?")
    assert "When should we follow up with #1 Zhang Wei (Acme) next?" in text_of(prompt)
    await admin.press(prompt, "when:skip", "No next follow-up")

    assert [r["state"] for r in followup_rows(db)] == ["sent", "sent"]
    assert one("SELECT next_followup_at FROM customers WHERE id = 1", db) is None
    await ticks(api, bot, db, count=2)
    assert [c.response_status for c in reminder_calls(api, ADMIN_ID)] == [200, 200]
    await stop_cleanly(bot)


async def test_restart_between_scheduling_and_due_time_delivers_once(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """Planned, bot stopped, due while down, new process: exactly one reminder."""
    first = await launcher.start()
    db = launcher.database
    await plan_followup(Chat(api, first, ADMIN_ID, first_name="Ada"))
    await stop_cleanly(first)
    make_due(db)

    restart = len(api.calls)
    second = await launcher.start()
    admin = Chat(api, second, ADMIN_ID, first_name="Ada")
    reminder = await admin.next_message(0, REMINDER)
    assert "#1 Zhang Wei (Acme)" in text_of(reminder)
    await admin.send("/help")  # a later round trip through the same process
    await ticks(api, second, db, count=2)

    calls = reminder_calls(api, ADMIN_ID, restart)
    assert [c.response_status for c in calls] == [200], api.describe_calls(restart)
    assert len(reminders_in_chat(api, ADMIN_ID)) == 1
    [row] = followup_rows(db)
    assert row["state"] == "sent"
    assert row["attempts"] == 1
    assert row["message_id"] == reminder["message_id"]
    await stop_cleanly(second)


async def test_crash_while_sending_redelivers_once_after_the_lease(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """SIGKILL with the send in flight: the claim holds until its lease ends, then one
    accepted delivery from the new process."""
    first = await launcher.start()
    db = launcher.database
    await plan_followup(Chat(api, first, ADMIN_ID, first_name="Ada"))
    api.inject("sendMessage", Fault.delay(30), chat_id=ADMIN_ID)
    make_due(db)
    in_flight = await first.guard(
        api.wait_for_call(
            "sendMessage",
            lambda c: c.chat_id == ADMIN_ID and REMINDER in str(c.params.get("text", "")),
            timeout=TIMEOUT,
        )
    )
    [claimed] = followup_rows(db)
    assert claimed["state"] == "pending"
    assert claimed["claimed_by"] is not None
    lease = parse_ts(claimed["claim_expires_at"]) - datetime.now(UTC)
    assert timedelta(seconds=100) < lease <= timedelta(minutes=2), lease
    await first.kill()
    assert in_flight.response_status == 0  # never answered: Telegram did not accept it

    restart = len(api.calls)
    second = await launcher.start()
    admin = Chat(api, second, ADMIN_ID, first_name="Ada")
    await admin.send("/help")
    await ticks(api, second, db, count=2)  # the dead process's lease still holds
    assert reminder_calls(api, ADMIN_ID, restart) == []

    assert expire_claims(db) == 1
    reminder = await admin.next_message(0, REMINDER)
    await admin.send("/help")
    await ticks(api, second, db, count=2)

    after = reminder_calls(api, ADMIN_ID, restart)
    assert [c.response_status for c in after] == [200], api.describe_calls(restart)
    assert len(accepted(reminder_calls(api, ADMIN_ID))) == 1
    # The delayed first send is still held by the server (30 s): had it gone through, the
    # member would have read the reminder twice (at-least-once across crashes).
    assert in_flight.response_status == 0
    assert len(reminders_in_chat(api, ADMIN_ID)) == 1
    [row] = followup_rows(db)
    assert row["state"] == "sent"
    assert row["message_id"] == reminder["message_id"]
    assert row["claimed_by"] is None
    # A claim is not an attempt: the lost send is not counted.
    assert row["attempts"] == 1
    await stop_cleanly(second)


async def test_429_then_500s_end_in_one_delivery(api: FakeBotAPI, launcher: BotLauncher) -> None:
    """429 (retry after 1 s), then 500 twice: exactly one reminder; the row is sent."""
    bot = await launcher.start()
    db = launcher.database
    admin = Chat(api, bot, ADMIN_ID, first_name="Ada")
    await plan_followup(admin)
    api.inject(
        "sendMessage",
        Fault.retry_after(1),
        Fault.server_error(),
        Fault.server_error(),
        chat_id=ADMIN_ID,
    )
    mark = len(api.calls)
    make_due(db)
    await admin.next_message(0, REMINDER)
    await ticks(api, bot, db, count=2)

    calls = reminder_calls(api, ADMIN_ID, mark)
    assert [c.response_status for c in calls] == [429, 500, 500, 200], api.describe_calls(mark)
    assert len(reminders_in_chat(api, ADMIN_ID)) == 1
    [row] = followup_rows(db)
    assert row["state"] == "sent"
    assert row["claimed_by"] is None
    # The rate limiter retried inside one dispatcher attempt (RetryAfter, then 5xx backoff).
    assert row["attempts"] == 1
    await stop_cleanly(bot)


async def test_500s_beyond_the_limiter_are_retried_by_the_outbox(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """429, then 500 four times (more than the limiter retries): the row is released with
    a backoff, and its next attempt delivers exactly once."""
    bot = await launcher.start()
    db = launcher.database
    admin = Chat(api, bot, ADMIN_ID, first_name="Ada")
    await plan_followup(admin)
    api.inject("sendMessage", Fault.retry_after(1), *[Fault.server_error()] * 4, chat_id=ADMIN_ID)
    mark = len(api.calls)
    make_due(db)
    await bot.guard(
        api.wait_until(
            lambda: (
                len(reminder_calls(api, ADMIN_ID, mark)) == 5
                and all(c.response_status for c in reminder_calls(api, ADMIN_ID, mark))
            ),
            timeout=TIMEOUT,
            what="the 429 and four 500s",
        )
    )
    assert reminders_in_chat(api, ADMIN_ID) == []
    await ticks(api, bot, db, count=1)  # the failed attempt is recorded by then
    # It is due again after backoff(0) = 5 s, counted from before the send, which took the
    # limiter ~4.6 s already (see test_retry_after_is_obeyed_after_the_limiter_gives_up):
    # make it due now instead of waiting, unless it has gone again already.
    make_due(db, expected=None)
    await admin.next_message(0, REMINDER)
    await ticks(api, bot, db, count=2)
    calls = reminder_calls(api, ADMIN_ID, mark)
    assert [c.response_status for c in calls] == [429, 500, 500, 500, 500, 200]
    assert len(reminders_in_chat(api, ADMIN_ID)) == 1
    [row] = followup_rows(db)
    assert (row["state"], row["attempts"], row["last_error"]) == ("sent", 2, "NetworkError")
    await stop_cleanly(bot)


async def test_blocked_member_is_marked_unreachable_and_admin_told(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """403 on a rep's reminder: users.reachable = 0, one notice to the admin, no retries."""
    bot = await launcher.start()
    db = launcher.database
    admin = Chat(api, bot, ADMIN_ID, first_name="Ada")
    rep = Chat(api, bot, REP_ID, first_name="Rita")
    invite = await admin.send("/invite rep", expect="start=")
    code = INVITE_CODE_RE.search(text_of(invite))
    assert code is not None, text_of(invite)
    await rep.send(f"/start {code.group(1)}", expect="You joined")
    await plan_followup(rep, "Li Lei, Globex")
    api.block(REP_ID)
    mark = len(api.calls)
    make_due(db)

    notice = await admin.next_message(0, "has blocked the bot")
    assert "Rita has blocked the bot" in text_of(notice)
    await ticks(api, bot, db, count=3)

    assert one("SELECT reachable FROM users WHERE id = ?", db, REP_ID) == 0
    assert one("SELECT reachable FROM users WHERE id = ?", db, ADMIN_ID) == 1
    [row] = followup_rows(db)
    assert (row["state"], row["last_error"]) == ("failed", "blocked by the user")
    to_rep = [c for c in api.calls[mark:] if c.chat_id == REP_ID]
    assert [(c.method, c.response_status) for c in to_rep] == [("sendMessage", 403)]
    notices = [m for m in api.sent_messages(ADMIN_ID) if "has blocked the bot" in text_of(m)]
    assert len(notices) == 1
    pending = "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND chat_id != ?"
    assert one(pending, db, WITNESS_CHAT) == 0
    await stop_cleanly(bot)


async def test_reminders_due_together_for_one_member_are_paced(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """Two follow-ups of one member due at once: the second is sent at least ~1 s later."""
    bot = await launcher.start()
    db = launcher.database
    admin = Chat(api, bot, ADMIN_ID, first_name="Ada")
    await admin.send("/new Zhang Wei, Acme", expect="#1 Zhang Wei")
    await admin.send("/new Li Lei, Globex", expect="#2 Li Lei")
    await admin.send("/followup #1 tomorrow 10:00", expect="Next follow-up with #1")
    await admin.send("/followup #2 tomorrow 10:00", expect="Next follow-up with #2")
    make_due(db, expected=2)
    await bot.guard(
        api.wait_until(
            lambda: len(accepted(reminder_calls(api, ADMIN_ID))) == 2,
            timeout=TIMEOUT,
            what="both reminders",
        )
    )
    first, second = accepted(reminder_calls(api, ADMIN_ID))
    gap = second.at - first.at
    await stop_cleanly(bot)
    assert gap >= 0.9, f"two messages to one chat {gap * 1000:.0f} ms apart"


async def test_retry_after_is_obeyed_after_the_limiter_gives_up(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """429 four times (the limiter retries three): the next send waits for retry_after."""
    bot = await launcher.start()
    db = launcher.database
    admin = Chat(api, bot, ADMIN_ID, first_name="Ada")
    await plan_followup(admin)
    api.inject("sendMessage", *[Fault.retry_after(1)] * 4, chat_id=ADMIN_ID)
    mark = len(api.calls)
    make_due(db)
    await admin.next_message(0, REMINDER)
    calls = reminder_calls(api, ADMIN_ID, mark)
    # PTB logs the limiter's last RetryAfter with a traceback: no stop_cleanly here.
    assert await bot.stop() == 0
    assert [c.response_status for c in calls] == [429, 429, 429, 429, 200]
    gap = calls[4].at - calls[3].at
    assert gap >= 1.0, f"sent again {gap * 1000:.0f} ms after a 429 that said: retry after 1 s"
