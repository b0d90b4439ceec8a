"""Pure rules to find a customer by any fragment a rep remembers: id, phone, email, name..."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import phonenumbers
from rapidfuzz import fuzz

from bot.domain.contacts import normalize_username, phone_digits
from bot.domain.duplicates import company_key, has_cjk, name_key

__all__ = [
    "EXACT_NAME_SCORE",
    "EXACT_SCORE",
    "FUZZY_THRESHOLD",
    "PREFIX_SCORE",
    "SUBSTRING_SCORE",
    "Candidate",
    "SearchQuery",
    "classify_query",
    "rank",
]

# Score bands: a band's base plus up to 99 for closeness, so bands never overlap; a fuzzy
# match scores its own 0..100 similarity and must reach FUZZY_THRESHOLD.
EXACT_SCORE = 1000.0  # exact phone, email, username or id
EXACT_NAME_SCORE = 900.0
PREFIX_SCORE = 800.0
SUBSTRING_SCORE = 700.0
FUZZY_THRESHOLD = 70.0

_MIN_PHONE_QUERY_DIGITS = 4
_PHONE_DIGIT_SHARE = 0.6
_MIN_EMAIL_FRAGMENT = 3
_MIN_PARTIAL = 4
_PARTIAL_WEIGHT = 0.9
_ID_RE = re.compile(r"#(\d{1,18})")


@dataclass(frozen=True)
class SearchQuery:
    """What a rep typed to find a customer, and what kind of fragment it is."""

    text: str  # NFKC-normalised, surrounding and repeated spaces removed
    kind: Literal["id", "phone", "email", "username", "text"]
    customer_id: int | None
    digits: str | None


@dataclass(frozen=True)
class Candidate:
    """A customer as search needs to know it."""

    customer_id: int
    name: str
    company: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    username: str | None
    tags: tuple[str, ...]


def classify_query(text: str) -> SearchQuery:
    """'#12' -> id, '138-0013' -> phone, 'a@b.cn' -> email, '@handle' -> username, else text."""
    cleaned = " ".join(unicodedata.normalize("NFKC", text).split())
    if match := _ID_RE.fullmatch(cleaned):
        return SearchQuery(cleaned, "id", int(match[1]), None)
    at = cleaned.find("@")
    if at >= 0 and "." in cleaned[at + 1 :]:
        return SearchQuery(cleaned, "email", None, None)
    if (at == 0 or "t.me/" in cleaned.lower()) and normalize_username(cleaned):
        return SearchQuery(cleaned, "username", None, None)
    digits = phone_digits(cleaned)
    compact = cleaned.replace(" ", "")
    # A name never is mostly digits; '+86 138', '8000' and '138-0013' are phone fragments.
    if len(digits) >= _MIN_PHONE_QUERY_DIGITS and len(digits) >= _PHONE_DIGIT_SHARE * len(compact):
        return SearchQuery(cleaned, "phone", None, digits)
    return SearchQuery(cleaned, "text", None, None)


@lru_cache(maxsize=4096)
@lru_cache(maxsize=65536)
def _national_digits(e164: str) -> str | None:
    # Parsing costs tens of microseconds; a search scores hundreds of phones.
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        return None


def _closeness(needle: str, field: str) -> float:
    # Within a band, the field the needle covers best comes first ('张伟' before '张伟明华').
    return 99.0 * fuzz.ratio(needle, field) / 100.0


def _phone_score(digits: str, phones: Iterable[str]) -> float | None:
    best: float | None = None
    for phone in phones:
        full = phone_digits(phone)
        if digits not in full and not full.endswith(digits.lstrip("0")):
            continue  # cheap test first: most candidates share only a fragment
        national = _national_digits(phone)
        if digits in (full, national, f"0{national}"):
            return EXACT_SCORE
        if full.endswith(digits):
            score = PREFIX_SCORE + _closeness(digits, full)
        elif digits in full:
            score = SUBSTRING_SCORE + _closeness(digits, full)
        else:
            continue
        best = score if best is None else max(best, score)
    return best


def _text_score(query_text: str, candidate: Candidate, *, fuzzy: bool) -> float | None:
    needle = name_key(query_text)
    if not needle:
        return None
    name = name_key(candidate.name)
    company = name_key(candidate.company or "")
    if needle == name:
        return EXACT_NAME_SCORE
    starts = [field for field in (name, company) if field and field.startswith(needle)]
    if company and company_key(query_text) == company_key(candidate.company):
        starts.append(needle)  # 'Acme Ltd' names the company 'ACME Limited' exactly
    if starts:
        return PREFIX_SCORE + max(_closeness(needle, field) for field in starts)
    others = [
        name,
        company,
        *(name_key(tag) for tag in candidate.tags),
        name_key(candidate.username or ""),
    ]
    contains = [field for field in others if field and needle in field]
    raw = query_text.casefold()  # 'acme.com' keeps its dot to match inside an address
    if len(raw) >= _MIN_EMAIL_FRAGMENT:
        contains += [email.casefold() for email in candidate.emails if raw in email.casefold()]
    if contains:
        return SUBSTRING_SCORE + max(_closeness(needle, field) for field in contains)
    # Fuzzy matching of one or two letters finds everyone; a CJK character carries more.
    if not fuzzy or len(needle) < (2 if has_cjk(needle) else 3):
        return None
    similarity = max((_fuzzy(needle, field) for field in (name, company) if field), default=0.0)
    return similarity if similarity >= FUZZY_THRESHOLD else None


def _fuzzy(needle: str, field: str) -> float:
    # Not WRatio: its token-set part rates any shared word highly ('wei acme' scores 85 against
    # 'acme limited'). Word order is ignored; a typo in part of a longer field is scaled down.
    score = float(fuzz.token_sort_ratio(needle, field))
    if len(needle) >= _MIN_PARTIAL and len(field) > len(needle):
        score = max(score, _PARTIAL_WEIGHT * fuzz.partial_ratio(needle, field))
    return score


def _score(query: SearchQuery, candidate: Candidate) -> float | None:
    if query.kind == "id":
        return EXACT_SCORE if candidate.customer_id == query.customer_id else None
    if query.kind == "phone":
        by_phone = _phone_score(query.digits or "", candidate.phones)
        # A company may be called '1688' or '8000 Trading': digits are searched as text too
        # (only worth scoring when the raw text occurs at all).
        haystack = f"{candidate.name} {candidate.company or ''} {' '.join(candidate.tags)}"
        by_text = (
            _text_score(query.text, candidate, fuzzy=False)
            if query.text.casefold() in haystack.casefold() else None
        )
        found = [score for score in (by_phone, by_text) if score is not None]
        return max(found) if found else None
    if query.kind == "email":
        needle = query.text.casefold()
        emails = [email.casefold() for email in candidate.emails]
        if needle in emails:
            return EXACT_SCORE
        contains = [email for email in emails if needle in email]
        if contains:  # 'wei@acme' or '@acme.com': part of an address
            return SUBSTRING_SCORE + max(_closeness(needle, email) for email in contains)
        return None
    if query.kind == "username":
        handle = normalize_username(query.text) or query.text.lstrip("@").casefold()
        own = (candidate.username or "").lstrip("@").casefold()
        if not own:
            return None
        if own == handle:
            return EXACT_SCORE
        if own.startswith(handle):
            return PREFIX_SCORE + _closeness(handle, own)
        return SUBSTRING_SCORE + _closeness(handle, own) if handle in own else None
    return _text_score(query.text, candidate, fuzzy=True)


def rank(
    query: SearchQuery, candidates: Iterable[Candidate], limit: int = 50
) -> list[tuple[int, float]]:
    """(customer_id, score) of the candidates matching a query, best first, at most `limit`."""
    scored: list[tuple[float, int, int]] = []
    for candidate in candidates:
        score = _score(query, candidate)
        if score is not None and score >= FUZZY_THRESHOLD:
            scored.append((score, len(candidate.name), candidate.customer_id))
    # Best score first; among equals, the shorter (more exactly matched) name, then the oldest.
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    return [(customer_id, score) for score, _, customer_id in scored[: max(limit, 0)]]
