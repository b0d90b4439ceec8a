"""Customer card, lists, history and the keyboards that go with them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.contacts import format_phone
from bot.domain.dates import describe_relative, format_local
from bot.domain.models import ChurnReason, Customer, CustomerStatus, Interaction, Member
from bot.i18n import Translator
from bot.services.customers import Card, HistoryItem, HistoryPage, Overview
from bot.views import labels
from bot.views.common import esc, keyboard

PAGE_SIZE = 8


def ref(customer: Customer) -> str:
    """'#12 Zhang Wei (Acme)', escaped."""
    company = f" ({esc(customer.company)})" if customer.company else ""
    return f"#{customer.id} {esc(customer.name)}{company}"


def button_label(customer: Customer) -> str:
    """A customer on a button (plain text, no HTML)."""
    company = f" · {customer.company}" if customer.company else ""
    return f"#{customer.id} {customer.name}{company}"[:60]


def interaction_line(item: Interaction, viewer: Member, now: datetime, _: Translator) -> str:
    """One interaction: when, kind, amount, sentiment, text."""
    parts = [
        describe_relative(item.occurred_at, now, viewer.language),
        labels.label(labels.INTERACTION, item.kind, _),
    ]
    if item.amount_minor is not None and item.currency:
        parts.append(labels.money(item.amount_minor, item.currency, viewer.language))
    if item.sentiment is not None:
        parts.append(labels.label(labels.SENTIMENT, item.sentiment, _))
    text = f" — {esc(_shorten(item.text, 200))}" if item.text else ""
    return "• " + " · ".join(parts) + text


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card(data: Card, viewer: Member, now: datetime, _: Translator
         ) -> tuple[str, InlineKeyboardMarkup]:
    """The customer card and its buttons: Log · Status · Follow-up · Edit · History."""
    c = data.customer
    lines = [f"<b>#{c.id} {esc(c.name)}</b>"]
    if c.company:
        lines[0] += f" — {esc(c.company)}"
    lines.append(labels.label(labels.KIND, c.kind, _))
    lines += [f"📞 {format_phone(p)}" for p in c.phones]
    lines += [f"✉️ {esc(e)}" for e in c.emails]
    if c.telegram_username:
        lines.append(f"💬 @{esc(c.telegram_username)}")
    lines.append(_("Status: {status}", status=labels.label(labels.STATUS, c.status, _)))
    tier = labels.label(labels.TIER, c.tier, _)
    if c.value_tier_override is not None:
        tier += " " + _("(set by hand)")
    lines.append(_("Value: {tier}", tier=tier))
    if data.owner_name:
        lines.append(_("Owner: {name}", name=esc(data.owner_name)))
    for key, value in (("city", c.city), ("source", c.source)):
        if value:
            lines.append(f"{_(labels.FIELD[key])}: {esc(value)}")
    if c.demand is not None:
        lines.append(f"{_(labels.FIELD['demand'])}: {labels.label(labels.DEMAND, c.demand, _)}")
    if c.last_contact_at:
        lines.append(_("Last contact: {when}",
                       when=describe_relative(c.last_contact_at, now, viewer.language)))
    else:
        lines.append(_("Last contact: never"))
    if c.next_followup_at:
        overdue = " ⚠️" if c.next_followup_at <= now else ""
        lines.append(_("Next follow-up: {when}",
                       when=format_local(c.next_followup_at, viewer.timezone)) + overdue)
    if c.tags:
        lines.append(" ".join(f"#{esc(t)}" for t in c.tags))
    if c.notes:
        lines.append(f"📝 {esc(_shorten(c.notes, 500))}")
    if data.recent:
        lines.append("")
        lines.append(_("<b>Latest</b> ({shown} of {total})", shown=len(data.recent),
                       total=data.interactions))
        lines += [interaction_line(i, viewer, now, _) for i in data.recent]
    return "\n".join(lines), card_keyboard(c.id, _)


def card_keyboard(customer_id: int, _: Translator) -> InlineKeyboardMarkup:
    """Log · Status · Follow-up / Edit · History."""
    return keyboard([
        [(_("Log"), f"lg:{customer_id}"), (_("Status"), f"st:{customer_id}"),
         (_("Follow-up"), f"fu:{customer_id}")],
        [(_("Edit"), f"ed:{customer_id}"), (_("History"), f"h:{customer_id}:0")],
    ])


def short_card(customer: Customer, viewer: Member, _: Translator) -> str:
    """A few lines to share in another chat (inline mode)."""
    lines = [f"<b>{ref(customer)}</b>"]
    lines += [format_phone(p) for p in customer.phones[:1]]
    lines += [esc(e) for e in customer.emails[:1]]
    lines.append(_("Status: {status}", status=labels.label(labels.STATUS, customer.status, _)))
    if customer.next_followup_at:
        lines.append(_("Next follow-up: {when}",
                       when=format_local(customer.next_followup_at, viewer.timezone)))
    return "\n".join(lines)


def description(customer: Customer, _: Translator) -> str:
    """One plain line under an inline result's title."""
    parts = [labels.label(labels.STATUS, customer.status, _)]
    parts += [format_phone(p) for p in customer.phones[:1]]
    return " · ".join(parts)


def results(customers: Sequence[Customer], query: str, page: int, _: Translator
            ) -> tuple[str, InlineKeyboardMarkup]:
    """A page of search hits as buttons, 8 a page, with Prev/Next."""
    pages = max(1, -(-len(customers) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = customers[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    text = _("{count} customers match “{query}”. Page {page} of {pages}:",
             count=len(customers), query=esc(query), page=page + 1, pages=pages)
    rows = [[InlineKeyboardButton(button_label(c), callback_data=f"c:{c.id}")] for c in shown]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(_("‹ Prev"), callback_data=f"fp:{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton(_("Next ›"), callback_data=f"fp:{page + 1}"))
    if nav:
        rows.append(nav)
    return text, InlineKeyboardMarkup(rows)


def pick(customers: Sequence[Customer], action: str, _: Translator
         ) -> tuple[str, InlineKeyboardMarkup]:
    """'Which one?' with a button per candidate; `action` prefixes the callback data."""
    rows = [[InlineKeyboardButton(button_label(c), callback_data=f"{action}:{c.id}")]
            for c in customers[:PAGE_SIZE]]
    return _("Which customer do you mean?"), InlineKeyboardMarkup(rows)


def no_match(query: str, _: Translator) -> str:
    """Nothing found: suggest capturing."""
    return _("No customer matches “{query}”. To add one: /new {query}", query=esc(query))


def usage_find(_: Translator) -> str:
    """/find without a query."""
    return _("Send /find and part of a name, company, phone, email or tag, e.g. /find 8000 "
             "or /find #12.")


def history(page: HistoryPage, customer: Customer, viewer: Member, now: datetime,
            _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """A page of a customer's history, with paging and a way back to the card."""
    lines = [_("<b>History of {customer}</b>", customer=ref(customer))]
    if not page.items:
        lines.append(_("Nothing recorded yet."))
    lines += [_history_line(item, viewer, now, _) for item in page.items]
    nav = []
    if page.page > 0:
        nav.append((_("‹ Newer"), f"h:{customer.id}:{page.page - 1}"))
    if page.has_next:
        nav.append((_("Older ›"), f"h:{customer.id}:{page.page + 1}"))
    rows = [nav] if nav else []
    rows.append([(_("Back to card"), f"cc:{customer.id}")])
    return "\n".join(lines), keyboard(rows)


def _history_line(item: HistoryItem, viewer: Member, now: datetime, _: Translator) -> str:
    when = format_local(item.at, viewer.timezone)
    who = f" ({esc(item.author)})" if item.author else ""
    if item.interaction is not None:
        return f"{when}{who} " + interaction_line(item.interaction, viewer, now, _)[2:]
    change = item.change
    assert change is not None
    to = labels.label(labels.STATUS, change.to_status, _)
    if change.from_status is None:
        text = _("created as {status}", status=to)
    else:
        text = _("{old} → {new}", old=labels.label(labels.STATUS, change.from_status, _),
                 new=to)
    if change.reason is not None:
        text += " — " + labels.label(labels.CHURN_REASON, change.reason, _)
    if change.reason_text:
        text += f": {esc(change.reason_text)}"
    if change.changed_by is None:
        who = " (" + _("system") + ")"
    return f"{when}{who} ⇄ {text}"


def status_keyboard(customer: Customer, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The statuses, the current one marked; pressing one changes it."""
    rows: list[list[tuple[str, str]]] = []
    row: list[tuple[str, str]] = []
    for status in CustomerStatus:
        mark = "✓ " if status is customer.status else ""
        row.append((mark + labels.label(labels.STATUS, status, _), f"st:{customer.id}:{status}"))
        if len(row) == 2:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    rows.append([(_("Back to card"), f"cc:{customer.id}")])
    return _("Status of {customer}:", customer=ref(customer)), keyboard(rows)


def churn_reasons(customer: Customer, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Why was this customer lost?"""
    rows = [[(labels.label(labels.CHURN_REASON, r, _), f"cr:{customer.id}:{r}")]
            for r in ChurnReason]
    rows.append([(_("Back"), f"st:{customer.id}")])
    return _("Why did {customer} leave?", customer=ref(customer)), keyboard(rows)


def status_changed(customer: Customer, _: Translator) -> str:
    """Confirmation after a status change."""
    return _("{customer} is now: <b>{status}</b>", customer=ref(customer),
             status=labels.label(labels.STATUS, customer.status, _))


def overview(data: Overview, _: Translator) -> str:
    """/mine: my customers grouped by status."""
    total = sum(data.counts.values())
    if not total:
        return _("You have no customers yet. Add one with /new.")
    lines = [_("<b>My customers</b> ({count})", count=total)]
    for status in CustomerStatus:
        count = data.counts.get(status, 0)
        if not count:
            continue
        lines.append("")
        lines.append(f"<b>{labels.label(labels.STATUS, status, _)}</b> ({count})")
        shown = data.customers.get(status, [])
        lines += [ref(c) for c in shown]
        if count > len(shown):
            lines.append(_("… and {more} more", more=count - len(shown)))
    return "\n".join(lines)


def today(customers: Sequence[Customer], viewer: Member, now: datetime, _: Translator) -> str:
    """/today: the list of follow-ups due today and overdue."""
    if not customers:
        return _("No follow-ups due today. 🎉")
    lines = [_("<b>Follow-ups due today</b> ({count})", count=len(customers))]
    for c in customers:
        assert c.next_followup_at is not None
        flag = " ⚠️ " + _("overdue") if c.next_followup_at < now else ""
        lines.append(f"{format_local(c.next_followup_at, viewer.timezone)} {ref(c)}{flag}")
    return "\n".join(lines)


def not_found(_: Translator) -> str:
    """A customer that does not exist or that this member may not see."""
    return _("I can't find that customer.")
