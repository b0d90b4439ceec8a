"""Team group alerts on a real database: binding (audited, managers only), deal-won alerts in
the status change's transaction, the daily overdue check, what an alert says at send time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.domain.models import CustomerStatus, Member, Role
from bot.services import CRM
from bot.services.errors import PermissionDenied, ReasonRequired
from bot.services.groups import (
    CHURN_WARNING,
    DEAL_WON,
    GROUP_ALERT,
    REP_OVERDUE,
    AlertGone,
    queue_group_alert,
)
from bot.storage.db import Database
from tests.unit.test_digest import amount, customer, join, move

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
GROUP, OTHER_GROUP = -100123, -100456


@pytest.fixture
def crm(db: Database, clock: FakeClock, settings: Settings) -> CRM:
    """The services on the test database."""
    return CRM(db, clock, settings)


@pytest.fixture
async def admin(crm: CRM) -> Member:
    """The configured admin."""
    member = await crm.team.identify(user_id=1001, full_name="Ada", username=None,
                                     language_code="en")
    assert member is not None
    return member


async def alerts(crm: CRM) -> list[tuple[int, str, int | None]]:
    """Pending group alerts as (chat, event, customer)."""
    return [(m.chat_id, m.payload["event"], m.customer_id)
            for m in await crm.outbox.pending() if m.kind == GROUP_ALERT]


async def test_bind_and_unbind_managers_only_audited(crm: CRM, admin: Member) -> None:
    """Admins and managers bind (once) and unbind; reps may not; each change is audited."""
    manager = await join(crm, admin, 2001, "Mona", Role.MANAGER)
    rep = await join(crm, admin, 3001, "Rita")
    with pytest.raises(PermissionDenied):
        await crm.groups.bind(actor=rep, chat_id=GROUP, title="Sales")
    group, created = await crm.groups.bind(actor=manager, chat_id=GROUP, title="Sales")
    assert created
    assert (group.bound_by, group.title, group.show_values) == (manager.id, "Sales", False)
    assert not (await crm.groups.bind(actor=admin, chat_id=GROUP, title="Sales"))[1]
    with pytest.raises(PermissionDenied):
        await crm.groups.unbind(actor=rep, chat_id=GROUP)
    assert await crm.groups.unbind(actor=admin, chat_id=GROUP)
    assert not await crm.groups.unbind(actor=admin, chat_id=GROUP)
    async with crm.db.read() as repo:
        audit = await repo.audit.recent(entity="group", entity_id=GROUP)
    assert [(a.action, a.actor_id) for a in audit] == [
        ("group.unbound", admin.id), ("group.bound", manager.id)
    ]


async def test_deal_won_alert_for_each_bound_group(crm: CRM, admin: Member) -> None:
    """Moving a customer to won queues one alert per bound group, in the same transaction;
    other moves and failed moves queue none."""
    cid = await customer(crm, admin, "Zhang Wei")
    await move(crm, admin, cid, CustomerStatus.WON)
    assert await alerts(crm) == []  # no group bound yet
    await crm.groups.bind(actor=admin, chat_id=GROUP, title=None)
    await crm.groups.bind(actor=admin, chat_id=OTHER_GROUP, title=None)
    await move(crm, admin, cid, CustomerStatus.MAINTAINING)
    with pytest.raises(ReasonRequired):
        await move(crm, admin, cid, CustomerStatus.CHURNED)
    assert await alerts(crm) == []
    await move(crm, admin, cid, CustomerStatus.WON)
    assert sorted(await alerts(crm)) == [(OTHER_GROUP, DEAL_WON, cid), (GROUP, DEAL_WON, cid)]


async def test_unbinding_drops_the_group_alerts_waiting(crm: CRM, admin: Member) -> None:
    """Alerts still pending for a group that is unbound are cancelled, others stay."""
    await crm.groups.bind(actor=admin, chat_id=GROUP, title=None)
    await crm.groups.bind(actor=admin, chat_id=OTHER_GROUP, title=None)
    cid = await customer(crm, admin, "Zhang Wei")
    await move(crm, admin, cid, CustomerStatus.WON)
    await crm.groups.unbind(actor=admin, chat_id=GROUP)
    assert await alerts(crm) == [(OTHER_GROUP, DEAL_WON, cid)]


async def test_overdue_check_once_a_day_from_its_time(
    crm: CRM, admin: Member, clock: FakeClock, settings: Settings
) -> None:
    """More than N overdue follow-ups (N=5): one alert per member and group, once a day, from
    the check time in the team's zone; exactly N is not more than N."""
    assert settings.group_overdue_threshold == 5
    assert settings.group_overdue_check_time == time(9, 0)
    rita = await join(crm, admin, 3001, "Rita")
    bob = await join(crm, admin, 3002, "Bob")
    await crm.groups.bind(actor=admin, chat_id=GROUP, title=None)
    for owner, count in ((rita, 6), (bob, 5)):
        for n in range(count):
            cid = await customer(crm, owner, f"{owner.full_name} {n}")
            await crm.customers.set_followup(actor=owner, customer_id=cid,
                                             when=T0 + timedelta(hours=1))
    clock.set(T0 + DAY - timedelta(minutes=1))  # 08:59 the next day
    assert await crm.groups.check_overdue() == 0
    clock.set(T0 + DAY)
    assert await crm.groups.check_overdue() == 1
    assert await crm.groups.check_overdue() == 0
    [row] = [m for m in await crm.outbox.pending() if m.kind == GROUP_ALERT]
    assert row.payload == {"event": REP_OVERDUE, "member_id": rita.id, "count": 6}
    assert row.chat_id == GROUP
    clock.set(T0 + 2 * DAY + timedelta(hours=3))
    assert await crm.groups.check_overdue() == 1


async def test_alert_facts_at_send_time(crm: CRM, admin: Member, clock: FakeClock) -> None:
    """A deal's value only for a group that shows values; an alert for an unbound group, a
    merged customer or a churn warning no longer standing is not sent."""
    cid = await customer(crm, admin, "Zhang Wei")
    await amount(crm, admin, cid, 50_000)
    await crm.groups.bind(actor=admin, chat_id=GROUP, title=None)
    clock.advance(timedelta(minutes=5))
    payload = {"event": DEAL_WON, "customer_id": cid, "won_at": clock.now().isoformat()}
    hidden = await crm.groups.alert(chat_id=GROUP, payload=payload, customer_id=cid)
    assert (hidden.owner_name, hidden.value) == ("Ada", None)
    await crm.groups.set_show_values(actor=admin, chat_id=GROUP, show=True)
    shown = await crm.groups.alert(chat_id=GROUP, payload=payload, customer_id=cid)
    assert shown.value == (5_000_000, "CNY")
    warning = {"event": CHURN_WARNING, "customer_id": cid}
    with pytest.raises(AlertGone):
        await crm.groups.alert(chat_id=GROUP, payload=warning, customer_id=None)
    await move(crm, admin, cid, CustomerStatus.CHURN_WARNING)
    churn = await crm.groups.alert(chat_id=GROUP, payload=warning, customer_id=None)
    assert churn.customer is not None
    assert churn.customer.id == cid
    with pytest.raises(AlertGone):
        await crm.groups.alert(chat_id=OTHER_GROUP, payload=payload, customer_id=cid)


async def test_queue_group_alert_once_per_occasion(crm: CRM, admin: Member) -> None:
    """With an occasion, a second alert for it is not queued."""
    await crm.groups.bind(actor=admin, chat_id=GROUP, title=None)
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for _ in range(2):
        async with crm.db.transaction() as tx:
            queued = await queue_group_alert(tx, event=REP_OVERDUE, at=now,
                                             facts={"member_id": 1, "count": 9}, occasion="x")
    assert queued == 0
    assert len(await alerts(crm)) == 1
