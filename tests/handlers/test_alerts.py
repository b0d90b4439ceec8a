"""Rules-pass messages delivered through the dispatcher: the right chats, the reader's
language, buttons that work, and nudges that no longer apply dropped. The clock is moved."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time, timedelta
from typing import Any

from bot.clock import FakeClock
from bot.domain.models import CustomerStatus, InteractionKind, Member
from bot.reminders.dispatch import Dispatcher
from bot.services import CRM
from tests.conftest import ADMIN_ID
from tests.handlers.harness import Harness, User, texts

ADMIN = User(ADMIN_ID, first_name="Ada")
MANAGER = User(2002, first_name="Mona")
REP = User(3003, first_name="Rita", language_code="zh")
GROUP_ID = -100_777
DAY = timedelta(days=1)


def _crm(bot: Harness) -> CRM:
    return bot.app.bot_data.crm


async def _deliver(bot: Harness) -> int:
    return await Dispatcher(_crm(bot), bot.app.bot, owner="test").tick()


async def _join(bot: Harness, user: User, role: str) -> Member:
    return await bot.join(ADMIN, user, role)


async def _member(bot: Harness, user: User) -> Member:
    member = await _crm(bot).team.get(user_id=user.id)
    assert member is not None
    return member


async def _following_up(bot: Harness, user: User, text: str) -> int:
    """A customer captured by `user` and moved to following_up; returns its id."""
    await bot.send(user, f"/new {text}")
    member = await _member(bot, user)
    [customer] = await _crm(bot).customers.find(actor=member, query=text.partition(",")[0])
    await _crm(bot).customers.change_status(actor=member, customer_id=customer.id,
                                            status=CustomerStatus.FOLLOWING_UP)
    return customer.id


def _sent_to(bot: Harness, chat_id: int) -> list[dict[str, Any]]:
    return [p for m, p in bot.api.calls
            if m == "sendMessage" and int(p["chat_id"]) == chat_id]


async def test_nudge_in_english_with_buttons(bot: Harness, clock: FakeClock) -> None:
    """7 quiet days in following_up: the owner gets one nudge, with Log · Follow-up · Open
    card, and Open card opens the card; later passes and ticks send nothing more."""
    await bot.send(ADMIN, "/start")
    customer_id = await _following_up(bot, ADMIN, "Zhang Wei, Acme")
    before = len(_sent_to(bot, ADMIN_ID))
    clock.advance(7 * DAY)
    await _crm(bot).rules.run()
    assert await _deliver(bot) == 1
    [nudge] = _sent_to(bot, ADMIN_ID)[before:]
    assert nudge["text"] == (
        f"⏳ No contact with <b>#{customer_id} Zhang Wei (Acme)</b> for 7 days.\n"
        "Customers in “Following up” get a nudge after 7 days without contact.\n"
        "Log a contact to reset the clock, or plan a follow-up."
    )
    message = bot.last_message_to(ADMIN_ID)
    assert bot.buttons(message) == {
        "Log": f"lg:{customer_id}", "Follow-up": f"fu:{customer_id}",
        "Open card": f"c:{customer_id}",
    }
    card = texts(await bot.press(ADMIN, "Open card", message))
    assert "Zhang Wei" in card
    assert "Status: Following up" in card
    clock.advance(timedelta(hours=1))
    await _crm(bot).rules.run()
    assert await _deliver(bot) == 0


async def test_churn_warning_reaches_owner_manager_and_group(
    bot: Harness, clock: FakeClock
) -> None:
    """14 quiet days: the rep (in Chinese) and the manager (in English) are told, the bound
    group alerted; the admin is not, since there is a manager."""
    await bot.send(ADMIN, "/start")
    await _join(bot, MANAGER, "manager")
    await _join(bot, REP, "rep")
    with sqlite3.connect(bot.app.bot_data.settings.database_path) as conn:
        conn.execute(
            "INSERT INTO group_chats (chat_id, title, bound_by, bound_at)"
            " VALUES (?, 'Sales', ?, '2026-01-01T00:00:00.000000Z')", (GROUP_ID, ADMIN_ID),
        )
    conn.close()
    customer_id = await _following_up(bot, REP, "李雷, Globex")
    marks = {chat: len(_sent_to(bot, chat)) for chat in (ADMIN_ID, MANAGER.id, REP.id)}
    clock.advance(14 * DAY)
    await _crm(bot).rules.run()
    assert await _deliver(bot) == 3
    [to_rep] = _sent_to(bot, REP.id)[marks[REP.id]:]
    assert to_rep["text"] == (
        f"⚠️ <b>#{customer_id} 李雷 (Globex)</b> 已转为流失预警：已经 14 天没有联系。\n"
        "之前的状态是跟进中。请在客户流失前尽快联系。"
    )
    assert set(bot.buttons(bot.last_message_to(REP.id))) == {"记录", "跟进", "打开卡片"}
    [to_manager] = _sent_to(bot, MANAGER.id)[marks[MANAGER.id]:]
    assert to_manager["text"] == (
        f"⚠️ Churn warning: <b>#{customer_id} 李雷 (Globex)</b> (owner: Rita),"
        " no contact for 14 days."
    )
    assert bot.buttons(bot.last_message_to(MANAGER.id)) == {"Open card": f"c:{customer_id}"}
    assert _sent_to(bot, ADMIN_ID)[marks[ADMIN_ID]:] == []
    [to_group] = _sent_to(bot, GROUP_ID)
    assert "李雷" in to_group["text"]
    assert await _deliver(bot) == 0


async def test_nudge_in_chinese(bot: Harness, clock: FakeClock) -> None:
    """The nudge in the rep's language."""
    await bot.send(ADMIN, "/start")
    await _join(bot, REP, "rep")
    customer_id = await _following_up(bot, REP, "李雷, Globex")
    mark = len(_sent_to(bot, REP.id))
    clock.advance(8 * DAY)
    await _crm(bot).rules.run()
    assert await _deliver(bot) == 1
    [nudge] = _sent_to(bot, REP.id)[mark:]
    assert nudge["text"].startswith(
        f"⏳ 已经 8 天没有联系 <b>#{customer_id} 李雷 (Globex)</b> 了。\n“跟进中”的客户"
    )


async def test_nudge_held_by_quiet_hours_is_dropped_after_a_contact(
    bot: Harness, clock: FakeClock
) -> None:
    """The nudge falls in the owner's quiet hours; they log a call before it is delivered: it
    is dropped, not sent in the morning."""
    await bot.send(ADMIN, "/start")
    crm = _crm(bot)
    await crm.preferences.set_quiet_hours(member=await _member(bot, ADMIN), start=time(22),
                                          end=time(8))
    customer_id = await _following_up(bot, ADMIN, "Zhang Wei, Acme")
    mark = len(_sent_to(bot, ADMIN_ID))
    clock.set(datetime(2026, 1, 12, 23, 0, tzinfo=UTC))  # 7 days on, at night (UTC member)
    assert (await crm.rules.run()).nudges == 1
    assert await _deliver(bot) == 0
    clock.set(datetime(2026, 1, 13, 7, 30, tzinfo=UTC))
    await crm.customers.log(actor=await _member(bot, ADMIN), customer_id=customer_id,
                            kind=InteractionKind.CALL, text="called back")
    clock.set(datetime(2026, 1, 13, 8, 0, tzinfo=UTC))
    assert await _deliver(bot) == 0
    assert _sent_to(bot, ADMIN_ID)[mark:] == []
    assert await crm.outbox.pending() == []


async def test_tier_and_dormant_notices(bot: Harness, clock: FakeClock) -> None:
    """A large purchase: 'now High value' to the owner; a churn warning quiet for 60 more
    days: 'now Dormant'."""
    await bot.send(ADMIN, "/start")
    crm = _crm(bot)
    admin = await _member(bot, ADMIN)
    buyer_id = await _following_up(bot, ADMIN, "Zhang Wei, Acme")
    await crm.customers.log(actor=admin, customer_id=buyer_id, kind=InteractionKind.MEETING,
                            text="signed", amount_minor=20_000_000, currency="CNY")
    await bot.send(ADMIN, "/new Li Lei, Globex")
    [quiet] = await crm.customers.find(actor=admin, query="Li Lei")
    await crm.customers.change_status(actor=admin, customer_id=quiet.id,
                                      status=CustomerStatus.CHURN_WARNING)
    mark = len(_sent_to(bot, ADMIN_ID))
    await crm.rules.run()
    assert await _deliver(bot) == 1
    [tier] = _sent_to(bot, ADMIN_ID)[mark:]
    assert tier["text"] == (
        f"⭐ <b>#{buyer_id} Zhang Wei (Acme)</b> is now High value: recent purchases,"
        " large or frequent."
    )
    clock.advance(60 * DAY)
    await crm.rules.run()
    await _deliver(bot)
    texts_now = [p["text"] for p in _sent_to(bot, ADMIN_ID)[mark + 1:]]
    assert (f"💤 <b>#{quiet.id} Li Lei (Globex)</b> is now Dormant: no contact for 60 days."
            in texts_now)


async def test_rules_job_is_scheduled_and_runs_the_pass(bot: Harness, clock: FakeClock) -> None:
    """The JobQueue holds the hourly rules job (TELECRM_RULES_INTERVAL_MINUTES); running it
    runs a pass."""
    job_queue = bot.app.job_queue
    assert job_queue is not None
    [job] = job_queue.get_jobs_by_name("rules")
    assert job.job.trigger.interval == timedelta(minutes=60)
    await bot.send(ADMIN, "/start")
    await _following_up(bot, ADMIN, "Zhang Wei, Acme")
    clock.advance(7 * DAY)
    await job.run(bot.app)
    assert [m.kind for m in await _crm(bot).outbox.pending()] == ["inactivity_nudge"]


async def test_dissatisfied_feedback_alerts_owner_managers_and_group(
    bot: Harness, clock: FakeClock
) -> None:
    """A rep logs dissatisfied feedback: the admin (no manager) is told with the words, the
    bound group alerted; the rep who logged it is not told again."""
    invite = texts(await bot.send(ADMIN, "/invite rep"))
    code = invite.split("start=")[1].split()[0]
    rep = User(3003, first_name="Rita")
    await bot.send(rep, f"/start {code}")
    await bot.send(ADMIN, "/bindgroup", chat_id=-100200, chat_type="group")
    await bot.send(rep, "/new Li Lei, Globex")
    await bot.press(rep, "Log")
    await bot.press(rep, "Feedback")
    await bot.send(rep, "Support never called back")
    await bot.press(rep, "Dissatisfied")
    await bot.press(rep, "Skip")
    await bot.press(rep, "Skip")
    await Dispatcher(bot.app.bot_data.crm, bot.app.bot, owner="t").tick()
    sent = [p for m, p in bot.api.calls if m == "sendMessage"]
    to_admin = [p["text"] for p in sent if int(p["chat_id"]) == ADMIN.id]
    assert any("is dissatisfied" in t and "Support never called back" in t for t in to_admin)
    assert not any("is dissatisfied" in p["text"] for p in sent if int(p["chat_id"]) == rep.id)
    assert any("Churn warning" in p["text"] for p in sent if int(p["chat_id"]) == -100200)


async def test_summary_instead_of_a_flood(bot: Harness, clock: FakeClock) -> None:
    """More than 20 nudges for one owner in one pass arrive as one message listing the
    longest quiet, in the owner's language."""
    await bot.send(ADMIN, "/start")
    crm = bot.app.bot_data.crm
    admin = await crm.team.get(user_id=ADMIN_ID)
    assert admin is not None
    for n in range(21):
        await bot.send(ADMIN, f"/new Quiet Customer {n}, +86 138 0013 {8100 + n}")
        await crm.customers.change_status(actor=admin, customer_id=n + 1,
                                          status=CustomerStatus.FOLLOWING_UP)
    clock.advance(timedelta(days=7, seconds=1))
    await crm.rules.run()
    mark = len(bot.api.calls)
    await Dispatcher(crm, bot.app.bot, owner="t").tick()
    sent = [p["text"] for m, p in bot.api.calls[mark:]
            if m == "sendMessage" and int(p["chat_id"]) == ADMIN_ID]
    assert len(sent) == 1
    assert "21 of your customers have had no contact" in sent[0]
    assert "#1 Quiet Customer 0" in sent[0]
