"""The rules pass over a real database: each rule with the clock moved, idempotence, resets,
overrides, who is told, and the SQL's use of its indexes."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.domain.models import (
    Customer,
    CustomerKind,
    CustomerStatus,
    InteractionKind,
    Member,
    OutboxMessage,
    Role,
    Sentiment,
    ValueTier,
)
from bot.domain.rules import inactivity, quiet_windows
from bot.services import CRM
from bot.services.rules import (
    CHURN_ALERT,
    CHURN_SUMMARY,
    DORMANT_NOTICE,
    GROUP_ALERT,
    NUDGE,
    OWNER_SUMMARY,
    TIER_NOTICE,
    RulesReport,
)
from bot.storage.db import Database

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
ADMIN, MANAGER, REP, OTHER_REP = 1, 2, 3, 4
GROUPS = (-1001, -1002)


@pytest.fixture
def crm(db: Database, clock: FakeClock, settings: Settings) -> CRM:
    """The services on the test database (default rules: following_up 7 days, ...)."""
    return CRM(db, clock, settings)


async def _member(crm: CRM, user_id: int, role: Role, *, active: bool = True) -> Member:
    async with crm.db.transaction() as tx:
        member = await tx.users.add(user_id=user_id, full_name=f"{role.value} {user_id}",
                                    username=None, role=role, language="en", timezone="UTC",
                                    at=crm.clock.now())
        if not active:
            member = await tx.users.update(user_id=user_id, at=crm.clock.now(), active=False)
    return member


async def _team(crm: CRM, *, manager: bool = True) -> None:
    await _member(crm, ADMIN, Role.ADMIN)
    if manager:
        await _member(crm, MANAGER, Role.MANAGER)
    await _member(crm, REP, Role.REP)


async def _customer(crm: CRM, status: CustomerStatus, *, owner: int | None = REP,
                    name: str = "Zhang Wei", **fields: Any) -> Customer:
    """A customer created now, in `status`, without any contact yet."""
    now = crm.clock.now()
    async with crm.db.transaction() as tx:
        customer = await tx.customers.add(
            name=name, company=None, kind=CustomerKind.B2C, phones=(), emails=(),
            telegram_username=None, city=None, source=None, demand=None, tags=(), notes=None,
            owner_id=owner, referred_by_id=None, created_by=owner, at=now,
        )
        return await tx.customers.update(customer_id=customer.id, at=now, status=status,
                                         **fields)


async def _get(crm: CRM, customer_id: int) -> Customer:
    async with crm.db.read() as repo:
        found = await repo.customers.get(customer_id=customer_id)
    assert found is not None
    return found


async def _rows(crm: CRM, kind: str | None = None) -> list[OutboxMessage]:
    async with crm.db.read() as repo:
        rows = await repo.outbox.all(limit=10_000)
    return [r for r in rows if kind is None or r.kind == kind]


def _bind_groups(path: Path, chat_ids: Sequence[int] = GROUPS) -> None:
    # Straight into the table: binding is the group feature's business, not this pass's.
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO group_chats (chat_id, title, bound_by, bound_at)"
            " VALUES (?, 'Sales', ?, '2026-01-01T00:00:00.000000Z')",
            [(chat_id, ADMIN) for chat_id in chat_ids],
        )
    conn.close()


def _snapshot(path: Path) -> tuple[Any, ...]:
    """Everything a pass may write, to compare before and after."""
    conn = sqlite3.connect(path)
    try:
        return tuple(
            conn.execute(sql).fetchall() for sql in (
                "SELECT * FROM outbox ORDER BY id",
                "SELECT * FROM status_history ORDER BY id",
                "SELECT * FROM audit_log ORDER BY id",
                "SELECT id, status, value_tier, updated_at FROM customers ORDER BY id",
            )
        )
    finally:
        conn.close()


async def _log(crm: CRM, customer_id: int, *, actor: int = REP, **fields: Any) -> None:
    member = await crm.team.get(user_id=actor)
    assert member is not None
    await crm.customers.log(actor=member, customer_id=customer_id, kind=InteractionKind.CALL,
                            text="talked", **fields)


# -- inactivity ------------------------------------------------------------------------------


async def test_nudge_once_per_threshold_crossing(crm: CRM, clock: FakeClock) -> None:
    """following_up: nothing before 7 days; at 7 days one nudge to the owner; never again
    while the customer stays quiet (the pass runs hourly)."""
    await _team(crm)
    customer = await _customer(crm, CustomerStatus.FOLLOWING_UP)
    created = clock.now()
    clock.advance(7 * DAY - SECOND)
    assert not (await crm.rules.run()).changed
    clock.advance(SECOND)
    report = await crm.rules.run()
    assert report.nudges == 1
    [nudge] = await _rows(crm, NUDGE)
    assert (nudge.chat_id, nudge.user_id, nudge.customer_id) == (REP, REP, customer.id)
    assert nudge.due_at == clock.now()
    assert nudge.payload == {"status": "following_up", "threshold_days": 7, "role": "owner",
                             "quiet_since": "2026-01-05T09:00:00.000000Z"}
    assert datetime.fromisoformat(nudge.payload["quiet_since"]) == created
    for _ in range(24 * 6):  # hourly passes until just before the churn threshold
        clock.advance(timedelta(hours=1))
        if clock.now() >= created + 14 * DAY:
            break
        assert (await crm.rules.run()).nudges == 0
    assert len(await _rows(crm, NUDGE)) == 1
    assert (await _get(crm, customer.id)).status is CustomerStatus.FOLLOWING_UP


async def test_logging_resets_the_clock(crm: CRM, clock: FakeClock) -> None:
    """A logged interaction starts a new cycle: no warning at 14 days, a new nudge 7 days
    after the contact."""
    await _team(crm)
    customer = await _customer(crm, CustomerStatus.FOLLOWING_UP)
    clock.advance(7 * DAY)
    assert (await crm.rules.run()).nudges == 1
    clock.advance(3 * DAY)
    await _log(crm, customer.id)
    contacted = clock.now()
    clock.advance(4 * DAY)  # 14 days after creation, 4 after the contact
    assert not (await crm.rules.run()).changed
    assert (await _get(crm, customer.id)).status is CustomerStatus.FOLLOWING_UP
    clock.set(contacted + 7 * DAY)
    assert (await crm.rules.run()).nudges == 1
    nudges = await _rows(crm, NUDGE)
    assert len(nudges) == 2
    assert datetime.fromisoformat(nudges[1].payload["quiet_since"]) == contacted
    assert nudges[0].dedupe_key != nudges[1].dedupe_key


async def test_status_change_starts_a_new_cycle(crm: CRM, clock: FakeClock) -> None:
    """Moved from following_up (nudged) to pending_confirmation (3 days) without contact: that
    status's own threshold applies, so the owner is nudged again."""
    await _team(crm)
    customer = await _customer(crm, CustomerStatus.FOLLOWING_UP)
    clock.advance(7 * DAY)
    await crm.rules.run()
    rep = await crm.team.get(user_id=REP)
    assert rep is not None
    await crm.customers.change_status(actor=rep, customer_id=customer.id,
                                      status=CustomerStatus.MAINTAINING)
    assert (await crm.rules.run()).nudges == 0  # maintaining: 30 days
    clock.advance(23 * DAY)
    assert (await crm.rules.run()).nudges == 1
    assert [r.payload["status"] for r in await _rows(crm, NUDGE)] == [
        "following_up", "maintaining"]


async def test_churn_warning_past_twice_the_threshold(
    crm: CRM, clock: FakeClock, db_path: Path
) -> None:
    """At 14 days: churn_warning by the system (history and audit without a person); the owner
    and the manager are told (not the admin: there is a manager), each group alerted."""
    await _team(crm)
    _bind_groups(db_path)
    customer = await _customer(crm, CustomerStatus.FOLLOWING_UP)
    clock.advance(14 * DAY)  # the pass did not run in between: straight to the warning
    report = await crm.rules.run()
    assert report == RulesReport(churn_warnings=1, messages=4)
    assert (await _get(crm, customer.id)).status is CustomerStatus.CHURN_WARNING
    async with crm.db.read() as repo:
        [change] = await repo.status_history.for_customer(customer_id=customer.id)
        [audit] = [a for a in await repo.audit.recent(entity="customer")
                   if a.action == "customer.status_changed"]
    assert change.changed_by is None
    assert (change.from_status, change.to_status) == (
        CustomerStatus.FOLLOWING_UP, CustomerStatus.CHURN_WARNING)
    assert change.changed_at == clock.now()
    assert audit.actor_id is None
    assert audit.entity_id == str(customer.id)
    assert audit.details == {"from": "following_up", "to": "churn_warning",
                             "rule": "inactivity", "threshold_days": 7,
                             "quiet_since": "2026-01-05T09:00:00.000000Z"}
    alerts = await _rows(crm, CHURN_ALERT)
    assert [(a.chat_id, a.user_id, a.payload["role"]) for a in alerts] == [
        (REP, REP, "owner"), (MANAGER, MANAGER, "manager")]
    groups = await _rows(crm, GROUP_ALERT)
    assert sorted((g.chat_id, g.user_id, g.customer_id) for g in groups) == sorted(
        (chat_id, None, customer.id) for chat_id in GROUPS)
    assert all(g.payload == {"event": "churn_warning", "customer_id": customer.id}
               for g in groups)
    assert await _rows(crm, NUDGE) == []


async def test_admins_stand_in_for_missing_managers(crm: CRM, clock: FakeClock) -> None:
    """No manager in the team: the admins are told; an inactive admin is not."""
    await _team(crm, manager=False)
    await _member(crm, 9, Role.ADMIN, active=False)
    await _customer(crm, CustomerStatus.PENDING_CONFIRMATION)  # 3 days
    clock.advance(6 * DAY)
    await crm.rules.run()
    assert [(a.chat_id, a.payload["role"]) for a in await _rows(crm, CHURN_ALERT)] == [
        (REP, "owner"), (ADMIN, "manager")]


async def test_manager_who_owns_the_customer_is_told_once(
    crm: CRM, clock: FakeClock
) -> None:
    """The owner is a manager: one message, as the owner."""
    await _team(crm)
    await _customer(crm, CustomerStatus.INITIAL_CONTACT, owner=MANAGER)
    clock.advance(6 * DAY)
    await crm.rules.run()
    assert [(a.chat_id, a.payload["role"]) for a in await _rows(crm, CHURN_ALERT)] == [
        (MANAGER, "owner")]


async def test_no_owner_or_departed_owner(crm: CRM, clock: FakeClock) -> None:
    """Without an (active) owner nobody is nudged, but a warning still reaches the manager."""
    await _team(crm)
    await _member(crm, OTHER_REP, Role.REP, active=False)
    orphan = await _customer(crm, CustomerStatus.FOLLOWING_UP, owner=None)
    left = await _customer(crm, CustomerStatus.FOLLOWING_UP, owner=OTHER_REP)
    clock.advance(7 * DAY)
    report = await crm.rules.run()
    assert report.nudges == 0
    assert await _rows(crm) == []
    clock.advance(7 * DAY)
    assert (await crm.rules.run()).churn_warnings == 2
    assert sorted((a.customer_id, a.chat_id) for a in await _rows(crm, CHURN_ALERT)) == [
        (orphan.id, MANAGER), (left.id, MANAGER)]


async def test_statuses_without_a_rule_and_merged_customers_are_left_alone(
    crm: CRM, clock: FakeClock
) -> None:
    """potential, won, churned, dormant have no threshold by default; merged customers are
    not customers any more."""
    await _team(crm)
    for status in (CustomerStatus.POTENTIAL, CustomerStatus.WON, CustomerStatus.CHURNED,
                   CustomerStatus.DORMANT):
        await _customer(crm, status)
    survivor = await _customer(crm, CustomerStatus.WON, name="Survivor")
    await _customer(crm, CustomerStatus.FOLLOWING_UP, merged_into_id=survivor.id)
    clock.advance(365 * DAY)
    assert not (await crm.rules.run()).changed
    assert await _rows(crm) == []


async def test_dormant_after_sixty_more_quiet_days(crm: CRM, clock: FakeClock) -> None:
    """Warned at day 14; dormant 60 days later (not a second before); the owner is told."""
    await _team(crm)
    customer = await _customer(crm, CustomerStatus.FOLLOWING_UP)
    clock.advance(14 * DAY)
    await crm.rules.run()
    clock.advance(60 * DAY - SECOND)
    assert (await crm.rules.run()).dormant == 0
    clock.advance(SECOND)
    assert (await crm.rules.run()).dormant == 1
    assert (await _get(crm, customer.id)).status is CustomerStatus.DORMANT
    [notice] = await _rows(crm, DORMANT_NOTICE)
    assert (notice.chat_id, notice.customer_id) == (REP, customer.id)
    async with crm.db.read() as repo:
        latest = (await repo.status_history.for_customer(customer_id=customer.id))[0]
    assert (latest.from_status, latest.to_status, latest.changed_by) == (
        CustomerStatus.CHURN_WARNING, CustomerStatus.DORMANT, None)
    clock.advance(365 * DAY)
    assert not (await crm.rules.run()).changed


async def test_dormancy_counts_from_a_fresh_warning(crm: CRM, clock: FakeClock) -> None:
    """Dissatisfied feedback raises the warning now (and is a contact); a warning set by hand
    on a long-quiet customer waits 60 days from the move, not from the old contact."""
    await _team(crm)
    unhappy = await _customer(crm, CustomerStatus.MAINTAINING, name="Unhappy")
    quiet = await _customer(crm, CustomerStatus.POTENTIAL, name="Quiet")
    clock.advance(200 * DAY)
    await _log(crm, unhappy.id, sentiment=Sentiment.DISSATISFIED)
    rep = await crm.team.get(user_id=REP)
    assert rep is not None
    await crm.customers.change_status(actor=rep, customer_id=quiet.id,
                                      status=CustomerStatus.CHURN_WARNING)
    assert (await crm.rules.run()).dormant == 0
    clock.advance(60 * DAY - SECOND)
    assert (await crm.rules.run()).dormant == 0
    clock.advance(SECOND)
    assert (await crm.rules.run()).dormant == 2


async def test_windows_in_sql_match_the_domain_rule(crm: CRM, clock: FakeClock) -> None:
    """Customers quiet for just under, exactly at and just over each threshold get from the
    pass what `bot.domain.rules.inactivity` says, status by status."""
    await _team(crm)
    now = clock.now() + 400 * DAY
    cases: list[tuple[Customer, datetime]] = []
    for status, days in crm.settings.inactivity_days:
        for quiet in (days * DAY - SECOND, days * DAY, days * DAY + SECOND,
                      2 * days * DAY - SECOND, 2 * days * DAY, 2 * days * DAY + SECOND):
            customer = await _customer(crm, status, name=f"{status.value} {quiet}",
                                       last_contact_at=now - quiet)
            cases.append((customer, now - quiet))
    clock.set(now)
    await crm.rules.run()
    nudged = {r.customer_id for r in await _rows(crm, NUDGE)}
    for customer, since in cases:
        expected = inactivity(customer.status, since, now, crm.rules.inactivity)
        after = await _get(crm, customer.id)
        assert (after.status is CustomerStatus.CHURN_WARNING) == (
            expected is not None and expected.value == "churn_warning"), customer.name
        assert (customer.id in nudged) == (
            expected is not None and expected.value == "nudge"), customer.name
    assert len(quiet_windows(crm.rules.inactivity, now)) == 8


async def test_second_pass_at_the_same_time_writes_nothing(
    crm: CRM, clock: FakeClock, db_path: Path
) -> None:
    """Every rule fires in the first pass; the second writes not a single row."""
    await _team(crm)
    _bind_groups(db_path)
    await _customer(crm, CustomerStatus.FOLLOWING_UP, name="Nudged")
    await _customer(crm, CustomerStatus.INITIAL_CONTACT, name="Warned")
    await _customer(crm, CustomerStatus.CHURN_WARNING, name="Dormant")
    buyer = await _customer(crm, CustomerStatus.MAINTAINING, name="Buyer")
    clock.advance(8 * DAY)
    await _log(crm, buyer.id, amount_minor=20_000_000, currency="CNY")
    clock.advance(DAY)
    first = await crm.rules.run()
    assert (first.nudges, first.churn_warnings, first.tiers, first.tier_notices) == (
        1, 1, 1, 1)
    clock.advance(60 * DAY)
    assert (await crm.rules.run()).dormant >= 1
    before = _snapshot(db_path)
    second = await crm.rules.run()
    assert second == RulesReport()
    assert not second.changed
    assert _snapshot(db_path) == before


# -- value tiers -----------------------------------------------------------------------------


async def test_promotion_and_demotion_are_told(crm: CRM, clock: FakeClock) -> None:
    """A large recent purchase: high (owner told); 91 days later: normal (told); after the
    window: low (not told: neither side is high)."""
    await _team(crm)
    customer = await _customer(crm, CustomerStatus.MAINTAINING)
    await _log(crm, customer.id, amount_minor=10_000_000, currency="CNY")  # 100,000 CNY
    report = await crm.rules.run()
    assert (report.tiers, report.tier_notices) == (1, 1)
    assert (await _get(crm, customer.id)).value_tier is ValueTier.HIGH
    clock.advance(91 * DAY)
    await _log(crm, customer.id)  # a contact, not a purchase
    assert (await crm.rules.run()).tier_notices == 1
    assert (await _get(crm, customer.id)).value_tier is ValueTier.NORMAL
    clock.advance(275 * DAY)
    await _log(crm, customer.id)
    report = await crm.rules.run()
    assert (report.tiers, report.tier_notices) == (1, 0)
    assert (await _get(crm, customer.id)).value_tier is ValueTier.LOW
    notices = await _rows(crm, TIER_NOTICE)
    assert [(n.chat_id, n.payload) for n in notices] == [
        (REP, {"from": "normal", "to": "high"}), (REP, {"from": "high", "to": "normal"})]


async def test_frequency_and_currency(crm: CRM, clock: FakeClock) -> None:
    """Six small purchases make a customer high; amounts in another currency count as
    purchases but not towards the amount."""
    await _team(crm)
    frequent = await _customer(crm, CustomerStatus.MAINTAINING, name="Frequent")
    foreign = await _customer(crm, CustomerStatus.MAINTAINING, name="Foreign")
    for _ in range(6):
        await _log(crm, frequent.id, amount_minor=100, currency="CNY")
        clock.advance(DAY)
    await _log(crm, foreign.id, amount_minor=99_000_000, currency="USD")
    await crm.rules.run()
    assert (await _get(crm, frequent.id)).value_tier is ValueTier.HIGH
    assert (await _get(crm, foreign.id)).value_tier is ValueTier.NORMAL


async def test_override_wins(crm: CRM, clock: FakeClock) -> None:
    """With a tier set by hand, the computed tier is still stored but nobody is told."""
    await _team(crm)
    customer = await _customer(crm, CustomerStatus.MAINTAINING,
                               value_tier_override=ValueTier.LOW)
    await _log(crm, customer.id, amount_minor=10_000_000, currency="CNY")
    report = await crm.rules.run()
    assert (report.tiers, report.tier_notices) == (1, 0)
    after = await _get(crm, customer.id)
    assert (after.value_tier, after.tier) == (ValueTier.HIGH, ValueTier.LOW)
    assert await _rows(crm, TIER_NOTICE) == []
    async with crm.db.read() as repo:
        audit = [a for a in await repo.audit.recent(entity="customer")
                 if a.action == "customer.tier_computed"]
    assert [(a.actor_id, a.details) for a in audit] == [(None, {"from": "normal", "to": "high"})]


async def test_former_buyers_lose_a_stale_tier(crm: CRM, clock: FakeClock) -> None:
    """A customer who never bought but holds a tier (imported, or an old rule) is normal."""
    await _team(crm)
    customer = await _customer(crm, CustomerStatus.POTENTIAL, value_tier=ValueTier.HIGH)
    assert (await crm.rules.run()).tier_notices == 1
    assert (await _get(crm, customer.id)).value_tier is ValueTier.NORMAL


# -- storage ---------------------------------------------------------------------------------


async def test_staging_leaves_nothing_behind(crm: CRM, clock: FakeClock) -> None:
    """The temporary staging tables are empty after a pass."""
    await _team(crm)
    await _customer(crm, CustomerStatus.FOLLOWING_UP)
    clock.advance(30 * DAY)
    await crm.rules.run()
    async with crm.db.read() as repo:
        assert await repo.rules.bound_groups() == []
    conn = crm.db._conn  # the temp tables are visible to this connection only
    for table in ("rules_due", "rules_tiers"):
        cur = await conn.execute(f"SELECT COUNT(*) FROM temp.{table}")
        row = await cur.fetchone()
        assert row is not None
        assert row[0] == 0


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        ("SELECT c.id FROM customers AS c WHERE c.status = 'following_up'"
         " AND c.merged_into_id IS NULL AND {quiet} <= '2026-01-01'", "customers_quiet"),
        ("SELECT customer_id, MAX(occurred_at) FROM interactions WHERE amount_minor IS NOT NULL"
         " GROUP BY customer_id", "interactions_purchases"),
        ("SELECT c.id FROM customers AS c WHERE c.value_tier != 'normal'"
         " AND c.merged_into_id IS NULL", "customers_tiered"),
    ],
)
async def test_queries_use_the_indexes_of_migration_5(
    db: Database, db_path: Path, sql: str, index: str
) -> None:
    """The pass's candidate queries are index range scans, not scans of the tables."""
    from bot.storage.rules import _QUIET_SINCE

    conn = sqlite3.connect(db_path)
    try:
        plan = " ".join(str(row) for row in conn.execute(
            "EXPLAIN QUERY PLAN " + sql.format(quiet=_QUIET_SINCE)
        ))
    finally:
        conn.close()
    assert index in plan


async def test_many_at_once_are_summarised_once(
    crm: CRM, clock: FakeClock, db_path: Path
) -> None:
    """A pass that catches more than 20 of one owner's customers (a first run, an outage)
    sends one summary per reader instead of a flood, and never repeats a summarised nudge."""
    await _team(crm)
    _bind_groups(db_path)
    for n in range(25):
        await _customer(crm, CustomerStatus.FOLLOWING_UP, name=f"Quiet {n}")
    for n in range(22):
        await _customer(crm, CustomerStatus.PENDING_CONFIRMATION, name=f"Pending {n}")
    clock.advance(7 * DAY + SECOND)  # following_up: nudge (7 d); pending: warning (2 x 3 d)
    await crm.rules.run()
    # Each nudge is recorded (so it is never sent later) but cancelled in favour of the summary.
    assert {m.state for m in await _rows(crm, NUDGE)} == {"cancelled"}
    assert await _rows(crm, CHURN_ALERT) == []
    assert await _rows(crm, GROUP_ALERT) == []
    owner = await _rows(crm, OWNER_SUMMARY)
    assert sorted((m.chat_id, m.payload["decision"], m.payload["count"]) for m in owner) == [
        (REP, "churn_warning", 22), (REP, "nudge", 25)
    ]
    assert len(owner[0].payload["customer_ids"]) == 10
    summaries = await _rows(crm, CHURN_SUMMARY)
    assert sorted(m.chat_id for m in summaries) == sorted([MANAGER, *GROUPS])
    clock.advance(timedelta(hours=1))
    await crm.rules.run()
    assert len(await _rows(crm, OWNER_SUMMARY)) == 2
    assert [m for m in await _rows(crm, NUDGE) if m.state == "pending"] == []
