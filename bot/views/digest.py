"""The manager's digest (text, buttons, chart) and the nudges it sends to owners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.domain.dates import describe_relative, format_local
from bot.domain.models import Customer, CustomerStatus, Member
from bot.i18n import Translator
from bot.services.digest import AtRisk, DigestReport, Period, Win
from bot.views import labels
from bot.views.charts import pipeline_chart
from bot.views.common import esc, keyboard
from bot.views.customers import button_label, ref

CB_NUDGE = "dg:n"
WIN_LINES = 10
OVERDUE_LINES = 10


@dataclass(frozen=True)
class DigestMessage:
    """A digest ready to send: the text, its buttons, and the chart when there is one."""

    text: str
    markup: InlineKeyboardMarkup | None
    photo: bytes | None


def digest_message(report: DigestReport, viewer: Member, _: Translator) -> DigestMessage:
    """The whole digest; the chart is drawn here, so call it off the event loop."""
    text = digest_text(report, viewer, _)
    if report.empty or not any(report.pipeline.values()):
        return DigestMessage(text, None, None)
    return DigestMessage(text, digest_keyboard(report, viewer, _),
                         pipeline_chart(report.pipeline, _))


def _title(report: DigestReport, viewer: Member, _: Translator) -> str:
    span = (f"{format_local(report.since, viewer.timezone)} – "
            f"{format_local(report.until, viewer.timezone)}")
    if report.period is Period.WEEKLY:
        return _("<b>📊 Weekly summary</b> · {span}", span=span)
    return _("<b>📊 Daily digest</b> · {span}", span=span)


def digest_text(report: DigestReport, viewer: Member, _: Translator) -> str:
    """The digest's text (HTML); an empty period with nothing to watch is one line."""
    if report.empty:
        return _title(report, viewer, _) + " — " + _(
            "nothing to report: no new customers, status moves, deals won, churn warnings, "
            "overdue follow-ups or customers at risk."
        )
    lines = [_title(report, viewer, _), ""]
    if report.quiet_period:
        lines.append(_("No new customers, status moves, deals won or churn warnings in this "
                       "period."))
    else:
        lines += _activity(report, viewer, _)
    if report.overdue:
        lines += ["", *_overdue(report, _)]
    if report.at_risk:
        lines += ["", _("🚨 <b>Customers at risk</b>")]
        lines += [_risk_line(n, item, report, viewer, _)
                  for n, item in enumerate(report.at_risk, start=1)]
    return "\n".join(lines)


def _activity(report: DigestReport, viewer: Member, _: Translator) -> list[str]:
    lines = [_("🆕 New customers: {count}", count=report.new_customers)]
    moves = sum(report.moves.values())
    line = _("🔀 Status moves: {count}", count=moves)
    if moves:
        parts = [f"{labels.label(labels.STATUS, s, _)} {report.moves[s]}"
                 for s in CustomerStatus if report.moves.get(s)]
        line += " — " + " · ".join(parts)
    lines.append(line)
    line = _("🏆 Deals won: {count}", count=len(report.wins))
    totals = report.totals()
    if totals:
        line += " — " + " + ".join(
            labels.money(amount, currency, viewer.language)
            for currency, amount in sorted(totals.items())
        )
    lines.append(line)
    lines += [_win_line(win, viewer) for win in report.wins[:WIN_LINES]]
    if len(report.wins) > WIN_LINES:
        lines.append("  " + _("… and {more} more", more=len(report.wins) - WIN_LINES))
    lines.append(_("⚠️ Churn warnings: {count}", count=report.churn_warnings))
    return lines


def _win_line(win: Win, viewer: Member) -> str:
    parts = [ref(win.customer)]
    if win.amount is not None:
        parts.append(labels.money(win.amount[0], win.amount[1], viewer.language))
    if win.owner_name:
        parts.append(esc(win.owner_name))
    return "  • " + " · ".join(parts)


def _overdue(report: DigestReport, _: Translator) -> list[str]:
    total = sum(o.count for o in report.overdue)
    lines = [_("⏰ Overdue follow-ups: {count}", count=total)]
    lines += [f"  • {esc(o.name)}: {o.count}" for o in report.overdue[:OVERDUE_LINES]]
    rest = report.overdue[OVERDUE_LINES:]
    if rest:
        lines.append("  " + _("… and {more} more members ({count} follow-ups)",
                              more=len(rest), count=sum(o.count for o in rest)))
    return lines


def _risk_line(number: int, item: AtRisk, report: DigestReport, viewer: Member,
               _: Translator) -> str:
    customer = item.customer
    days = (report.now - item.quiet_since).days
    if customer.last_contact_at is None:
        quiet = _("never contacted")
    elif days >= 2:
        # Days, not Babel's rounding ("3 weeks"): the count is what a manager compares.
        quiet = _("{days} days without contact", days=days)
    else:
        quiet = _("last contact {when}",
                  when=describe_relative(item.quiet_since, report.now, viewer.language))
    parts = [labels.label(labels.STATUS, customer.status, _), quiet]
    if item.owner_name:
        parts.append(esc(item.owner_name))
    return f"{number}. {ref(customer)} — " + " · ".join(parts)


def digest_keyboard(report: DigestReport, viewer: Member, _: Translator
                    ) -> InlineKeyboardMarkup | None:
    """For each customer at risk: open it, and ask its owner to follow up."""
    rows = []
    for item in report.at_risk:
        row = [(button_label(item.customer)[:32], f"c:{item.customer.id}")]
        owner = item.customer.owner_id
        if owner is not None and owner != viewer.id and item.owner_name:
            row.append((_("👋 Nudge {name}", name=item.owner_name[:20]),
                        f"{CB_NUDGE}:{item.customer.id}"))
        rows.append(row)
    return keyboard(rows) if rows else None


def managers_only(_: Translator) -> str:
    """/digest from a rep."""
    return _("The digest is for managers and admins.")


def private_only(_: Translator) -> str:
    """/digest in a group, where customers at risk are not for every eye."""
    return _("Send /digest to me in a private chat.")


def nudge_sent(customer: Customer, owner: Member, _: Translator) -> str:
    """The manager's confirmation (a plain-text notice)."""
    return _("Asked {name} to follow up with {customer}.", name=owner.full_name,
             customer=button_label(customer))


def nudge_already(customer: Customer, owner: Member, _: Translator) -> str:
    """A second nudge the same day (plain text)."""
    return _("You already asked {name} about {customer} today.", name=owner.full_name,
             customer=button_label(customer))


def nudge_nobody(customer: Customer, _: Translator) -> str:
    """No one else to ask (plain text)."""
    return _("{customer} has no other active owner to ask.", customer=button_label(customer))


def nudge_message(customer: Customer, manager: Member | None, reader: Member, now: datetime,
                  _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """What the owner reads: who asks, about whom, and a button to open the card."""
    who = esc(manager.full_name) if manager else _("Your manager")
    lines = [_("👋 {manager} asks you to follow up with <b>{customer}</b>.", manager=who,
               customer=ref(customer))]
    status = labels.label(labels.STATUS, customer.status, _)
    lines.append(_("Status: {status}", status=status))
    if customer.last_contact_at is not None:
        lines.append(_("Last contact: {when}", when=describe_relative(
            customer.last_contact_at, now, reader.language)))
    else:
        lines.append(_("Last contact: never"))
    if customer.next_followup_at is not None:
        lines.append(_("Next follow-up: {when}",
                       when=format_local(customer.next_followup_at, reader.timezone)))
    return "\n".join(lines), keyboard([[(_("Open card"), f"c:{customer.id}")]])
