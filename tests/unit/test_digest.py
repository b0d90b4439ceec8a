"""The digest's figures on a real database, with the clock moved: periods and their bounds,
deal values, overdue follow-ups per member, customers at risk, scheduled digests, nudges."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.domain.models import CustomerStatus, InteractionKind, Member, Role
from bot.services import CRM
from bot.services.customers import CustomerDraft
from bot.services.digest import DIGEST, MANAGER_NUDGE, Period
from bot.services.errors import PermissionDenied
from bot.storage.db import Database
from tests.conftest import ADMIN_ID

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def crm(db: Database, clock: FakeClock, settings: Settings) -> CRM:
    """The services on the test database."""
    return CRM(db, clock, settings)


@pytest.fixture
async def admin(crm: CRM) -> Member:
    """The configured admin."""
    member = await crm.team.identify(user_id=ADMIN_ID, full_name="Ada", username=None,
                                     language_code="en")
    assert member is not None
    return member


async def join(crm: CRM, admin: Member, user_id: int, name: str, role: Role = Role.REP
               ) -> Member:
    """A member who joined by invite."""
    invite = await crm.team.create_invite(actor=admin, role=role)
    member, _ = await crm.team.join(user_id=user_id, full_name=name, username=None,
                                    language_code="en", code=invite.code)
    return member


async def customer(crm: CRM, owner: Member, name: str) -> int:
    """A new customer of `owner`, now."""
    created = await crm.customers.capture(actor=owner, draft=CustomerDraft(name=name),
                                          force=True)
    return created.id


async def amount(crm: CRM, actor: Member, customer_id: int, yuan: int) -> None:
    """Log an amount (CNY) on a customer, now."""
    await crm.customers.log(actor=actor, customer_id=customer_id, kind=InteractionKind.NOTE,
                            text="deal", amount_minor=yuan * 100, currency="CNY")


async def move(crm: CRM, actor: Member, customer_id: int, status: CustomerStatus) -> None:
    """Change a customer's status, now."""
    await crm.customers.change_status(actor=actor, customer_id=customer_id, status=status)


# --- figures of a period -------------------------------------------------------------------


async def test_period_figures_and_deal_values(
    crm: CRM, admin: Member, clock: FakeClock
) -> None:
    """Created, moved, won (latest amount within 30 days before the win), warned: only the
    period's; the weekly summary sees what the daily digest two days later no longer does."""
    manager = await join(crm, admin, 2001, "Mona", Role.MANAGER)
    rep = await join(crm, admin, 3001, "Rita")
    old = await customer(crm, rep, "Old Deal")
    await amount(crm, rep, old, 30_000)  # 40 days before its win: not its value
    clock.advance(40 * DAY)
    fresh = await customer(crm, rep, "Fresh Deal")
    other = await customer(crm, rep, "Going Quiet")
    await amount(crm, rep, fresh, 12_000)
    clock.advance(HOUR)
    await amount(crm, rep, fresh, 15_000)  # the contract after the quote: the value
    await move(crm, rep, fresh, CustomerStatus.WON)
    await move(crm, rep, old, CustomerStatus.WON)
    await move(crm, rep, other, CustomerStatus.FOLLOWING_UP)
    await move(crm, rep, other, CustomerStatus.CHURN_WARNING)
    clock.advance(HOUR)

    report = await crm.digest.report(actor=manager)
    assert report.new_customers == 2
    assert report.moves == {CustomerStatus.WON: 2, CustomerStatus.FOLLOWING_UP: 1,
                            CustomerStatus.CHURN_WARNING: 1}
    assert [(w.customer.id, w.amount, w.owner_name) for w in report.wins] == [
        (old, None, "Rita"), (fresh, (1_500_000, "CNY"), "Rita"),
    ]
    assert report.totals() == {"CNY": 1_500_000}
    assert report.churn_warnings == 1
    assert not report.quiet_period

    clock.advance(2 * DAY)
    assert (await crm.digest.report(actor=manager)).quiet_period
    weekly = await crm.digest.report(actor=manager, period=Period.WEEKLY)
    assert weekly.new_customers == 2
    assert len(weekly.wins) == 2


async def test_period_excludes_its_start_and_includes_its_end(
    crm: CRM, admin: Member, clock: FakeClock
) -> None:
    """(since, until]: an event at `until` is in this digest, one at `since` in the previous."""
    at_start = await customer(crm, admin, "At Start")
    clock.advance(DAY)
    at_end = await customer(crm, admin, "At End")
    await move(crm, admin, at_start, CustomerStatus.WON)
    report = await crm.digest.report(actor=admin, since=T0, until=T0 + DAY)
    assert report.new_customers == 1
    assert [w.customer.id for w in report.wins] == [at_start]
    previous = await crm.digest.report(actor=admin, since=T0 - DAY, until=T0)
    assert previous.new_customers == 1
    assert previous.wins == []
    assert at_end != at_start


async def test_a_rep_gets_no_digest(crm: CRM, admin: Member) -> None:
    """Digests are for managers and admins."""
    rep = await join(crm, admin, 3001, "Rita")
    with pytest.raises(PermissionDenied):
        await crm.digest.report(actor=rep)


# --- the moment's figures -------------------------------------------------------------------


async def test_overdue_per_member_most_first(
    crm: CRM, admin: Member, clock: FakeClock
) -> None:
    """Follow-ups due before now per owner, most first; deactivated members left out."""
    rita = await join(crm, admin, 3001, "Rita")
    bob = await join(crm, admin, 3002, "Bob")
    gone = await join(crm, admin, 3003, "Gone")
    for owner, count in ((rita, 3), (bob, 1), (gone, 2)):
        for n in range(count):
            cid = await customer(crm, owner, f"{owner.full_name} {n}")
            await crm.customers.set_followup(actor=owner, customer_id=cid, when=T0 + HOUR)
    later = await customer(crm, bob, "Not yet")
    await crm.customers.set_followup(actor=bob, customer_id=later, when=T0 + 5 * DAY)
    await crm.team.set_active(actor=admin, user_id=gone.id, active=False)
    assert (await crm.digest.report(actor=admin)).overdue == []
    clock.advance(DAY)
    overdue = (await crm.digest.report(actor=admin)).overdue
    assert [(o.name, o.count) for o in overdue] == [("Rita", 3), ("Bob", 1)]


async def test_at_risk_churn_warnings_first_then_the_quietest_active(
    crm: CRM, admin: Member, clock: FakeClock
) -> None:
    """Churn warnings (longest quiet first), then active customers quiet for 7+ days, the
    longest first; potential, churned, dormant and recently contacted ones are not at risk;
    five at most."""
    ids: dict[str, int] = {}
    plan = [
        ("maintaining-old", CustomerStatus.MAINTAINING),
        ("following-old", CustomerStatus.FOLLOWING_UP),
        ("warned-old", CustomerStatus.CHURN_WARNING),
        ("potential-old", None),
        ("dormant-old", CustomerStatus.DORMANT),
        ("won-mid", CustomerStatus.WON),
        ("pending-mid", CustomerStatus.PENDING_CONFIRMATION),
        ("initial-mid", CustomerStatus.INITIAL_CONTACT),
        ("warned-new", CustomerStatus.CHURN_WARNING),
        ("following-new", CustomerStatus.FOLLOWING_UP),
    ]
    for name, status in plan:
        ids[name] = await customer(crm, admin, name)
        await crm.customers.log(actor=admin, customer_id=ids[name], kind=InteractionKind.CALL,
                                text="hi")
        if status is not None:
            await move(crm, admin, ids[name], status)
        clock.advance(DAY)
    clock.advance(3 * DAY)  # "following-new" is 4 days quiet: not yet at risk
    report = await crm.digest.report(actor=admin)
    assert [r.customer.name for r in report.at_risk] == [
        "warned-old", "warned-new", "maintaining-old", "following-old", "won-mid",
    ]
    assert report.at_risk[0].quiet_since == T0 + 2 * DAY


# --- scheduled digests ----------------------------------------------------------------------


async def test_today_digest_is_queued_once_at_the_local_time(
    crm: CRM, admin: Member, clock: FakeClock
) -> None:
    """Each manager's digest for their local today, due at their digest time, written once;
    reps get none; Tuesday's is daily, Monday's the weekly summary."""
    manager = await join(crm, admin, 2001, "Mona", Role.MANAGER)
    await join(crm, admin, 3001, "Rita")
    manager = await crm.preferences.set_timezone(member=manager, timezone="Asia/Shanghai")
    clock.set(datetime(2026, 1, 5, 20, 0, tzinfo=UTC))  # Tuesday 04:00 in Shanghai
    assert await crm.digest.schedule_due() == 2
    assert await crm.digest.schedule_due() == 0
    rows = {m.user_id: m for m in await crm.outbox.pending() if m.kind == DIGEST}
    assert set(rows) == {ADMIN_ID, manager.id}
    mona = rows[manager.id]
    assert mona.due_at == datetime(2026, 1, 6, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert mona.payload == {"period": "daily", "since": "2026-01-05T01:00:00+00:00",
                            "until": "2026-01-06T01:00:00+00:00"}
    assert rows[ADMIN_ID].due_at == T0  # Monday 09:00 UTC: the weekly summary
    assert rows[ADMIN_ID].payload["period"] == "weekly"
    assert rows[ADMIN_ID].payload["since"] == (T0 - 7 * DAY).isoformat()


async def test_changed_digest_time_moves_the_waiting_digest(
    crm: CRM, admin: Member, clock: FakeClock
) -> None:
    """A digest not yet sent follows a new digest time; one already sent is not repeated."""
    clock.set(T0 + DAY - 2 * HOUR)  # Tuesday 07:00 UTC
    await crm.digest.schedule_due()
    await crm.preferences.set_digest_time(member=admin, at=time(8, 30))
    assert await crm.digest.schedule_due() == 0
    [row] = [m for m in await crm.outbox.pending() if m.dedupe_key == "digest:1001:2026-01-06"]
    assert row.due_at == T0 + DAY - 30 * timedelta(minutes=1)
    assert row.payload["until"] == row.due_at.isoformat()


async def test_no_digest_for_a_day_joined_after_its_time(
    crm: CRM, admin: Member, clock: FakeClock
) -> None:
    """A manager who joins at 15:00 gets tomorrow's digest, not one at once."""
    clock.set(T0 + 6 * HOUR)
    await join(crm, admin, 2001, "Mona", Role.MANAGER)
    await crm.digest.schedule_due()
    assert [m.user_id for m in await crm.outbox.pending() if m.kind == DIGEST] == [ADMIN_ID]
    clock.set(T0 + DAY - HOUR)
    await crm.digest.schedule_due()
    days = sorted(str(m.dedupe_key) for m in await crm.outbox.pending() if m.user_id == 2001)
    assert days == ["digest:2001:2026-01-06"]


# --- nudges -------------------------------------------------------------------------------


async def test_nudge_writes_one_message_to_the_owner_a_day(
    crm: CRM, admin: Member, clock: FakeClock
) -> None:
    """A manager's nudge: one outbox row to the owner (audited), once per day; none for the
    manager's own customer; reps may not nudge."""
    manager = await join(crm, admin, 2001, "Mona", Role.MANAGER)
    rep = await join(crm, admin, 3001, "Rita")
    theirs = await customer(crm, rep, "Theirs")
    mine = await customer(crm, manager, "Mine")
    first = await crm.digest.nudge(actor=manager, customer_id=theirs)
    assert first.queued
    assert first.owner is not None
    assert first.owner.id == rep.id
    assert not (await crm.digest.nudge(actor=manager, customer_id=theirs)).queued
    assert not (await crm.digest.nudge(actor=manager, customer_id=mine)).queued
    with pytest.raises(PermissionDenied):
        await crm.digest.nudge(actor=rep, customer_id=mine)
    rows = [m for m in await crm.outbox.pending() if m.kind == MANAGER_NUDGE]
    assert [(m.chat_id, m.customer_id, m.payload) for m in rows] == [
        (rep.id, theirs, {"manager_id": manager.id})
    ]
    clock.advance(DAY)
    assert (await crm.digest.nudge(actor=manager, customer_id=theirs)).queued
