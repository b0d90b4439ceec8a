"""Every string the bot sends is translated, with the same placeholders."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from bot.i18n import Translator, resolve_language, translator
from scripts.update_catalog import PO, extract

_FIELDS = re.compile(r"\{(\w+)\}")


def test_every_string_has_a_chinese_translation() -> None:
    """Babel finds every marked string in bot/; each has a non-fuzzy Chinese translation."""
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="zh", domain="telecrm")
    missing = []
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None or not found.string or found.fuzzy:
            missing.append(message.id)
    assert not missing, f"untranslated (run scripts/update_catalog.py): {missing}"


def test_placeholders_and_tags_match() -> None:
    """A translation keeps the {placeholders} and HTML tags of its English source."""
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="zh", domain="telecrm")
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        assert isinstance(message.string, str)
        assert sorted(_FIELDS.findall(message.id)) == sorted(_FIELDS.findall(message.string)), (
            message.id
        )
        tags = re.compile(r"</?\w+>")
        assert sorted(tags.findall(message.id)) == sorted(tags.findall(message.string)), (
            message.id
        )
        list(string.Formatter().parse(message.string))  # raises on a malformed brace


def test_translator_formats_and_falls_back() -> None:
    """Chinese where translated, English otherwise, placeholders filled."""
    zh = translator("zh")
    assert zh("Language: {value}", value="中文") == "语言：中文"
    assert zh("a string nobody translated {x}", x=1) == "a string nobody translated 1"
    assert Translator("en")("Language: {value}", value="English") == "Language: English"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("zh", "zh"), ("zh-hans", "zh"), ("zh-TW", "zh"), ("en-GB", "en"), ("de", "en"),
     (None, "en"), ("", "en")],
)
def test_resolve_language(code: str | None, expected: str) -> None:
    """Telegram language codes map to the two supported languages."""
    assert resolve_language(code) == expected


def test_resolve_language_default() -> None:
    """An unsupported code falls back to the team's default."""
    assert resolve_language("fr", "zh") == "zh"
