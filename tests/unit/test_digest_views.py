"""How a digest and a group alert read: one line when empty, both languages, captions, chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.models import Customer, CustomerStatus, GroupChat, Member, Role
from bot.i18n import translator
from bot.services.digest import AtRisk, DigestReport, Overdue, Period, Win
from bot.services.groups import DEAL_WON, REP_OVERDUE, GroupAlert
from bot.views import groups as group_views
from bot.views.charts import fits_caption, pipeline_chart
from bot.views.digest import digest_keyboard, digest_message, digest_text

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _member(language: str = "en", timezone: str = "UTC") -> Member:
    return Member(id=1, full_name="Mona", role=Role.MANAGER, language=language,
                  timezone=timezone, created_at=NOW, updated_at=NOW)


def _customer(cid: int, name: str, status: CustomerStatus = CustomerStatus.WON,
              owner: int = 7) -> Customer:
    return Customer(id=cid, name=name, company="Acme", status=status, owner_id=owner,
                    last_contact_at=NOW - timedelta(days=20), created_at=NOW, updated_at=NOW)


def _report(**fields: object) -> DigestReport:
    base: dict[str, object] = {
        "period": Period.DAILY, "since": NOW - timedelta(days=1), "until": NOW, "now": NOW,
        "pipeline": {CustomerStatus.POTENTIAL: 3, CustomerStatus.WON: 1},
    }
    base.update(fields)
    return DigestReport(**base)  # type: ignore[arg-type]


def _busy() -> DigestReport:
    return _report(
        new_customers=2,
        moves={CustomerStatus.WON: 1, CustomerStatus.FOLLOWING_UP: 2},
        wins=[Win(customer=_customer(12, "Zhang Wei"), won_at=NOW, owner_name="Rita",
                  amount=(5_000_000, "CNY"))],
        churn_warnings=1,
        overdue=[Overdue(member_id=7, name="Rita", count=4)],
        at_risk=[AtRisk(customer=_customer(13, "Li Lei", CustomerStatus.CHURN_WARNING),
                        owner_name="Rita", quiet_since=NOW - timedelta(days=20))],
    )


def test_an_empty_digest_is_one_line_without_a_chart() -> None:
    """Nothing happened, nothing to watch: one line, no picture, no buttons."""
    built = digest_message(_report(), _member(), translator("en"))
    assert "\n" not in built.text
    assert "nothing to report" in built.text
    assert built.photo is None
    assert built.markup is None


def test_a_quiet_period_with_things_to_watch() -> None:
    """No activity is one line; overdue follow-ups still follow."""
    report = _report(overdue=[Overdue(member_id=7, name="Rita", count=2)])
    text = digest_text(report, _member(), translator("en"))
    assert "No new customers, status moves, deals won or churn warnings" in text
    assert "⏰ Overdue follow-ups: 2\n  • Rita: 2" in text


def test_digest_in_english_and_chinese() -> None:
    """The same digest in both languages, with the viewer's time zone and money format."""
    english = digest_text(_busy(), _member(), translator("en"))
    assert "<b>📊 Daily digest</b> · 2026-01-04 09:00 – 2026-01-05 09:00" in english
    assert "🆕 New customers: 2" in english
    assert "🔀 Status moves: 3 — Following up 2 · Won 1" in english
    assert "🏆 Deals won: 1 — CN¥50,000.00" in english
    assert "• #12 Zhang Wei (Acme) · CN¥50,000.00 · Rita" in english
    assert "1. #13 Li Lei (Acme) — Churn warning · 20 days without contact · Rita" in english
    chinese = digest_text(_busy(), _member("zh", "Asia/Shanghai"), translator("zh"))
    assert "<b>📊 每日摘要</b> · 2026-01-04 17:00 – 2026-01-05 17:00" in chinese
    assert "🆕 新客户：2" in chinese
    assert "🏆 成交：1 — ¥50,000.00" in chinese
    assert "流失预警" in chinese
    weekly = digest_text(_report(period=Period.WEEKLY, new_customers=1), _member(),
                         translator("en"))
    assert weekly.startswith("<b>📊 Weekly summary</b>")


def test_buttons_open_and_nudge_except_own_customers() -> None:
    """Each customer at risk: open it; nudge its owner unless that is the viewer."""
    markup = digest_keyboard(_busy(), _member(), translator("en"))
    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [[("#13 Li Lei · Acme", "c:13"), ("👋 Nudge Rita", "dg:n:13")]]
    mine = _report(at_risk=[AtRisk(customer=_customer(13, "Li Lei", owner=1), owner_name="Mona",
                                   quiet_since=NOW)])
    own = digest_keyboard(mine, _member(), translator("en"))
    assert own is not None
    assert [[b.callback_data for b in row] for row in own.inline_keyboard] == [["c:13"]]


def test_caption_limit_counts_utf16() -> None:
    """1024 UTF-16 units fit a caption; an emoji counts twice."""
    assert fits_caption("a" * 1024)
    assert not fits_caption("a" * 1025)
    assert not fits_caption("😀" * 513)


def test_chart_is_a_png_in_both_languages() -> None:
    """The pipeline chart is PNG bytes (English labels when no Chinese font is installed)."""
    for language in ("en", "zh"):
        png = pipeline_chart({CustomerStatus.POTENTIAL: 5}, translator(language))
        assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_group_alerts_hide_values_unless_shown() -> None:
    """A deal won shows its value only in a group that enabled values; alerts are one line."""
    hidden = GroupChat(chat_id=-1, title=None, bound_by=1, bound_at=NOW)
    shown = hidden.model_copy(update={"show_values": True})
    _ = translator("en")
    won = GroupAlert(group=hidden, event=DEAL_WON, customer=_customer(12, "Zhang Wei"),
                     owner_name="Rita", value=(5_000_000, "CNY"))
    assert group_views.alert_text(won, NOW, _) == "🏆 Deal won: #12 Zhang Wei (Acme) · Rita"
    shown_text = group_views.alert_text(
        GroupAlert(group=shown, event=DEAL_WON, customer=won.customer, owner_name="Rita",
                   value=(5_000_000, "CNY")), NOW, _)
    assert shown_text == "🏆 Deal won: #12 Zhang Wei (Acme) · CN¥50,000.00 · Rita"
    overdue = GroupAlert(group=hidden, event=REP_OVERDUE, member_name="Rita", count=7)
    assert group_views.alert_text(overdue, NOW, translator("zh")) == "⏰ Rita 有 7 个逾期跟进。"
