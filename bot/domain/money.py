"""Amounts of money as typed by people: '1200', '¥1,200.50', '300 usd', '5万'."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision

_SYMBOLS = {"¥": "CNY", "￥": "CNY", "元": "CNY", "块": "CNY", "$": "USD", "€": "EUR",
            "£": "GBP", "rmb": "CNY"}
_AMOUNT = re.compile(
    r"^\s*(?P<pre>[^\d\s.,-]{1,3})?\s*(?P<num>\d[\d,\s]*(?:\.\d+)?)\s*(?P<mult>[万千kK])?"
    r"\s*(?P<post>[A-Za-z]{3}|[^\d\s.,]{1,3})?\s*$"
)
_MULTIPLIERS = {"万": Decimal(10000), "千": Decimal(1000), "k": Decimal(1000),
                "K": Decimal(1000)}


class InvalidAmount(ValueError):
    """Text that is not an amount of money."""


def _currency(token: str | None) -> str | None:
    if not token:
        return None
    lowered = token.lower()
    if lowered in _SYMBOLS:
        return _SYMBOLS[lowered]
    if token in _SYMBOLS:
        return _SYMBOLS[token]
    if re.fullmatch(r"[A-Za-z]{3}", token):
        return token.upper()
    raise InvalidAmount(token)


def parse_amount(text: str, default_currency: str) -> tuple[int, str]:
    """(amount in minor units, ISO currency); the default currency when none is typed."""
    match = _AMOUNT.match(text)
    if not match:
        raise InvalidAmount(text)
    pre, post = _currency(match.group("pre")), _currency(match.group("post"))
    if pre and post and pre != post:
        raise InvalidAmount(text)
    currency = pre or post or default_currency.upper()
    try:
        value = Decimal(match.group("num").replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise InvalidAmount(text) from None
    if match.group("mult"):
        value *= _MULTIPLIERS[match.group("mult")]
    precision = get_currency_precision(currency)
    minor = value.scaleb(precision)
    if minor != minor.to_integral_value() or value <= 0:
        raise InvalidAmount(text)
    return int(minor), currency


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Minor units back to the currency's major unit."""
    return Decimal(amount_minor).scaleb(-get_currency_precision(currency))
