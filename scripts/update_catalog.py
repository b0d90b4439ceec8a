"""Sync the Chinese catalog with the strings in the code (run from the repository root).

New strings are added with an empty translation (tests fail until one is written), strings no
longer used are dropped, existing translations are kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

PO = Path("bot/i18n/locales/zh/LC_MESSAGES/telecrm.po")


def extract() -> Catalog:
    """Every marked string under bot/."""
    keywords = {**DEFAULT_KEYWORDS, "_": None}
    template = Catalog(project="telecrm", domain="telecrm")
    for filename, lineno, message, comments, context in extract_from_dir(
        "bot", method_map=[("**.py", "python")], keywords=keywords
    ):
        template.add(message, locations=[(f"bot/{filename}", lineno)], context=context,
                     auto_comments=comments)
    return template


def main() -> int:
    """Update the .po file in place; print how many strings lack a translation."""
    template = extract()
    if PO.exists():
        with PO.open("rb") as handle:
            catalog = read_po(handle, locale="zh", domain="telecrm")
    else:
        catalog = Catalog(locale="zh", project="telecrm", domain="telecrm")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=99, omit_header=False, sort_output=False)
    missing = [m.id for m in catalog if m.id and not m.string]
    for message_id in missing:
        print(f"untranslated: {message_id!r}")  # noqa: T201
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
