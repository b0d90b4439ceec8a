"""The customer search index: what is indexed for a customer, and how a query is matched.

Pure functions (no I/O), shared by `CustomersRepository` and the benchmark's seeder so both
write exactly the same index rows. Two FTS5 tables (migration 0002), rowid = customer id:

- `customer_search` (trigram tokenizer) holds the folded (case, accents, width) name (also
  without spaces), company, contacts (username, emails, tags) and phone digits, each phone
  ended by '$'. Any substring of 3+ characters matches: name and company fragments, 汉字
  runs of 3+, email fragments, phone fragments ('8000$' = ends with 8000).
- `customer_terms` (unicode61 tokenizer, prefix index on 1 and 2 characters, no positions)
  holds one token per key, for what trigrams cannot do:
  - `words`: every non-CJK word (O'Brien also as obrien): 1-2 letters are word prefixes;
  - `grams`: every CJK bigram plus each run's last character, so a 2-character 汉字 query
    (张伟) is one token lookup and still a substring match (李张伟明), 1 character a prefix;
  - `fuzzy`: each name/company word with its one-deletion variants (SymSpell): two words one
    edit apart (substitution, insertion, deletion, transposition) always share a key, which
    trigrams cannot see in short words (Wie/Wei); some two edits apart do too, and the
    ranker sorts those out.
Both hold `owner` (owner_key) so a rep's search is an index intersection, and
`customer_search.card` holds the candidate's display fields.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Fuzzy keys only for words of these lengths: shorter words have meaningless neighbours,
# longer ones would bloat the index (and keep enough trigrams to be found by substring).
FUZZY_MIN = 3
FUZZY_MAX = 16
# Substring search on the trigram table needs at least 3 characters.
TRIGRAM_MIN = 3

# Word characters as FTS5's unicode61 tokenizer sees them (letters and numbers): a key made of
# them is exactly one token, which `detail=column` needs (it cannot match phrases).
_WORD = re.compile(r"[^\W_]+")
_SEPARATOR = "\n"  # joins multi-valued fields in the trigram table; never typed in a query
_PHONE_END = "$"  # ends each phone's digits, so that "ends with" is a substring query too

# The scripts written without spaces between words: indexed and queried as bigrams.
_CJK_RANGES = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x3FFFF),  # CJK Extensions B and later
)


def is_cjk(char: str) -> bool:
    """Whether a character belongs to a script written without spaces (Chinese, ...)."""
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def fold(text: str) -> str:
    """Text as it is matched: compatibility forms unified, case and diacritics removed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def words(text: str) -> list[str]:
    """The folded words of a text, CJK runs split from the Latin/digit runs they touch."""
    found: list[str] = []
    for word in _WORD.findall(fold(text)):
        start = 0
        for i in range(1, len(word) + 1):
            if i == len(word) or is_cjk(word[i]) != is_cjk(word[start]):
                found.append(word[start:i])
                start = i
    return found


def cjk_grams(run: str) -> list[str]:
    """A CJK run's bigrams and its last character: every substring of 1-2 is a key prefix."""
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def deletion_keys(word: str) -> set[str]:
    """A word and its one-deletion variants: two words one edit apart share one of them."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _joined(text: str) -> list[str]:
    """Words written with inner punctuation (O'Brien, Jean-Luc) once more as one word."""
    joined = []
    for token in text.split():
        parts = [w for w in words(token) if not is_cjk(w[0])]
        if len(parts) > 1:
            joined.append("".join(parts))
    return joined


def _fuzzy_word(word: str) -> bool:
    return FUZZY_MIN <= len(word) <= FUZZY_MAX and not word.isdigit() and not is_cjk(word[0])


# Owner keys are written in Unicode's private use areas, which no typed text contains: the
# lowest digit from the BMP area, the others from plane 15. As only a key's first character
# comes from the BMP area, no key is a substring of another; with 3 characters (ids below
# 2.7e13, every Telegram id so far) a key is one trigram, whose index list is that owner's.
_FIRST_BASE, _FIRST_DIGITS = 0xE000, 0xF900 - 0xE000
_REST_BASE, _REST_DIGITS = 0xF0000, 0xFFFFE - 0xF0000
_OWNER_LENGTH = 3


def owner_key(owner_id: int | None) -> str:
    """The index token of an owner (None: unowned), the same in both tables."""
    value = owner_id or 0
    if value < 0:
        raise ValueError("owner ids are positive")
    value, digit = divmod(value, _FIRST_DIGITS)
    key = [chr(_FIRST_BASE + digit)]
    while value or len(key) < _OWNER_LENGTH:
        value, digit = divmod(value, _REST_DIGITS)
        key.append(chr(_REST_BASE + digit))
    return "".join(key)


def owner_filter(owner_ids: Iterable[int]) -> str:
    """The MATCH clause restricting a search to customers of these owners."""
    return "owner : (" + " OR ".join(_quote(owner_key(i)) for i in owner_ids) + ")"


@dataclass(frozen=True)
class SearchDocument:
    """The rows a customer has in the two search tables."""

    name: str
    company: str
    contacts: str
    phones: str
    words: str
    grams: str
    fuzzy: str
    owner: str
    card: str  # JSON: what a search candidate shows, so candidates need no other table


def document(
    *,
    name: str,
    company: str | None,
    phones: Iterable[str],
    emails: Iterable[str],
    username: str | None,
    tags: Iterable[str],
    owner_id: int | None,
) -> SearchDocument:
    """What the index holds for a customer with these fields."""
    phones, emails, tags = list(phones), list(emails), list(tags)
    folded_name = fold(name)
    # The name once more without spaces, so 'zhangwei' finds 'Zhang Wei'.
    compact = "".join(folded_name.split())
    name_text = folded_name if compact == folded_name else f"{folded_name}{_SEPARATOR}{compact}"
    contacts = [username or "", *emails, *tags]
    plain: dict[str, None] = {}
    grams: dict[str, None] = {}
    fuzzy: dict[str, None] = {}
    for field in (name, company or "", *contacts):
        for word in words(field):
            if is_cjk(word[0]):
                grams.update(dict.fromkeys(cjk_grams(word)))
            else:
                plain[word] = None
    for field in (name, company or ""):
        joined = _joined(field)
        plain.update(dict.fromkeys(joined))
        for word in [*words(field), *joined]:
            if _fuzzy_word(word):
                fuzzy.update(dict.fromkeys(sorted(deletion_keys(word))))
    return SearchDocument(
        name=name_text,
        company=fold(company or ""),
        contacts=_SEPARATOR.join(fold(c) for c in contacts if c),
        phones=" ".join("".join(ch for ch in p if ch.isdigit()) + _PHONE_END for p in phones),
        words=" ".join(plain),
        grams=" ".join(grams),
        fuzzy=" ".join(fuzzy),
        owner=owner_key(owner_id),
        card=json.dumps(
            [name, company, list(phones), emails, username, tags], ensure_ascii=False
        ),
    )


def _quote(key: str) -> str:
    return '"' + key.replace('"', '""') + '"'


@dataclass(frozen=True)
class SearchPlan:
    """FTS5 MATCH expressions for a query, tried in this order; None where not applicable."""

    whole: str | None  # customer_terms: every word is a whole word (汉字: contains the bigrams)
    prefix: str | None  # customer_terms: every word starts a word (汉字: contains the bigrams)
    substring: str | None  # customer_search: every word is a substring (all words 3+ long)
    fuzzy: str | None  # customer_terms: every word is within one edit of a word


def _prefix_term(word: str, *, whole: bool = False) -> str:
    if not is_cjk(word[0]):
        return f"words : {_quote(word)}" if whole else f"words : {_quote(word)} *"
    if len(word) == 1:  # the character starts one of the bigram keys (or is a last character)
        return f"grams : {_quote(word)} *"
    # Without positions (detail=column) a longer run is approximated by all its bigrams; the
    # substring plan checks adjacency.
    return " AND ".join(f"grams : {_quote(g)}" for g in dict.fromkeys(cjk_grams(word)[:-1]))


def _fuzzy_term(word: str) -> str:
    if _fuzzy_word(word):
        keys = " OR ".join(_quote(k) for k in sorted(deletion_keys(word)))
        return f"fuzzy : ({keys})"
    if is_cjk(word[0]) and len(word) > 2:
        # A long 汉字 query with a wrong character still shares some of its bigrams.
        keys = " OR ".join(_quote(g) for g in dict.fromkeys(cjk_grams(word)[:-1]))
        return f"grams : ({keys})"
    return _prefix_term(word)


def plan(text: str) -> SearchPlan:
    """How to look up a free-text query (all its words must match)."""
    query_words = list(dict.fromkeys(words(text)))
    if not query_words:
        return SearchPlan(whole=None, prefix=None, substring=None, fuzzy=None)
    whole = " AND ".join(_prefix_term(w, whole=True) for w in query_words)
    prefix = " AND ".join(_prefix_term(w) for w in query_words)
    substring = None
    if all(len(w) >= TRIGRAM_MIN for w in query_words):
        words_all = " AND ".join(_quote(w) for w in query_words)
        substring = f"{{name company contacts phones}} : ({words_all})"
    fuzzy = None
    if any(_fuzzy_word(w) or (is_cjk(w[0]) and len(w) > 2) for w in query_words):
        fuzzy = " AND ".join(_fuzzy_term(w) for w in query_words)
    return SearchPlan(whole=whole, prefix=prefix, substring=substring, fuzzy=fuzzy)


def phone_matches(digits: str) -> list[str]:
    """MATCH expressions for a phone fragment: numbers ending with it, then containing it."""
    # Ending first: people type the last digits. Under 3 digits a fragment means nothing.
    only = "".join(ch for ch in digits if ch.isdigit())
    if len(only) < TRIGRAM_MIN:
        return []
    return [f"phones : {_quote(only + _PHONE_END)}", f"phones : {_quote(only)}"]


def dedupe(values: Sequence[str]) -> list[str]:
    """Values in their first order, without repeats or blanks."""
    return [v for v in dict.fromkeys(v.strip() for v in values) if v]
