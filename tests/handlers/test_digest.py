"""/digest and the scheduled digest: managers only, a chart with the text, buttons that open
customers and nudge their owners, delivered once at the manager's local time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from bot.clock import FakeClock
from bot.domain.models import InteractionKind, Member
from bot.reminders.dispatch import Dispatcher
from bot.services import CRM
from tests.conftest import ADMIN_ID
from tests.handlers.harness import Harness, User, texts

ADMIN = User(ADMIN_ID, first_name="Ada")
MANAGER = User(2002, first_name="Mona")
MANAGER_ZH = User(2002, first_name="Mona", language_code="zh-hans")
REP = User(3003, first_name="Rita")


def _crm(bot: Harness) -> CRM:
    return bot.app.bot_data.crm


async def _join(bot: Harness, user: User, role: str) -> Member:
    return await bot.join(ADMIN, user, role)


async def _book(bot: Harness, clock: FakeClock) -> None:
    """Rita's customers: one won with a contract amount, one gone quiet for 20 days."""
    rita = await _join(bot, REP, "rep")
    await bot.send(REP, "/new Zhang Wei, Acme")
    await bot.send(REP, "/new Li Lei, Globex")
    await bot.send(REP, "/status #2")
    await bot.press(REP, "Following up")
    clock.advance(timedelta(days=20))
    await _crm(bot).customers.log(actor=rita, customer_id=1, kind=InteractionKind.NOTE,
                                  text="contract", amount_minor=5_000_000, currency="CNY")
    await bot.send(REP, "/status #1")
    await bot.press(REP, "Won")
    clock.advance(timedelta(hours=1))


def _digests(bot: Harness, chat_id: int) -> list[tuple[str, dict[str, Any]]]:
    """The digests sent to a chat (a photo without caption is followed by the digest)."""
    return [(m, p) for m, p in bot.api.calls
            if m in ("sendPhoto", "sendMessage") and int(p["chat_id"]) == chat_id
            and "📊" in str(p.get("caption") or p.get("text") or "")]


async def test_digest_for_a_manager(bot: Harness, clock: FakeClock) -> None:
    """A photo (the pipeline chart) captioned with the day's figures, and buttons to open
    each customer at risk and to nudge its owner."""
    await _join(bot, MANAGER, "manager")
    await _book(bot, clock)
    sent = await bot.send(MANAGER, "/digest")
    assert [m for m, _ in bot.api.calls[-1:]] == ["sendPhoto"]
    caption = texts(sent)
    assert caption.startswith("<b>📊 Daily digest</b> · 2026-01-24 10:00 – 2026-01-25 10:00")
    assert "🆕 New customers: 0" in caption
    assert "🔀 Status moves: 1 — Won 1" in caption
    assert "🏆 Deals won: 1 — CN¥50,000.00" in caption
    assert "  • #1 Zhang Wei (Acme) · CN¥50,000.00 · Rita" in caption
    assert "1. #2 Li Lei (Globex) — Following up · never contacted · Rita" in caption
    buttons = bot.buttons(bot.last_message_to(MANAGER.id))
    assert buttons == {"#2 Li Lei · Globex": "c:2", "👋 Nudge Rita": "dg:n:2"}
    card = await bot.press(MANAGER, "#2 Li Lei · Globex")
    assert "<b>#2 Li Lei</b> — Globex" in texts(card)


async def test_digest_is_refused_to_a_rep(bot: Harness) -> None:
    """A rep asking for the digest is told it is for managers; nothing else is sent."""
    await _join(bot, REP, "rep")
    sent = await bot.send(REP, "/digest")
    assert texts(sent) == "The digest is for managers and admins."
    assert "sendPhoto" not in [m for m, _ in bot.api.calls]


async def test_digest_in_a_group_is_refused(bot: Harness) -> None:
    """Customers at risk are not for a group: the manager is sent to the private chat."""
    sent = await bot.send(ADMIN, "/digest", chat_id=-100, chat_type="group")
    assert texts(sent) == "Send /digest to me in a private chat."


async def test_digest_in_chinese(bot: Harness, clock: FakeClock) -> None:
    """A Chinese-speaking manager reads it in Chinese; an empty day is one line."""
    await _join(bot, MANAGER_ZH, "manager")
    empty = texts(await bot.send(MANAGER_ZH, "/digest"))
    assert empty.startswith("<b>📊 每日摘要</b> · 2026-01-04 09:00 – 2026-01-05 09:00 — 无事可报")
    assert "\n" not in empty
    await _book(bot, clock)
    text = texts(await bot.send(MANAGER_ZH, "/digest 周"))
    assert text.startswith("<b>📊 每周汇总</b>")
    assert "🏆 成交：1 — ¥50,000.00" in text
    assert "🚨 <b>风险客户</b>" in text
    assert "👋 提醒Rita" in bot.buttons(bot.last_message_to(MANAGER.id))


async def test_a_long_digest_is_a_photo_then_the_text(bot: Harness, clock: FakeClock) -> None:
    """Over Telegram's 1024-character caption the chart goes first, then the text."""
    await _join(bot, REP, "rep")
    for n in range(1, 7):
        await bot.send(REP, f"/new Customer {n} {'x' * 150}, Company {n} {'y' * 40}")
        await bot.send(REP, f"/status #{n}")
        await bot.press(REP, "Won")
    sent = await bot.send(ADMIN, "/digest")
    photo, message = bot.api.calls[-2:]
    assert photo[0] == "sendPhoto"
    assert "caption" not in photo[1]
    assert message[0] == "sendMessage"
    assert "🏆 Deals won: 6" in message[1]["text"]
    assert len(message[1]["text"]) > 1024
    assert len(sent) == 2


async def test_scheduled_digest_arrives_once_at_local_time(
    bot: Harness, clock: FakeClock
) -> None:
    """Queued by the job, sent by the dispatcher at 09:00 in the manager's zone (01:00 UTC
    for Shanghai), once; the next day's comes the next day."""
    mona = await _join(bot, MANAGER, "manager")
    crm = _crm(bot)
    await crm.preferences.set_timezone(member=mona, timezone="Asia/Shanghai")
    dispatcher = Dispatcher(crm, bot.app.bot, owner="test")
    clock.set(datetime(2026, 1, 6, 0, 0, tzinfo=UTC))  # Tuesday 08:00 in Shanghai
    assert await crm.digest.schedule_due() == 2  # Mona's and Ada's (09:00 UTC)
    assert await dispatcher.tick() == 0
    clock.set(datetime(2026, 1, 6, 0, 59, 59, tzinfo=UTC))
    assert await dispatcher.tick() == 0
    clock.set(datetime(2026, 1, 6, 1, 0, tzinfo=UTC))
    assert await dispatcher.tick() == 1
    [(method, params)] = _digests(bot, MANAGER.id)
    assert method == "sendMessage"  # a quiet day: one line, no chart
    assert params["text"].startswith(
        "<b>📊 Daily digest</b> · 2026-01-05 09:00 – 2026-01-06 09:00 — nothing to report"
    )
    for minutes in (5, 60, 600):
        clock.set(datetime(2026, 1, 6, 1, 0, tzinfo=UTC) + timedelta(minutes=minutes))
        assert await crm.digest.schedule_due() == 0
        await dispatcher.tick()
    assert len(_digests(bot, MANAGER.id)) == 1
    assert len(_digests(bot, ADMIN_ID)) == 1  # Ada's at 09:00 UTC
    clock.set(datetime(2026, 1, 7, 0, 30, tzinfo=UTC))
    assert await crm.digest.schedule_due() == 2
    clock.set(datetime(2026, 1, 7, 1, 0, tzinfo=UTC))
    assert await dispatcher.tick() == 1
    assert len(_digests(bot, MANAGER.id)) == 2


async def test_scheduled_digest_waits_for_quiet_hours_and_has_the_chart(
    bot: Harness, clock: FakeClock
) -> None:
    """A digest time inside quiet hours is delivered when they end, with chart and buttons,
    covering the period up to the digest time."""
    await _book(bot, clock)  # now 2026-01-25 10:00 UTC, a Sunday
    crm = _crm(bot)
    ada = await crm.team.get(user_id=ADMIN_ID)
    assert ada is not None
    await crm.preferences.set_quiet_hours(member=ada, start=time(22), end=time(11))
    await crm.preferences.set_digest_time(member=ada, at=time(10, 30))
    assert await crm.digest.schedule_due() == 1
    dispatcher = Dispatcher(crm, bot.app.bot, owner="test")
    clock.set(datetime(2026, 1, 25, 10, 30, tzinfo=UTC))
    assert await dispatcher.tick() == 0
    await crm.customers.log(actor=ada, customer_id=2, kind=InteractionKind.CALL, text="late")
    clock.set(datetime(2026, 1, 25, 11, 0, tzinfo=UTC))
    assert await dispatcher.tick() == 1
    method, params = bot.api.calls[-1]
    assert method == "sendPhoto"
    assert params["caption"].startswith(
        "<b>📊 Daily digest</b> · 2026-01-24 10:30 – 2026-01-25 10:30"
    )
    assert "Deals won: 1" in params["caption"]
    assert "Nudge" not in str(params.get("reply_markup"))  # Li Lei was called since
    assert len(_digests(bot, ADMIN_ID)) == 1


async def test_nudge_sends_the_owner_a_message_once(bot: Harness, clock: FakeClock) -> None:
    """The Nudge button queues a message to the owner (once a day), delivered by the
    dispatcher with a button to open the card."""
    await _join(bot, MANAGER, "manager")
    await _book(bot, clock)
    await bot.send(MANAGER, "/digest")
    digest = bot.last_message_to(MANAGER.id)
    await bot.press(MANAGER, "👋 Nudge Rita", digest)
    assert bot.answers()[-1]["text"] == "Asked Rita to follow up with #2 Li Lei · Globex."
    await bot.press(MANAGER, "👋 Nudge Rita", digest)
    assert bot.answers()[-1]["text"] == (
        "You already asked Rita about #2 Li Lei · Globex today."
    )
    assert await Dispatcher(_crm(bot), bot.app.bot, owner="test").tick() == 1
    nudge = bot.last_message_to(REP.id)
    assert nudge["text"].startswith(
        "👋 Mona asks you to follow up with <b>#2 Li Lei (Globex)</b>.\nStatus: Following up"
    )
    assert bot.buttons(nudge) == {"Open card": "c:2"}
    await bot.press_data(REP, "dg:n:2", nudge)
    assert bot.answers()[-1]["text"] == "The digest is for managers and admins."


async def test_a_long_scheduled_digest_is_a_photo_then_the_text(
    bot: Harness, clock: FakeClock
) -> None:
    """The dispatcher does the same: the chart alone, then the text; both count as one
    delivery of the row."""
    await _join(bot, REP, "rep")
    clock.advance(timedelta(minutes=1))  # after the period's start, which it excludes
    for n in range(1, 7):
        await bot.send(REP, f"/new Customer {n} {'x' * 150}, Company {n} {'y' * 40}")
        await bot.send(REP, f"/status #{n}")
        await bot.press(REP, "Won")
    crm = _crm(bot)
    clock.set(datetime(2026, 1, 6, 8, 0, tzinfo=UTC))
    assert await crm.digest.schedule_due() == 1
    clock.set(datetime(2026, 1, 6, 9, 0, tzinfo=UTC))
    mark = len(bot.api.calls)
    assert await Dispatcher(crm, bot.app.bot, owner="test").tick() == 1
    (photo, photo_params), (method, params) = bot.api.calls[mark:]
    assert (photo, method) == ("sendPhoto", "sendMessage")
    assert "caption" not in photo_params
    assert params["text"].startswith("<b>📊 Daily digest</b> · 2026-01-05 09:00 – 2026-01-06")
    assert len(params["text"]) > 1024
    [row] = await crm.outbox.sent_rows()
    assert row.message_id == bot.last_message_to(ADMIN_ID)["message_id"]
