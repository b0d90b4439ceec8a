"""The rules pass's pure rules: inactivity thresholds per status, dormancy, value tiers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from babel.numbers import get_currency_precision

from bot.domain.models import CustomerStatus, ValueTier

# Statuses the inactivity rules lead to (or that mean the relationship is over): no
# inactivity threshold may be set for them.
RULE_OWNED = frozenset(
    {CustomerStatus.CHURN_WARNING, CustomerStatus.CHURNED, CustomerStatus.DORMANT}
)

# A customer who never bought has no value to judge: the neutral tier.
NO_PURCHASE_TIER = ValueTier.NORMAL


class Decision(StrEnum):
    """What the inactivity rule says about a customer who has been quiet."""

    NUDGE = "nudge"  # past the first threshold: remind the owner
    CHURN_WARNING = "churn_warning"  # past twice the threshold: move the customer
    DORMANT = "dormant"  # a churn warning quiet for long: move the customer again


def parse_inactivity(text: str) -> dict[CustomerStatus, int]:
    """'following_up=7,maintaining=30' → {FOLLOWING_UP: 7, MAINTAINING: 30}; 'off' → {}."""
    if text.strip().lower() in ("off", "none"):
        return {}
    found: dict[CustomerStatus, int] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, days = part.partition("=")
        name = name.strip().lower()
        if not sep:
            raise ValueError(f"{part.strip()!r} is not status=days")
        try:
            status = CustomerStatus(name)
        except ValueError:
            known = ", ".join(s.value for s in CustomerStatus if s not in RULE_OWNED)
            raise ValueError(f"{name!r} is not a status (one of: {known})") from None
        if status in RULE_OWNED:
            raise ValueError(f"{name!r} cannot have an inactivity threshold")
        if status in found:
            raise ValueError(f"{name!r} is given twice")
        if not days.strip().isdigit() or int(days) < 1:
            raise ValueError(f"{days.strip()!r} for {name} is not a whole number of days >= 1")
        found[status] = int(days)
    return found


@dataclass(frozen=True)
class InactivityPolicy:
    """Days without contact per status before a nudge (twice that: churn warning), and how
    long a churn warning may stay quiet before the customer is dormant."""

    thresholds: Mapping[CustomerStatus, int]
    dormant_after_days: int

    def threshold(self, status: CustomerStatus) -> timedelta | None:
        """The first threshold of a status, None when the status has no rule."""
        days = self.thresholds.get(status)
        return None if days is None else timedelta(days=days)

    @property
    def dormant_after(self) -> timedelta:
        """How long a churn warning may go without contact."""
        return timedelta(days=self.dormant_after_days)


@dataclass(frozen=True)
class QuietWindow:
    """Customers in `status` whose last contact (or creation) falls in (`after`, `until`]
    get `decision`: the rule as ranges, which the pass applies with set-based queries."""

    status: CustomerStatus
    decision: Decision
    threshold_days: int
    after: datetime | None
    until: datetime


def quiet_windows(policy: InactivityPolicy, now: datetime) -> list[QuietWindow]:
    """The inactivity rule at `now`, per status with a threshold."""
    found = []
    for status, days in policy.thresholds.items():
        threshold = timedelta(days=days)
        # Past twice the threshold: straight to the warning (which tells the owner too), no
        # nudge first, even when no pass ran while the customer sat between the thresholds.
        warn_until = now - 2 * threshold
        found.append(QuietWindow(status, Decision.CHURN_WARNING, days, None, warn_until))
        found.append(QuietWindow(status, Decision.NUDGE, days, warn_until, now - threshold))
    return found


def inactivity(
    status: CustomerStatus, quiet_since: datetime, now: datetime, policy: InactivityPolicy
) -> Decision | None:
    """The rule for one customer in `status` without contact since `quiet_since`."""
    for window in quiet_windows(policy, now):
        if window.status is status and (
            (window.after is None or quiet_since > window.after) and quiet_since <= window.until
        ):
            return window.decision
    return None


def dormant_until(policy: InactivityPolicy, now: datetime) -> datetime:
    """A churn warning is dormant when neither a contact nor the warning itself came after
    this (so a fresh warning on a long-quiet customer is not dormant at once)."""
    return now - policy.dormant_after


def dormant(
    quiet_since: datetime, warned_at: datetime | None, now: datetime, policy: InactivityPolicy
) -> bool:
    """The dormancy rule for one churn warning."""
    since = quiet_since if warned_at is None else max(quiet_since, warned_at)
    return since <= dormant_until(policy, now)


class Purchases(NamedTuple):
    """A customer's amount-bearing interactions: how many and how much within the window
    (the amount in the team's currency only), and when the last one happened (any time).
    A tuple rather than a model: the pass builds one per buying customer."""

    frequency: int
    amount_minor: int
    last_at: datetime | None


@dataclass(frozen=True)
class TierPolicy:
    """Thresholds of the value tiers (amounts in minor units of the team's currency)."""

    window_days: int
    recency_days: int
    high_amount_minor: int
    high_purchases: int
    low_amount_minor: int

    def window_start(self, now: datetime) -> datetime:
        """Purchases from here on count towards frequency and amount."""
        return now - timedelta(days=self.window_days)


def value_tier(purchases: Purchases, now: datetime, policy: TierPolicy) -> ValueTier:
    """RFM in three tiers: high = bought recently and much or often; low = not recently and
    little; normal otherwise, and for those who never bought."""
    if purchases.last_at is None:
        return NO_PURCHASE_TIER
    recent = now - purchases.last_at <= timedelta(days=policy.recency_days)
    if recent and (
        purchases.amount_minor >= policy.high_amount_minor
        or purchases.frequency >= policy.high_purchases
    ):
        return ValueTier.HIGH
    if not recent and purchases.amount_minor < policy.low_amount_minor:
        return ValueTier.LOW
    return ValueTier.NORMAL


def tier_worth_telling(before: ValueTier, after: ValueTier) -> bool:
    """Owners hear of promotions to and demotions from `high` only."""
    return before != after and ValueTier.HIGH in (before, after)


def minor_units(amount: Decimal, currency: str) -> int:
    """A major-unit amount (e.g. 1000.50 CNY) in minor units (100050), rounded down."""
    return int(amount.scaleb(get_currency_precision(currency)))
