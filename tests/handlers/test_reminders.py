"""Follow-up reminders through the outbox: due → delivered once, Done, Snooze, quiet hours,
blocked users, crashed dispatchers. The clock is moved; nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from bot.clock import FakeClock
from bot.reminders.dispatch import LEASE, Dispatcher
from tests.conftest import ADMIN_ID
from tests.handlers.harness import Harness, User, texts

ADMIN = User(ADMIN_ID, first_name="Ada")


def _dispatcher(bot: Harness, owner: str = "test") -> Dispatcher:
    return Dispatcher(bot.app.bot_data.crm, bot.app.bot, owner=owner)


def _reminders(bot: Harness) -> list[dict[str, Any]]:
    return [p for m, p in bot.api.calls
            if m == "sendMessage" and "Time to follow up" in p.get("text", "")]


async def _customer_with_followup(bot: Harness, when: str = "2026-01-05 15:00") -> None:
    await bot.send(ADMIN, "/new Zhang Wei, Acme, +86 138 0013 8000")
    await bot.send(ADMIN, "/log #1 sent the quote")
    await bot.send(ADMIN, f"/followup #1 {when}")


async def test_followup_delivered_once_when_due(bot: Harness, clock: FakeClock) -> None:
    """Nothing before the due time; at it, one reminder with why and the buttons; never again."""
    await _customer_with_followup(bot)
    dispatcher = _dispatcher(bot)
    assert await dispatcher.tick() == 0
    clock.set(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
    assert await dispatcher.tick() == 1
    reminder = _reminders(bot)
    assert len(reminder) == 1
    assert int(reminder[0]["chat_id"]) == ADMIN_ID
    assert "Zhang Wei" in reminder[0]["text"]
    assert "sent the quote" in reminder[0]["text"]
    assert set(bot.buttons(bot.last_message_to(ADMIN_ID))) == {
        "Done", "Snooze 1h", "Tomorrow", "Next week", "Open card"
    }
    clock.advance(timedelta(hours=5))
    assert await dispatcher.tick() == 0
    assert len(_reminders(bot)) == 1


async def test_moved_followup_replaces_the_reminder(bot: Harness, clock: FakeClock) -> None:
    """Setting a new time cancels the old reminder: one message, at the new time."""
    await _customer_with_followup(bot)
    await bot.send(ADMIN, "/followup #1 2026-01-06 10:00")
    clock.set(datetime(2026, 1, 5, 16, 0, tzinfo=UTC))
    assert await _dispatcher(bot).tick() == 0
    clock.set(datetime(2026, 1, 6, 10, 0, tzinfo=UTC))
    assert await _dispatcher(bot).tick() == 1


async def test_snooze_then_done(bot: Harness, clock: FakeClock) -> None:
    """Snooze 1h edits the message and re-sends an hour later; Done logs and asks what next."""
    await _customer_with_followup(bot)
    clock.set(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
    dispatcher = _dispatcher(bot)
    await dispatcher.tick()
    snoozed = await bot.press(ADMIN, "Snooze 1h")
    assert "Snoozed: follow up with #1 Zhang Wei (Acme) at 2026-01-05 16:00" in texts(snoozed)
    assert await dispatcher.tick() == 0
    clock.advance(timedelta(hours=1))
    assert await dispatcher.tick() == 1
    done = await bot.press(ADMIN, "Done")
    assert "Follow-up with #1 Zhang Wei (Acme) done" in texts(done)
    assert "next?" in texts(done)
    nxt = await bot.press(ADMIN, "Next week")
    assert "Next follow-up with #1 Zhang Wei (Acme): 2026-01-12 09:00" in texts(nxt)
    card = texts(await bot.send(ADMIN, "/find #1"))
    assert "Note — Follow-up done" in card
    assert "Last contact: just now" in card


async def test_done_then_skip(bot: Harness, clock: FakeClock) -> None:
    """Done and Skip leave no follow-up."""
    await _customer_with_followup(bot)
    clock.set(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
    await _dispatcher(bot).tick()
    await bot.press(ADMIN, "Done")
    assert "No next follow-up" in texts(await bot.press(ADMIN, "Skip"))
    assert "Next follow-up" not in texts(await bot.send(ADMIN, "/find #1"))


async def test_quiet_hours_delay_delivery(bot: Harness, clock: FakeClock) -> None:
    """Due at 23:00 in quiet hours 22:00-08:00: delivered at 08:00 in the member's zone."""
    await bot.send(ADMIN, "/start")
    member = await bot.app.bot_data.crm.team.get(user_id=ADMIN_ID)
    assert member is not None
    await bot.app.bot_data.crm.preferences.set_timezone(member=member, timezone="Asia/Shanghai")
    member = await bot.app.bot_data.crm.team.get(user_id=ADMIN_ID)
    assert member is not None
    await bot.app.bot_data.crm.preferences.set_quiet_hours(member=member, start=time(22),
                                                           end=time(8))
    await _customer_with_followup(bot, "2026-01-05 23:00")  # Shanghai time = 15:00 UTC
    dispatcher = _dispatcher(bot)
    clock.set(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
    assert await dispatcher.tick() == 0
    clock.set(datetime(2026, 1, 5, 23, 59, tzinfo=UTC))  # 07:59 in Shanghai
    assert await dispatcher.tick() == 0
    clock.set(datetime(2026, 1, 6, 0, 0, tzinfo=UTC))  # 08:00 in Shanghai
    assert await dispatcher.tick() == 1
    assert "Due: 2026-01-05 23:00" in _reminders(bot)[0]["text"]


async def test_blocked_member_is_marked_and_managers_told(
    bot: Harness, clock: FakeClock
) -> None:
    """403: the rep is marked unreachable, the admin told once, nothing retried forever."""
    invite = texts(await bot.send(ADMIN, "/invite rep"))
    code = invite.split("start=")[1].split()[0]
    rep = User(3003, first_name="Rita")
    await bot.send(rep, f"/start {code}")
    await bot.send(rep, "/new Li Lei, Globex")
    await bot.send(rep, "/followup #1 2026-01-05 15:00")
    bot.api.blocked.add(rep.id)
    clock.set(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
    dispatcher = _dispatcher(bot)
    assert await dispatcher.tick() == 1  # the notice to the admin
    member = await bot.app.bot_data.crm.team.get(user_id=rep.id)
    assert member is not None
    assert not member.reachable
    notices = [p for m, p in bot.api.calls if m == "sendMessage"
               and "Rita has blocked the bot" in p.get("text", "")]
    assert [int(p["chat_id"]) for p in notices] == [ADMIN_ID]
    clock.advance(timedelta(days=1))
    assert await dispatcher.tick() == 0
    assert await bot.app.bot_data.crm.outbox.pending() == []
    bot.api.blocked.clear()
    await bot.send(rep, "/start")
    member = await bot.app.bot_data.crm.team.get(user_id=rep.id)
    assert member is not None
    assert member.reachable


async def test_crashed_dispatcher_claim_is_taken_after_its_lease(
    bot: Harness, clock: FakeClock
) -> None:
    """A dispatcher that claimed and died: another sends after the lease, exactly once."""
    await _customer_with_followup(bot)
    clock.set(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
    crm = bot.app.bot_data.crm
    claimed = await crm.outbox.claim(owner="dead", lease=LEASE, limit=10)
    assert len(claimed) == 1
    live = _dispatcher(bot, "live")
    assert await live.tick() == 0
    clock.advance(LEASE + timedelta(seconds=1))
    assert await live.tick() == 1
    assert await live.tick() == 0
    assert len(_reminders(bot)) == 1
    assert [m.attempts for m in await crm.outbox.sent_rows()] == [1]


async def test_today_lists_with_reminder_buttons(bot: Harness, clock: FakeClock) -> None:
    """/today: a header, then each due follow-up with Done / Snooze buttons."""
    await _customer_with_followup(bot)
    clock.set(datetime(2026, 1, 5, 16, 0, tzinfo=UTC))
    sent = await bot.send(ADMIN, "/today")
    assert "Follow-ups due today</b> (1)" in texts(sent)
    assert "Done" in bot.buttons(bot.last_message_to(ADMIN_ID))
    snoozed = await bot.press(ADMIN, "Tomorrow")
    assert "Snoozed" in texts(snoozed)
