"""The manager's digest: what happened in a period, what is overdue, who is at risk.

A digest covers a period (since, until]: the 24 hours before the manager's digest time, or the
7 days before it for the weekly summary, which on Mondays takes the daily digest's place (one
message, a superset of it). Figures of the period: customers created, status moves (captures
are not moves), deals won, churn warnings raised. Figures of the moment the digest is read:
overdue follow-ups per member, the five customers most at risk, the pipeline by status.

Deal values: the value of a deal won is the amount of the customer's latest amount-bearing
interaction logged from 30 days before the win until the end of the period (the quote or the
contract, whichever came last; an amount logged right after marking the deal won counts).
Totals are per currency, never converted.

Scheduled digests are outbox rows (kind `digest`), queued by `schedule_due` (a job that runs
every few minutes) with the exact local digest time as their due time and one dedupe key per
manager and local date, so each is written once and sent once; the dispatcher renders them
at send time and holds them through the manager's quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.domain.models import Customer, CustomerStatus, Member
from bot.services.errors import NotFound, PermissionDenied
from bot.services.groups import DEAL_VALUE_LOOKBACK
from bot.storage.db import Database
from bot.storage.repositories import Repositories

DIGEST = "digest"
MANAGER_NUDGE = "manager_nudge"

AT_RISK_LIMIT = 5
# Customers in these statuses are being worked on: going quiet puts them at risk.
ACTIVE_STATUSES = (
    CustomerStatus.INITIAL_CONTACT,
    CustomerStatus.FOLLOWING_UP,
    CustomerStatus.PENDING_CONFIRMATION,
    CustomerStatus.WON,
    CustomerStatus.MAINTAINING,
)
# A customer of an active status is at risk after this long without contact (churn warnings
# always are); a week is the shortest inactivity rule that matters for most statuses.
AT_RISK_QUIET = timedelta(days=7)


class Period(StrEnum):
    """How long a digest looks back."""

    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def length(self) -> timedelta:
        """The span of the period."""
        return timedelta(days=7 if self is Period.WEEKLY else 1)


@dataclass(frozen=True)
class Win:
    """A deal won in the period, with its value when one was logged."""

    customer: Customer
    won_at: datetime
    owner_name: str | None
    amount: tuple[int, str] | None


@dataclass(frozen=True)
class AtRisk:
    """A customer at risk: a churn warning, or an active customer gone quiet."""

    customer: Customer
    owner_name: str | None
    quiet_since: datetime


@dataclass(frozen=True)
class Overdue:
    """A member's overdue follow-ups."""

    member_id: int
    name: str
    count: int


@dataclass(frozen=True)
class DigestReport:
    """Everything a digest shows."""

    period: Period
    since: datetime
    until: datetime
    now: datetime
    new_customers: int = 0
    moves: dict[CustomerStatus, int] = field(default_factory=dict)
    wins: list[Win] = field(default_factory=list)
    churn_warnings: int = 0
    overdue: list[Overdue] = field(default_factory=list)
    at_risk: list[AtRisk] = field(default_factory=list)
    pipeline: dict[CustomerStatus, int] = field(default_factory=dict)

    @property
    def quiet_period(self) -> bool:
        """Nothing happened in the period."""
        return not (self.new_customers or self.moves or self.wins or self.churn_warnings)

    @property
    def empty(self) -> bool:
        """Nothing happened and nothing needs attention: the digest is one line."""
        return self.quiet_period and not self.overdue and not self.at_risk

    def totals(self) -> dict[str, int]:
        """The value of the deals won, per currency (minor units)."""
        sums: dict[str, int] = {}
        for win in self.wins:
            if win.amount is not None:
                amount, currency = win.amount
                sums[currency] = sums.get(currency, 0) + amount
        return sums


@dataclass(frozen=True)
class Nudge:
    """The outcome of a manager's nudge: queued, already asked today, or nobody to ask."""

    customer: Customer
    owner: Member | None
    queued: bool


def digest_moment(member: Member, day: date) -> datetime:
    """The instant (UTC) of a member's digest time on a local day."""
    zone = ZoneInfo(member.timezone)
    # Through UTC: a digest time inside a DST gap lands just after it.
    return datetime.combine(day, member.digest_time, zone).astimezone(UTC)


class DigestService:
    """Digest figures, the scheduled digests, and managers' nudges."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings

    async def report(
        self,
        *,
        actor: Member,
        period: Period = Period.DAILY,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DigestReport:
        """The digest of (since, until] (default: the period up to now), for a manager."""
        if not actor.is_manager_or_admin:
            raise PermissionDenied("digests are for managers")
        now = self._clock.now()
        until = until or now
        since = since or until - period.length
        async with self._db.read() as repo:
            members = await repo.users.all()
            names = {m.id: m.full_name for m in members}
            active = {m.id for m in members if m.active}
            wins = await self._wins(repo, since, until, names)
            warned = await repo.digest.moved_to(
                status=CustomerStatus.CHURN_WARNING, since=since, until=until
            )
            overdue = await repo.digest.overdue_by_owner(now=now)
            return DigestReport(
                period=period,
                since=since,
                until=until,
                now=now,
                new_customers=await repo.digest.new_customers(since=since, until=until),
                moves=await repo.digest.moves(since=since, until=until),
                wins=wins,
                churn_warnings=len(warned),
                overdue=sorted(
                    (Overdue(member_id=mid, name=names.get(mid, str(mid)), count=count)
                     for mid, count in overdue.items() if mid in active),
                    key=lambda o: (-o.count, o.name.casefold(), o.member_id),
                ),
                at_risk=await self._at_risk(repo, now, names),
                pipeline=await repo.customers.count_by_status(owner_ids=None),
            )

    async def _wins(self, repo: Repositories, since: datetime, until: datetime,
                    names: dict[int, str]) -> list[Win]:
        moved = await repo.digest.moved_to(status=CustomerStatus.WON, since=since, until=until)
        customers = {
            c.id: c for c in await repo.customers.get_many(customer_ids=[m[0] for m in moved])
        }
        wins = []
        for customer_id, won_at, _by in moved:
            customer = customers.get(customer_id)
            if customer is None or customer.merged_into_id is not None:
                continue
            amount = await repo.digest.latest_amount(
                customer_id=customer_id, since=won_at - DEAL_VALUE_LOOKBACK, until=until
            )
            owner = names.get(customer.owner_id) if customer.owner_id is not None else None
            wins.append(Win(customer=customer, won_at=won_at, owner_name=owner, amount=amount))
        return wins

    async def _at_risk(self, repo: Repositories, now: datetime,
                       names: dict[int, str]) -> list[AtRisk]:
        # Churn warnings first (the longest without contact first), then the active customers
        # quiet for the longest.
        ids = await repo.digest.quietest(
            statuses=[CustomerStatus.CHURN_WARNING], before=None, limit=AT_RISK_LIMIT
        )
        if len(ids) < AT_RISK_LIMIT:
            ids += await repo.digest.quietest(
                statuses=ACTIVE_STATUSES, before=now - AT_RISK_QUIET,
                limit=AT_RISK_LIMIT - len(ids),
            )
        return [
            AtRisk(
                customer=c,
                owner_name=names.get(c.owner_id) if c.owner_id is not None else None,
                quiet_since=c.last_contact_at or c.created_at,
            )
            for c in await repo.customers.get_many(customer_ids=ids)
        ]

    # -- scheduled digests -------------------------------------------------------------------

    async def schedule_due(self) -> int:
        """Queue today's digest of each manager and admin (their local today), due at their
        digest time; a digest already queued for that day is moved if the time was changed
        and is still waiting. Returns how many were queued."""
        now = self._clock.now()
        queued = 0
        async with self._db.transaction() as tx:
            for member in await tx.users.all(active_only=True):
                if not member.is_manager_or_admin:
                    continue
                day = now.astimezone(ZoneInfo(member.timezone)).date()
                moment = digest_moment(member, day)
                if moment < member.created_at:
                    continue  # joined after today's digest time: the first one is tomorrow's
                period = Period.WEEKLY if day.weekday() == 0 else Period.DAILY
                since = digest_moment(member, day - period.length)
                payload: dict[str, Any] = {
                    "period": period.value, "since": since.isoformat(),
                    "until": moment.isoformat(),
                }
                key = f"{DIGEST}:{member.id}:{day.isoformat()}"
                added = await tx.outbox.add(
                    kind=DIGEST, chat_id=member.id, user_id=member.id, due_at=moment, at=now,
                    payload=payload, dedupe_key=key,
                )
                if added is not None:
                    queued += 1
                else:
                    await tx.digest.reschedule_pending(
                        dedupe_key=key, due_at=moment, payload=payload, now=now
                    )
        return queued

    # -- nudges ------------------------------------------------------------------------------

    async def nudge(self, *, actor: Member, customer_id: int) -> Nudge:
        """Ask a customer's owner to follow up (once per customer, manager and day)."""
        if not actor.is_manager_or_admin:
            raise PermissionDenied("nudges are for managers")
        now = self._clock.now()
        day = now.astimezone(ZoneInfo(actor.timezone)).date().isoformat()
        async with self._db.transaction() as tx:
            customer = await tx.customers.get(customer_id=customer_id)
            if customer is None or customer.merged_into_id is not None:
                raise NotFound(str(customer_id))
            owner = (await tx.users.get(user_id=customer.owner_id)
                     if customer.owner_id is not None else None)
            if owner is None or not owner.active or owner.id == actor.id:
                return Nudge(customer=customer, owner=owner, queued=False)
            added = await tx.outbox.add(
                kind=MANAGER_NUDGE, chat_id=owner.id, user_id=owner.id, customer_id=customer_id,
                payload={"manager_id": actor.id}, due_at=now, at=now,
                dedupe_key=f"{MANAGER_NUDGE}:{customer_id}:{actor.id}:{day}",
            )
            if added is not None:
                await tx.audit.add(actor_id=actor.id, action="customer.nudged",
                                   entity="customer", entity_id=customer_id, at=now,
                                   details={"owner": owner.id})
        return Nudge(customer=customer, owner=owner, queued=added is not None)

    async def nudge_context(self, *, customer_id: int, manager_id: int
                            ) -> tuple[Customer, Member | None]:
        """For a nudge at send time: the customer as it is now, and the manager who asked."""
        async with self._db.read() as repo:
            customer = await repo.customers.get(customer_id=customer_id)
            if customer is None or customer.merged_into_id is not None:
                raise NotFound(str(customer_id))
            return customer, await repo.users.get(user_id=manager_id)
