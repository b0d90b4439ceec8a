"""The customer search index: what is indexed for a customer, and how a query is matched.

Pure functions (no I/O), shared by `CustomersRepository` and the benchmark's seeder so both
write exactly the same index rows. Two FTS5 tables (migration 0002):

- `customer_search` (trigram tokenizer): folded name, company, contacts (username, emails,
  tags) and phone digits. Any substring of 3+ characters matches: name and company
  fragments, 汉字 runs of 3+, email fragments, phone fragments (last 4 digits, middle digits).
- `customer_terms` (unicode61 tokenizer, prefix index on 1 and 2 characters), one token per
  key, for what trigrams cannot do:
  - `words`: every non-CJK word, so a 1-2 character query (`li`, `wu`) is a word prefix;
  - `grams`: every CJK bigram (plus the last character of each run), so a 2-character 汉字
    query (张伟) is one token lookup and still a substring match (李张伟明);
  - `fuzzy`: each name/company word with its one-deletion variants (SymSpell): a query word
    shares a key with an indexed word iff they are one edit apart (substitution, insertion,
    deletion, transposition), which trigrams cannot see in short words (Wie/Wei).
"""

from __future__ import annotations

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


def _fuzzy_word(word: str) -> bool:
    return FUZZY_MIN <= len(word) <= FUZZY_MAX and not word.isdigit() and not is_cjk(word[0])


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


def document(
    *,
    name: str,
    company: str | None,
    phones: Iterable[str],
    emails: Iterable[str],
    username: str | None,
    tags: Iterable[str],
) -> SearchDocument:
    """What the index holds for a customer with these fields."""
    emails, tags = list(emails), list(tags)
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
        for word in words(field):
            if _fuzzy_word(word):
                fuzzy.update(dict.fromkeys(sorted(deletion_keys(word))))
    return SearchDocument(
        name=name_text,
        company=fold(company or ""),
        contacts=_SEPARATOR.join(fold(c) for c in contacts if c),
        phones=" ".join("".join(ch for ch in p if ch.isdigit()) for p in phones),
        words=" ".join(plain),
        grams=" ".join(grams),
        fuzzy=" ".join(fuzzy),
    )


def _quote(key: str) -> str:
    return '"' + key.replace('"', '""') + '"'


@dataclass(frozen=True)
class SearchPlan:
    """FTS5 MATCH expressions for a query; None where that part has nothing to ask."""

    substring: str | None  # customer_search: every 3+ character word as a substring
    short: str | None  # customer_terms: every 1-2 character word (ANDed with `substring`)
    fuzzy: str | None  # customer_terms: every word up to one edit away

    @property
    def exact(self) -> bool:
        """Whether there is an exact (substring/prefix) stage to run."""
        return self.substring is not None or self.short is not None


def _short_term(word: str) -> str:
    if is_cjk(word[0]):
        # A 2-character run is one bigram token; a single character prefixes its bigrams.
        return f"grams : {_quote(word)}" if len(word) == 2 else f"grams : {_quote(word)} *"
    return f"words : {_quote(word)} *"


def plan(text: str) -> SearchPlan:
    """How to look up a free-text query (all its words must match)."""
    query_words = list(dict.fromkeys(words(text)))
    long_words = [w for w in query_words if len(w) >= TRIGRAM_MIN]
    short_words = [w for w in query_words if len(w) < TRIGRAM_MIN]
    substring = " AND ".join(_quote(w) for w in long_words) or None
    short = " AND ".join(_short_term(w) for w in short_words) or None
    fuzzy_parts: list[str] = []
    has_fuzzy = False
    for word in query_words:
        if _fuzzy_word(word):
            has_fuzzy = True
            keys = " OR ".join(_quote(k) for k in sorted(deletion_keys(word)))
            fuzzy_parts.append(f"fuzzy : ({keys})")
        elif is_cjk(word[0]) and len(word) > 2:
            # A long 汉字 query with a wrong character still shares most of its bigrams.
            has_fuzzy = True
            keys = " OR ".join(_quote(g) for g in cjk_grams(word)[:-1])
            fuzzy_parts.append(f"grams : ({keys})")
        else:
            fuzzy_parts.append(_short_term(word))
    fuzzy = " AND ".join(fuzzy_parts) if has_fuzzy else None
    return SearchPlan(substring=substring, short=short, fuzzy=fuzzy)


def phone_digits(digits: str) -> str | None:
    """The MATCH expression for a phone fragment, None when too short to be one."""
    only = "".join(ch for ch in digits if ch.isdigit())
    if len(only) < TRIGRAM_MIN:
        return None
    return f"phones : {_quote(only)}"


def dedupe(values: Sequence[str]) -> list[str]:
    """Values in their first order, without repeats or blanks."""
    return [v for v in dict.fromkeys(v.strip() for v in values) if v]
