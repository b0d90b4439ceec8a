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
from bot.domain.models import Customer, CustomerStatus, Role, ValueTier
from bot.domain.rules import Decision, InactivityPolicy, TierPolicy
from bot.storage.db import Database
from bot.storage.repositories import Repositories
from bot.storage.rules import TierChange

NUDGE = "inactivity_nudge"
CHURN_ALERT = "churn_alert"
CHURN_SUMMARY = "churn_summary"
TIER_SUMMARY = "tier_summary"
OWNER_SUMMARY = "owner_summary"
# Above this many churn warnings in one pass, managers and groups get one summary.
SUMMARY_AFTER = 20
SUMMARY_SHOWN = 10
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
            messages = await self._for_owners(tx, Decision.DORMANT, DORMANT_NOTICE, now)
            nudges = await self._for_owners(tx, Decision.NUDGE, NUDGE, now)
            warned = await tx.rules.move_staged(
                decision=Decision.CHURN_WARNING, to_status=CustomerStatus.CHURN_WARNING,
                rule="inactivity", at=now,
            )
            messages += await self._for_owners(tx, Decision.CHURN_WARNING, CHURN_ALERT, now)
            if warned > SUMMARY_AFTER:
                # Many warnings at once (a first run, a long outage): managers and groups get
                # one summary each instead of a message per customer.
                messages += await self._summaries(tx, managers, groups, warned, now)
            else:
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
            changes, summarised = self._summarise_tiers(await self._tier_changes(tx, now))
            tiers, told = await tx.rules.apply_tiers(changes=changes, kind=TIER_NOTICE, at=now)
            told += await self._tier_summaries(tx, summarised, now)
            await tx.rules.end()
        return RulesReport(
            nudges=nudges, churn_warnings=warned, dormant=dormant, tiers=tiers,
            tier_notices=told, messages=messages + nudges + told,
        )

    async def _for_owners(self, tx: Repositories, decision: Decision, kind: str,
                          now: datetime) -> int:
        """One message per customer to its owner, or one summary for an owner with many."""
        if decision is Decision.NUDGE:
            # A nudged customer stays where it is and is found again next pass: its own
            # message must exist (cancelled when summarised) so that it is not nudged twice.
            written = await tx.rules.queue_for_owners(decision=decision, kind=kind, at=now)
            crowded = await tx.rules.fold_crowded(kind=kind, at=now, more_than=SUMMARY_AFTER,
                                                  shown=SUMMARY_SHOWN)
            written -= sum(count for count, _ids in crowded.values())
        else:
            # Warned and dormant customers change status: no later pass finds them again.
            written = await tx.rules.queue_for_owners(decision=decision, kind=kind, at=now,
                                                      most=SUMMARY_AFTER)
            crowded = await tx.rules.crowded_owners(decision=decision,
                                                    more_than=SUMMARY_AFTER,
                                                    shown=SUMMARY_SHOWN)
        for owner, (count, ids) in crowded.items():
            added = await tx.outbox.add(
                kind=OWNER_SUMMARY, chat_id=owner, user_id=owner, due_at=now, at=now,
                payload={"decision": decision.value, "count": count, "customer_ids": ids},
                dedupe_key=f"{OWNER_SUMMARY}:{decision.value}:{now.isoformat()}:{owner}",
            )
            written += added is not None
        return written

    async def _summaries(self, tx: Repositories, managers: list[int], groups: list[int],
                         count: int, now: datetime) -> int:
        payload = {
            "count": count,
            "customer_ids": await tx.rules.staged(decision=Decision.CHURN_WARNING,
                                                  limit=SUMMARY_SHOWN),
        }
        written = 0
        for chat_id, user_id in [(m, m) for m in managers] + [(g, None) for g in groups]:
            added = await tx.outbox.add(
                kind=CHURN_SUMMARY, chat_id=chat_id, user_id=user_id, payload=payload,
                due_at=now, at=now, dedupe_key=f"{CHURN_SUMMARY}:{now.isoformat()}:{chat_id}",
            )
            written += added is not None
        return written

    @staticmethod
    def _summarise_tiers(changes: list[TierChange]
                         ) -> tuple[list[TierChange], dict[int, list[TierChange]]]:
        """Owners told of more than SUMMARY_AFTER moves in one pass get one summary instead:
        the changes with those notices turned off, and the summarised changes per owner."""
        told: dict[int, list[TierChange]] = {}
        for change in changes:
            if change.tell and change.owner_id is not None:
                told.setdefault(change.owner_id, []).append(change)
        many = {owner: items for owner, items in told.items() if len(items) > SUMMARY_AFTER}
        if not many:
            return changes, {}
        quiet = [c._replace(tell=False) if c.owner_id in many else c for c in changes]
        return quiet, many

    async def _tier_summaries(self, tx: Repositories, many: dict[int, list[TierChange]],
                              now: datetime) -> int:
        written = 0
        for owner, items in many.items():
            promoted = [c.customer_id for c in items if c.to_tier is ValueTier.HIGH]
            payload = {"promoted": len(promoted), "demoted": len(items) - len(promoted),
                       "customer_ids": promoted[:SUMMARY_SHOWN]}
            added = await tx.outbox.add(
                kind=TIER_SUMMARY, chat_id=owner, user_id=owner, payload=payload, due_at=now,
                at=now, dedupe_key=f"{TIER_SUMMARY}:{now.isoformat()}:{owner}",
            )
            written += added is not None
        return written

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
