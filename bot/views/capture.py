"""Prompts of the capture flow, the confirmation card and the duplicate warning."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.contacts import format_phone
from bot.domain.models import Customer, CustomerKind
from bot.i18n import Translator
from bot.views import labels
from bot.views.common import esc, keyboard
from bot.views.customers import button_label, ref

SKIP = "cap:skip"
STEPS = ("name", "company", "phones", "emails", "kind", "source")


def prompt(step: str, _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question of a step, with Skip where the step is optional."""
    skip = keyboard([[(_("Skip"), SKIP)]])
    if step == "name":
        return _("New customer. What is their name? (/cancel to stop)"), None
    if step == "company":
        return _("Company? (or Skip)"), skip
    if step == "phones":
        return _("Phone number? Local numbers are fine. (or Skip)"), skip
    if step == "emails":
        return _("Email? (or Skip)"), skip
    if step == "kind":
        return _("A company (B2B) or a person (B2C)?"), keyboard([
            [(_(labels.KIND[k]), f"cap:kind:{k.value}") for k in CustomerKind],
            [(_("Skip"), SKIP)],
        ])
    return _("How did we meet them (source)? e.g. trade fair, referral, website (or Skip)"), skip


def confirm(draft: dict[str, Any], _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The draft as it will be saved: Save / Edit / Cancel."""
    lines = [_("<b>New customer</b> — please check:"), draft_lines(draft, _)]
    return "\n".join(lines), keyboard([
        [(_("Save"), "cap:save"), (_("Edit"), "cap:edit"), (_("Cancel"), "cap:cancel")]
    ])


def draft_lines(draft: dict[str, Any], _: Translator) -> str:
    """The fields of a draft, one per line."""
    none = "—"
    kind = draft.get("kind")
    rows = [
        (_("Name"), esc(draft.get("name") or none)),
        (_("Company"), esc(draft.get("company") or none)),
        (_("Phone"), ", ".join(format_phone(p) for p in draft.get("phones", [])) or none),
        (_("Email"), esc(", ".join(draft.get("emails", [])) or none)),
        (_("Type"), _(labels.KIND[CustomerKind(kind)]) if kind else none),
        (_("Source"), esc(draft.get("source") or none)),
    ]
    if draft.get("telegram_username"):
        rows.append((_("Telegram"), "@" + esc(draft["telegram_username"])))
    return "\n".join(f"{name}: {value}" for name, value in rows)


def edit_pick(_: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Which field of the draft to change."""
    names = {"name": _("Name"), "company": _("Company"), "phones": _("Phone"),
             "emails": _("Email"), "kind": _("Type"), "source": _("Source")}
    rows = [[(names[s], f"cap:f:{s}") for s in STEPS[i:i + 3]] for i in range(0, 6, 3)]
    return _("Which field do you want to change?"), keyboard(rows)


def duplicates(matches: list[tuple[Customer, str]], _: Translator
               ) -> tuple[str, InlineKeyboardMarkup]:
    """'Looks like #12 Zhang Wei (Acme) — Open / Create anyway'."""
    reasons = {"phone": _("same phone"), "email": _("same email"),
               "name": _("similar name, same company")}
    lines = [_("This looks like a customer you already have:")]
    lines += [f"• {ref(c)} — {reasons.get(why, why)}" for c, why in matches[:5]]
    rows = [[InlineKeyboardButton(_("Open {customer}", customer=button_label(c)),
                                  callback_data=f"c:{c.id}")] for c, _why in matches[:3]]
    rows.append([InlineKeyboardButton(_("Create anyway"), callback_data="dup:force"),
                 InlineKeyboardButton(_("Cancel"), callback_data="dup:cancel")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def created(_: Translator) -> str:
    """Header above the new customer's card."""
    return _("Saved. ✅")


def nothing_pending(_: Translator) -> str:
    """A stale 'create anyway' button."""
    return _("There is no customer waiting to be created. Start again with /new.")


def contact_offer(draft: dict[str, Any], _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """A shared contact: create it?"""
    return (
        _("Create a customer from this contact?") + "\n" + draft_lines(draft, _),
        keyboard([[(_("Create customer"), "ct:create"), (_("Cancel"), "dup:cancel")]]),
    )


def contact_exists(_: Translator) -> str:
    """A shared contact whose phone we already have."""
    return _("You already have this contact:")


def contact_invalid(phone: str, _: Translator) -> str:
    """A shared contact with a phone we cannot read."""
    return _("The contact's phone “{phone}” is not a valid number; add the customer with /new.",
             phone=esc(phone))
