"""The rules pass's pure rules: thresholds per status, dormancy, value tiers (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.models import CustomerStatus, ValueTier
from bot.domain.rules import (
    NO_PURCHASE_TIER,
    RULE_OWNED,
    Decision,
    InactivityPolicy,
    Purchases,
    TierPolicy,
    dormant,
    inactivity,
    minor_units,
    parse_inactivity,
    quiet_windows,
    tier_worth_telling,
    value_tier,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = InactivityPolicy(
    thresholds={CustomerStatus.FOLLOWING_UP: 7, CustomerStatus.MAINTAINING: 30},
    dormant_after_days=60,
)
TIERS = TierPolicy(window_days=365, recency_days=90, high_amount_minor=10_000_000,
                   high_purchases=6, low_amount_minor=500_000)
SECOND = timedelta(seconds=1)


# -- parsing the setting ---------------------------------------------------------------------


def test_parse_inactivity() -> None:
    """status=days pairs, spaces and case ignored, trailing comma allowed; 'off' is none."""
    assert parse_inactivity(" Following_Up = 7 ,maintaining=30,") == {
        CustomerStatus.FOLLOWING_UP: 7, CustomerStatus.MAINTAINING: 30,
    }
    assert parse_inactivity("off") == {}
    assert parse_inactivity("none") == {}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("following_up", "is not status=days"),
        ("folowing_up=7", "is not a status"),
        ("following_up=0", "whole number of days"),
        ("following_up=1.5", "whole number of days"),
        ("following_up=-3", "whole number of days"),
        ("won=3,won=4", "given twice"),
        *[(f"{status.value}=5", "cannot have an inactivity threshold") for status in RULE_OWNED],
    ],
)
def test_parse_inactivity_refuses(text: str, problem: str) -> None:
    """Each malformed setting is refused with a reason."""
    with pytest.raises(ValueError, match=problem):
        parse_inactivity(text)


# -- inactivity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "expected"),
    [
        (timedelta(0), None),
        (timedelta(days=7) - SECOND, None),
        (timedelta(days=7), Decision.NUDGE),
        (timedelta(days=13, hours=23), Decision.NUDGE),
        (timedelta(days=14) - SECOND, Decision.NUDGE),
        (timedelta(days=14), Decision.CHURN_WARNING),
        (timedelta(days=400), Decision.CHURN_WARNING),
    ],
)
def test_inactivity_thresholds(quiet: timedelta, expected: Decision | None) -> None:
    """A nudge from the threshold on, the churn warning from twice the threshold on."""
    assert inactivity(CustomerStatus.FOLLOWING_UP, NOW - quiet, NOW, POLICY) is expected


def test_inactivity_is_per_status() -> None:
    """Each status has its own threshold; a status without one never triggers."""
    ten_days = NOW - timedelta(days=10)
    assert inactivity(CustomerStatus.FOLLOWING_UP, ten_days, NOW, POLICY) is Decision.NUDGE
    assert inactivity(CustomerStatus.MAINTAINING, ten_days, NOW, POLICY) is None
    assert inactivity(CustomerStatus.POTENTIAL, NOW - timedelta(days=999), NOW, POLICY) is None
    assert inactivity(CustomerStatus.MAINTAINING, NOW - timedelta(days=60), NOW,
                      POLICY) is Decision.CHURN_WARNING


@given(
    status=st.sampled_from(list(CustomerStatus)),
    days=st.integers(min_value=1, max_value=90),
    quiet=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
)
def test_windows_are_the_rule(status: CustomerStatus, days: int, quiet: timedelta) -> None:
    """The windows the pass queries with give exactly the per-customer rule: none below the
    threshold, a nudge up to twice it, the warning beyond; each customer in one window."""
    policy = InactivityPolicy(thresholds={status: days} if status not in RULE_OWNED else {},
                              dormant_after_days=60)
    since = NOW - quiet
    hits = [w for w in quiet_windows(policy, NOW) if w.status is status
            and (w.after is None or since > w.after) and since <= w.until]
    threshold = timedelta(days=days)
    if status in RULE_OWNED or quiet < threshold:
        expected = None
    else:
        expected = Decision.NUDGE if quiet < 2 * threshold else Decision.CHURN_WARNING
    assert [w.decision for w in hits] == ([] if expected is None else [expected])
    assert inactivity(status, since, NOW, policy) is expected


# -- dormancy --------------------------------------------------------------------------------


def test_dormant_after_more_quiet_days() -> None:
    """60 days without contact since the later of the last contact and the warning."""
    contact = NOW - timedelta(days=74)
    warned = NOW - timedelta(days=60)
    assert dormant(contact, warned, NOW, POLICY)
    assert not dormant(contact, warned + SECOND, NOW, POLICY)


def test_fresh_warning_on_long_quiet_customer_is_not_dormant() -> None:
    """A warning raised today (by hand or by feedback) on a customer quiet for a year waits
    its 60 days; without a known warning time the last contact counts."""
    year_ago = NOW - timedelta(days=365)
    assert not dormant(year_ago, NOW - timedelta(days=1), NOW, POLICY)
    assert dormant(year_ago, None, NOW, POLICY)


def test_contact_after_warning_restarts_dormancy() -> None:
    """Contact after the warning: 60 days from that contact."""
    warned = NOW - timedelta(days=100)
    assert not dormant(NOW - timedelta(days=59), warned, NOW, POLICY)


# -- value tiers -----------------------------------------------------------------------------


def _bought(frequency: int, amount: int, days_ago: float | None) -> Purchases:
    last = None if days_ago is None else NOW - timedelta(days=days_ago)
    return Purchases(frequency, amount, last)


@pytest.mark.parametrize(
    ("purchases", "expected"),
    [
        (_bought(0, 0, None), ValueTier.NORMAL),  # never bought
        (_bought(1, 10_000_000, 10), ValueTier.HIGH),  # recent and large
        (_bought(6, 6_000, 10), ValueTier.HIGH),  # recent and frequent
        (_bought(5, 9_999_999, 10), ValueTier.NORMAL),  # recent, neither enough
        (_bought(1, 10_000_000, 90), ValueTier.HIGH),  # exactly at the recency limit
        (_bought(1, 10_000_000, 90.01), ValueTier.NORMAL),  # large but lapsed
        (_bought(1, 499_999, 120), ValueTier.LOW),  # lapsed and small
        (_bought(0, 0, 400), ValueTier.LOW),  # bought once, long before the window
        (_bought(1, 500_000, 120), ValueTier.NORMAL),  # lapsed but not small
        (_bought(1, 100, 5), ValueTier.NORMAL),  # recent and small
    ],
)
def test_value_tier(purchases: Purchases, expected: ValueTier) -> None:
    """Recency, frequency and amount against the thresholds."""
    assert value_tier(purchases, NOW, TIERS) is expected


def test_customers_who_never_bought_are_neutral() -> None:
    """The pass skips customers without purchases whose tier is already this one."""
    assert NO_PURCHASE_TIER is ValueTier.NORMAL
    assert value_tier(Purchases(0, 0, None), NOW, TIERS) is NO_PURCHASE_TIER


@pytest.mark.parametrize(
    ("before", "after", "told"),
    [
        (ValueTier.NORMAL, ValueTier.HIGH, True),
        (ValueTier.LOW, ValueTier.HIGH, True),
        (ValueTier.HIGH, ValueTier.NORMAL, True),
        (ValueTier.HIGH, ValueTier.LOW, True),
        (ValueTier.NORMAL, ValueTier.LOW, False),
        (ValueTier.LOW, ValueTier.NORMAL, False),
        (ValueTier.HIGH, ValueTier.HIGH, False),
    ],
)
def test_tier_worth_telling(before: ValueTier, after: ValueTier, told: bool) -> None:
    """Only promotions to and demotions from high are told."""
    assert tier_worth_telling(before, after) is told


def test_window_start() -> None:
    """Purchases count from `window_days` ago."""
    assert TIERS.window_start(NOW) == NOW - timedelta(days=365)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal(100000), "CNY", 10_000_000),
        (Decimal("0.99"), "USD", 99),
        (Decimal("12.345"), "EUR", 1234),
        (Decimal(5000), "JPY", 5000),
        (Decimal(0), "CNY", 0),
    ],
)
def test_minor_units(amount: Decimal, currency: str, minor: int) -> None:
    """Settings in major units become the stored minor units."""
    assert minor_units(amount, currency) == minor
