"""Team group chats: /bindgroup and /unbindgroup (admins and managers), the group's /settings
toggle, and the alerts posted there (values hidden unless shown, several in one message)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import FakeClock
from bot.domain.models import CustomerStatus, InteractionKind, Member
from bot.reminders.dispatch import Dispatcher
from bot.services import CRM
from bot.services.groups import CHURN_WARNING, queue_group_alert
from tests.conftest import ADMIN_ID
from tests.handlers.harness import Harness, User, texts

ADMIN = User(ADMIN_ID, first_name="Ada")
MANAGER = User(2002, first_name="Mona")
REP = User(3003, first_name="Rita")
STRANGER = User(4004, first_name="Sam")
GROUP = -100777


def _crm(bot: Harness) -> CRM:
    return bot.app.bot_data.crm


async def _join(bot: Harness, user: User, role: str) -> Member:
    return await bot.join(ADMIN, user, role)


async def _in_group(bot: Harness, user: User, text: str) -> str:
    return texts(await bot.send(user, text, chat_id=GROUP, chat_type="group"))


def _group_messages(bot: Harness) -> list[str]:
    return [str(p["text"]) for m, p in bot.api.calls
            if m == "sendMessage" and int(p["chat_id"]) == GROUP
            and not str(p["text"]).startswith(("✅", "<b>Team", "🔕"))]


async def _win(bot: Harness, rita: Member, customer_id: int, yuan: int) -> None:
    """Rita logs the contract's amount and marks the deal won."""
    await _crm(bot).customers.log(actor=rita, customer_id=customer_id,
                                  kind=InteractionKind.NOTE, text="contract",
                                  amount_minor=yuan * 100, currency="CNY")
    await bot.send(REP, f"/status #{customer_id}")
    await bot.press(REP, "Won")


async def test_bind_and_unbind_by_a_manager(bot: Harness) -> None:
    """A manager binds the group (audited), again is a no-op, unbinds; nothing to unbind then."""
    await _join(bot, MANAGER, "manager")
    assert (await _in_group(bot, MANAGER, "/bindgroup")).startswith(
        "✅ This group now receives team alerts"
    )
    group = await _crm(bot).groups.get(chat_id=GROUP)
    assert group is not None
    assert (group.bound_by, group.title, group.show_values) == (MANAGER.id, "Sales team", False)
    assert "already receives team alerts" in await _in_group(bot, ADMIN, "/bindgroup")
    assert await _in_group(bot, MANAGER, "/unbindgroup") == (
        "🔕 This group no longer receives team alerts."
    )
    assert await _crm(bot).groups.get(chat_id=GROUP) is None
    assert "does not receive team alerts" in await _in_group(bot, MANAGER, "/unbindgroup")
    async with _crm(bot).db.read() as repo:
        actions = [e.action for e in await repo.audit.recent(entity="group")]
    assert actions == ["group.unbound", "group.bound"]


async def test_a_rep_cannot_bind_or_unbind(bot: Harness) -> None:
    """Reps are refused both ways; strangers in the group get no answer at all."""
    await _join(bot, REP, "rep")
    refusal = "Only admins and managers can bind this group or change its alerts."
    assert await _in_group(bot, REP, "/bindgroup") == refusal
    assert await _crm(bot).groups.get(chat_id=GROUP) is None
    assert await _in_group(bot, STRANGER, "/bindgroup") == ""
    await _in_group(bot, ADMIN, "/bindgroup")
    assert await _in_group(bot, REP, "/unbindgroup") == refusal
    assert await _crm(bot).groups.get(chat_id=GROUP) is not None


async def test_bindgroup_in_a_private_chat_points_to_the_group(bot: Harness) -> None:
    """The command belongs in the group."""
    assert texts(await bot.send(ADMIN, "/bindgroup")) == (
        "Send /bindgroup in your team's group chat (add me to the group first)."
    )


async def test_group_settings_toggle_deal_values(bot: Harness) -> None:
    """/settings in a bound group shows the values toggle; an admin flips it, a rep may not;
    the private /settings is still the member's own."""
    await _join(bot, REP, "rep")
    assert "does not receive team alerts" in await _in_group(bot, ADMIN, "/settings")
    await _in_group(bot, ADMIN, "/bindgroup")
    menu = await _in_group(bot, ADMIN, "/settings")
    assert "Show deal values: off" in menu
    message = bot.last_message_to(GROUP)
    turned_on = await bot.press_data(ADMIN, bot.buttons(message)["Show deal values"], message)
    assert "Show deal values: on" in texts(turned_on)
    message = bot.last_message_to(GROUP)
    await bot.press_data(REP, bot.buttons(message)["Hide deal values"], message)
    assert bot.answers()[-1]["text"] == (
        "Only admins and managers can bind this group or change its alerts."
    )
    group = await _crm(bot).groups.get(chat_id=GROUP)
    assert group is not None
    assert group.show_values
    assert "Only admins and managers" in await _in_group(bot, REP, "/settings")
    assert "<b>Your settings</b>" in texts(await bot.send(ADMIN, "/settings"))
    async with _crm(bot).db.read() as repo:
        changes = [(e.action, e.details) for e in await repo.audit.recent(entity="group")]
    assert changes[0] == ("group.settings_changed", {"show_values": True})


async def test_deal_won_alert_hides_then_shows_the_value(
    bot: Harness, clock: FakeClock
) -> None:
    """A win is posted in the group at the next tick: without its value, then (values on)
    with it."""
    rita = await _join(bot, REP, "rep")
    await _in_group(bot, ADMIN, "/bindgroup")
    await bot.send(REP, "/new Zhang Wei, Acme")
    await bot.send(REP, "/new Li Lei, Globex")
    dispatcher = Dispatcher(_crm(bot), bot.app.bot, owner="test")
    await _win(bot, rita, 1, 50_000)
    assert await dispatcher.tick() == 1
    assert _group_messages(bot) == ["🏆 Deal won: #1 Zhang Wei (Acme) · Rita"]
    await _in_group(bot, ADMIN, "/settings")
    await bot.press(ADMIN, "Show deal values", bot.last_message_to(GROUP))
    clock.advance(timedelta(minutes=1))
    await _win(bot, rita, 2, 8_800)
    assert await dispatcher.tick() == 1
    assert _group_messages(bot)[-1] == "🏆 Deal won: #2 Li Lei (Globex) · CN¥8,800.00 · Rita"
    assert await dispatcher.tick() == 0


async def test_alerts_due_together_are_one_group_message(
    bot: Harness, clock: FakeClock
) -> None:
    """Two wins, a churn warning (as the rules pass writes it) and an overdue member, due
    together: one message, the alerts separated by blank lines."""
    rita = await _join(bot, REP, "rep")
    await _in_group(bot, ADMIN, "/bindgroup")
    crm = _crm(bot)
    for n in range(1, 10):
        await bot.send(REP, f"/new Customer {n}, Company {n}")
    for n in range(3, 9):
        await bot.send(REP, f"/followup #{n} 2026-01-05 12:00")
    await _win(bot, rita, 1, 1_000)
    await _win(bot, rita, 2, 2_000)
    await crm.customers.change_status(actor=rita, customer_id=9,
                                      status=CustomerStatus.CHURN_WARNING)
    async with crm.db.transaction() as tx:
        await queue_group_alert(tx, event=CHURN_WARNING, at=clock.now(), customer_id=9)
    clock.set(datetime(2026, 1, 6, 9, 0, tzinfo=UTC))  # the daily check's time
    assert await crm.groups.check_overdue() == 1
    sent_before = len(bot.api.calls)
    dispatcher = Dispatcher(crm, bot.app.bot, owner="test")
    reminders = 6  # Rita's own follow-up reminders go to her, one by one
    assert await dispatcher.tick() == 4 + reminders
    group_sends: list[dict[str, Any]] = [
        p for m, p in bot.api.calls[sent_before:]
        if m == "sendMessage" and int(p["chat_id"]) == GROUP
    ]
    assert len(group_sends) == 1
    assert group_sends[0]["text"] == "\n\n".join([
        "🏆 Deal won: #1 Customer 1 (Company 1) · Rita",
        "🏆 Deal won: #2 Customer 2 (Company 2) · Rita",
        "⚠️ Churn warning: #9 Customer 9 (Company 9) · Rita",
        "⏰ Rita has 6 overdue follow-ups.",
    ])


async def test_unbound_group_gets_nothing(bot: Harness) -> None:
    """Alerts queued before /unbindgroup are dropped with it."""
    rita = await _join(bot, REP, "rep")
    await _in_group(bot, ADMIN, "/bindgroup")
    await bot.send(REP, "/new Zhang Wei, Acme")
    await _win(bot, rita, 1, 50_000)
    await _in_group(bot, ADMIN, "/unbindgroup")
    assert await Dispatcher(_crm(bot), bot.app.bot, owner="test").tick() == 0
    assert _group_messages(bot) == []


async def test_group_upgraded_to_supergroup_is_followed(bot: Harness) -> None:
    """Telegram moved the group to a new id: the binding follows, the alert goes there once."""
    rita = await _join(bot, REP, "rep")
    await _in_group(bot, ADMIN, "/bindgroup")
    await bot.send(REP, "/new Zhang Wei, Acme")
    new_id = -1009990001
    bot.api.migrated[GROUP] = new_id
    await _win(bot, rita, 1, 50_000)
    assert await Dispatcher(_crm(bot), bot.app.bot, owner="test").tick() == 1
    delivered = [p["text"] for m, p in bot.api.calls
                 if m == "sendMessage" and int(p["chat_id"]) == new_id]
    assert delivered == ["🏆 Deal won: #1 Zhang Wei (Acme) · Rita"]
    assert await _crm(bot).groups.get(chat_id=GROUP) is None
    assert await _crm(bot).groups.get(chat_id=new_id) is not None
