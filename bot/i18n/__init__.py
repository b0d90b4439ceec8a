"""English and Simplified Chinese, through gettext catalogs read with Babel.

Source strings are English; `locales/zh/LC_MESSAGES/telecrm.po` holds the Chinese. Code marks
a string with a `Translator` called `_` (or its `ngettext`), so Babel's extractor finds every
one of them (see tests/test_i18n.py, which fails on any string without a translation).
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from importlib import resources
from typing import Any, Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: Final = ("en", "zh")
DOMAIN: Final = "telecrm"
LANGUAGE_NAMES: Final = {"en": "English", "zh": "中文"}


def resolve_language(code: str | None, default: str = "en") -> str:
    """Map a Telegram `language_code` (e.g. 'zh-hans', 'en-GB') to a supported language."""
    if code:
        base = code.replace("_", "-").split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return default if default in LANGUAGES else "en"


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    po = resources.files("bot.i18n").joinpath(f"locales/{language}/LC_MESSAGES/{DOMAIN}.po")
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    # Fuzzy entries are drafts: gettext falls back to English for them.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Translate and format messages for one language: ``_("Hi {name}", name=...)``."""

    __slots__ = ("_translations", "language")

    def __init__(self, language: str) -> None:
        self.language = resolve_language(language)
        self._translations = _catalog(self.language)

    def __call__(self, message: str, /, **values: Any) -> str:
        """The translation of `message`, with `{placeholders}` filled from `values`."""
        text = self._translations.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, count: int, /, **values: Any) -> str:
        """The singular or plural translation for `count`; `{count}` is filled in too."""
        text = self._translations.ngettext(singular, plural, count)
        return text.format(count=count, **values)


@cache
def translator(language: str) -> Translator:
    """The (shared) translator for a language code."""
    return Translator(language)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext name
    """Mark a string for extraction without translating it yet (for constant tables)."""
    return message
