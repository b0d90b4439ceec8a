"""Pure rules to catch a customer captured twice: same phone, same email, or same person."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

__all__ = [
    "NAME_THRESHOLD",
    "DuplicateCandidate",
    "DuplicateMatch",
    "company_key",
    "find_duplicates",
    "has_cjk",
    "name_key",
    "similar_names",
]

# 'Zhang Wei' / 'Zhang Wie' (a typo) scores 88.9 and must match; '张伟' / '张伟明' (another
# person) scores 80 and must not; a one-character change in a CJK name of up to four characters
# scores at most 85.7.
NAME_THRESHOLD: float = 88.0

_LATIN_LIMIT = 0x250  # accents are dropped only from Latin letters (kana voicing marks stay)
_SPACES = re.compile(r"\s+")

# Legal forms at the end of a company name, which people include or leave out at will.
_LATIN_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "plc", "gmbh", "ag",
        "kg", "co", "company", "corp", "corporation", "sa", "sas", "sarl", "srl", "spa",
        "bv", "nv", "oy", "ab", "as", "pty", "pte", "kk", "group", "holding", "holdings",
    }
)  # fmt: skip
_CJK_SUFFIXES = tuple(
    sorted(
        (
            "股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司", "集团", "控股",
            "株式会社", "有限会社", "合同会社",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip


@dataclass(frozen=True)
class DuplicateCandidate:
    """An existing customer, as far as duplicate detection needs to know it."""

    customer_id: int
    name: str
    company: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]


@dataclass(frozen=True)
class DuplicateMatch:
    """An existing customer that looks like the one being captured, and why."""

    customer_id: int
    reason: Literal["phone", "email", "name"]
    score: float


def has_cjk(text: str) -> bool:
    """Whether a text has Chinese, Japanese or Korean characters."""
    return any(
        "\u3040" <= char <= "\u30ff"  # kana
        or "\u3400" <= char <= "\u9fff"  # CJK ideographs
        or "\uac00" <= char <= "\ud7af"  # hangul
        or "\uf900" <= char <= "\ufaff"
        for char in text
    )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.category(char) == "Mn" and kept and ord(kept[-1]) < _LATIN_LIMIT:
            continue  # 'José' and 'Jose' are the same name to a rep typing on a phone
        kept.append(char)
    return unicodedata.normalize("NFKC", "".join(kept)).casefold()


def _punctuation_to_spaces(text: str) -> str:
    # Apostrophes join ("O'Brien" == "OBrien"); any other punctuation or symbol separates.
    return "".join(
        "" if char in "'’" else " " if unicodedata.category(char)[0] in "PSZC" else char
        for char in text
    )


def name_key(name: str) -> str:
    """A person's name for comparison: '  Zhang  WEI ' -> 'zhang wei'."""
    return _SPACES.sub(" ", _punctuation_to_spaces(_fold(name))).strip()


def similar_names(a: str, b: str) -> float:
    """How alike two names are, 0..100, regardless of case, spacing and word order."""
    key_a, key_b = name_key(a), name_key(b)
    if not key_a or not key_b:
        return 0.0
    if has_cjk(key_a) or has_cjk(key_b):
        # A CJK name is a short run of characters, each one significant; spaces mean nothing.
        return float(fuzz.ratio(key_a.replace(" ", ""), key_b.replace(" ", "")))
    return float(fuzz.token_sort_ratio(key_a, key_b))


def company_key(company: str | None) -> str:
    """A company name without case, punctuation or legal form: 'Acme Ltd.' -> 'acme'."""
    if not company:
        return ""
    key = name_key(company)
    tokens = key.split()
    if tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    changed = True
    while changed:
        changed = False
        if len(tokens) > 1 and tokens[-1] in _LATIN_SUFFIXES:
            tokens.pop()
            changed = True
        elif tokens and tokens[-1] not in _CJK_SUFFIXES:
            for suffix in _CJK_SUFFIXES:
                if tokens[-1].endswith(suffix) and len(tokens[-1]) > len(suffix):
                    tokens[-1] = tokens[-1].removesuffix(suffix)
                    changed = True
                    break
    return " ".join(tokens)


_REASON_ORDER = {"phone": 0, "email": 1, "name": 2}


def find_duplicates(
    *,
    name: str,
    company: str | None,
    phones: Sequence[str],
    emails: Sequence[str],
    candidates: Iterable[DuplicateCandidate],
) -> list[DuplicateMatch]:
    """Existing customers that look like this one, best first, one match per customer."""
    phone_set = set(phones)
    email_set = {email.casefold() for email in emails}
    key = name_key(name)
    company_k = company_key(company)
    matches: list[DuplicateMatch] = []
    for candidate in candidates:
        if phone_set.intersection(candidate.phones):
            matches.append(DuplicateMatch(candidate.customer_id, "phone", 100.0))
        elif email_set.intersection(email.casefold() for email in candidate.emails):
            matches.append(DuplicateMatch(candidate.customer_id, "email", 100.0))
        else:
            score = _name_match(key, company_k, candidate)
            if score is not None:
                matches.append(DuplicateMatch(candidate.customer_id, "name", score))
    matches.sort(key=lambda m: (-m.score, _REASON_ORDER[m.reason], m.customer_id))
    return matches


def _name_match(key: str, company_k: str, candidate: DuplicateCandidate) -> float | None:
    if not key:
        return None
    score = similar_names(key, candidate.name)
    if score < NAME_THRESHOLD:
        return None
    other_company = company_key(candidate.company)
    if company_k and other_company:
        return score if company_k == other_company else None
    if not company_k and not other_company:
        # Without a company to confirm it, only the very same name is worth a warning; word
        # order does not count, since 'Wei Zhang' and 'Zhang Wei' are the same person.
        return score if _words(key) == _words(name_key(candidate.name)) else None
    return None


def _words(key: str) -> list[str]:
    return sorted(key.split()) if not has_cjk(key) else [key.replace(" ", "")]
