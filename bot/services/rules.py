"""The periodic rules pass: inactivity nudges, churn warnings, dormancy and value tiers.

The rules themselves are in `bot.domain.rules`; the inactivity rule comes as time windows per
status, which storage applies with a few set-based statements (100,000 customers in well under
a second, not one round trip per customer). Each change is written with its outbox rows in the
same transaction. A second pass at the same time writes nothing: moved customers no longer
match, and every message has a dedupe key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.config import Settings
from bot.domain import rules
from bot.domain.models import Customer, CustomerStatus, Role
from bot.domain.rules import Decision, InactivityPolicy, TierPolicy
from bot.storage.db import Database
from bot.storage.repositories import Repositories
from bot.storage.rules import TierChange

NUDGE = "inactivity_nudge"
CHURN_ALERT = "churn_alert"
DORMANT_NOTICE = "dormant_notice"
TIER_NOTICE = "tier_notice"
# Rendered by the team-group side; this pass only queues them.
GROUP_ALERT = "group_alert"

# Who a personal message is for, in its payload ("role"): the customer's owner or a manager.
OWNER = "owner"
MANAGER = "manager"


@dataclass(frozen=True)
class RulesReport:
    """What one pass did: customers moved or re-tiered, and outbox rows written."""

    nudges: int = 0
    churn_warnings: int = 0
    dormant: int = 0
    tiers: int = 0
    tier_notices: int = 0
    messages: int = 0

    @property
    def changed(self) -> bool:
        """Whether the pass wrote anything."""
        return any((self.nudges, self.churn_warnings, self.dormant, self.tiers, self.messages))


class RulesService:
    """Evaluates the inactivity and value rules over the whole book."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self._db = db
        self._clock = clock
        self._currency = settings.default_currency
        self.inactivity = InactivityPolicy(
            thresholds=dict(settings.inactivity_days),
            dormant_after_days=settings.dormant_after_days,
        )
        self.tiers = TierPolicy(
            window_days=settings.tier_window_days,
            recency_days=settings.tier_recency_days,
            high_amount_minor=rules.minor_units(settings.tier_high_amount, self._currency),
            high_purchases=settings.tier_high_purchases,
            low_amount_minor=rules.minor_units(settings.tier_low_amount, self._currency),
        )

    async def run(self) -> RulesReport:
        """One pass over every customer."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await tx.rules.begin()
            managers = await self._managers(tx)
            groups = await tx.rules.bound_groups()
            # Staged before anything moves: a customer warned by this pass is not also found
            # dormant by it, and nobody is staged twice.
            await tx.rules.stage_dormant(until=rules.dormant_until(self.inactivity, now))
            for window in rules.quiet_windows(self.inactivity, now):
                await tx.rules.stage_quiet(window=window)
            dormant = await tx.rules.move_staged(
                decision=Decision.DORMANT, to_status=CustomerStatus.DORMANT, rule="dormancy",
                at=now,
            )
            messages = await tx.rules.queue_for_owners(
                decision=Decision.DORMANT, kind=DORMANT_NOTICE, at=now
            )
            nudges = await tx.rules.queue_for_owners(decision=Decision.NUDGE, kind=NUDGE, at=now)
            warned = await tx.rules.move_staged(
                decision=Decision.CHURN_WARNING, to_status=CustomerStatus.CHURN_WARNING,
                rule="inactivity", at=now,
            )
            messages += await tx.rules.queue_for_owners(
                decision=Decision.CHURN_WARNING, kind=CHURN_ALERT, at=now
            )
            messages += await tx.rules.queue_for_members(
                decision=Decision.CHURN_WARNING, kind=CHURN_ALERT, member_ids=managers,
                role=MANAGER, at=now,
            )
            messages += await tx.rules.queue_for_groups(
                decision=Decision.CHURN_WARNING, kind=GROUP_ALERT, event="churn_warning",
                chat_ids=groups, at=now,
            )
            await tx.rules.end()
        # Tiers in a transaction of their own: independent of the above, and the database
        # lock is released in between for the bot's users.
        async with self._db.transaction() as tx:
            await tx.rules.begin()
            changes = await self._tier_changes(tx, now)
            tiers, told = await tx.rules.apply_tiers(changes=changes, kind=TIER_NOTICE, at=now)
            await tx.rules.end()
        return RulesReport(
            nudges=nudges, churn_warnings=warned, dormant=dormant, tiers=tiers,
            tier_notices=told, messages=messages + nudges + told,
        )

    async def subject(self, *, customer_id: int) -> Customer | None:
        """The customer a rule's message is about (None when gone or merged away)."""
        async with self._db.read() as repo:
            customer = await repo.customers.get(customer_id=customer_id)
        return None if customer is None or customer.merged_into_id is not None else customer

    async def _managers(self, tx: Repositories) -> list[int]:
        """Who hears of churn warnings besides the owner: the managers, or the admins of a
        team without managers."""
        managers = await tx.users.ids_with_role(roles=[Role.MANAGER])
        return managers or await tx.users.ids_with_role(roles=[Role.ADMIN])

    async def _tier_changes(self, tx: Repositories, now: datetime) -> list[TierChange]:
        """Each customer's tier recomputed; owners hear of moves into or out of high unless
        a tier set by hand applies."""
        changes = []
        inputs = await tx.rules.tier_inputs(
            window_start=self.tiers.window_start(now), currency=self._currency,
            neutral=rules.NO_PURCHASE_TIER,
        )
        for row in inputs:
            tier = rules.value_tier(row.purchases, now, self.tiers)
            if tier is not row.value_tier:
                tell = row.override is None and rules.tier_worth_telling(row.value_tier, tier)
                changes.append(TierChange(row.customer_id, row.owner_id, row.value_tier, tier,
                                          tell))
        return changes
