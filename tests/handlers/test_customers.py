"""The reps' core flows through the real handlers: capture, find, card, log, status, follow-up,
edit, history, /mine, /today, inline mode, visibility — in English and Chinese."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.domain.models import Member
from tests.conftest import ADMIN_ID
from tests.handlers.harness import Harness, User, start_bot, texts

ADMIN = User(ADMIN_ID, first_name="Ada")


async def _join(bot: Harness, user: User, role: str = "rep") -> None:
    await bot.join(ADMIN, user, role)


def _id(text: str) -> int:
    match = re.search(r"#(\d+)", text)
    assert match, text
    return int(match.group(1))


async def _capture(bot: Harness, user: User, line: str) -> int:
    sent = await bot.send(user, f"/new {line}")
    return _id(texts(sent))


# -- capture ---------------------------------------------------------------------------------


async def test_one_message_capture_shows_card(bot: Harness) -> None:
    """`/new Name, Company, phone, email` answers the new card with its #id."""
    sent = await bot.send(ADMIN, "/new Zhang Wei, Acme Ltd, +86 138 0013 8000, zw@acme.cn")
    text = texts(sent)
    assert "<b>#1 Zhang Wei</b> — Acme Ltd" in text
    assert "+86 138 0013 8000" in text
    assert "zw@acme.cn" in text
    assert "Status: Potential" in text
    assert "Owner: Ada" in text
    assert set(bot.buttons(bot.last_message_to(ADMIN_ID))) == {
        "Log", "Status", "Follow-up", "Edit", "History"
    }


async def test_one_message_any_order_and_local_phone(bot: Harness) -> None:
    """Phone and email are recognised by form; a local number uses the default region."""
    sent = await bot.send(ADMIN, "/new Li Lei, li@example.com, 13800138001, Globex")
    text = texts(sent)
    assert "+86 138 0013 8001" in text
    assert "— Globex" in text


async def test_one_message_invalid_phone_creates_nothing(bot: Harness) -> None:
    """An invalid phone or email is named and nothing is saved."""
    sent = await bot.send(ADMIN, "/new Wang Fang, 12345, wang@@x")
    text = texts(sent)
    assert "“12345” is not a valid phone number" in text
    assert "“wang@@x” is not a valid email address" in text
    assert await bot.app.bot_data.crm.customers.find(
        actor=await _admin(bot), query="Wang Fang"
    ) == []


async def _admin(bot: Harness) -> Member:
    member = await bot.app.bot_data.crm.team.get(user_id=ADMIN_ID)
    assert member is not None
    return member


async def test_duplicate_caught_then_created_anyway(bot: Harness) -> None:
    """Same phone: 'looks like #1' with Open / Create anyway; Create anyway saves #2."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme, +8613800138000")
    sent = await bot.send(ADMIN, "/new Z. Wei, +86 138-0013-8000")
    assert "looks like a customer you already have" in texts(sent)
    assert "#1 Zhang Wei (Acme) — same phone" in texts(sent)
    buttons = bot.buttons(bot.last_message_to(ADMIN_ID))
    assert "Create anyway" in buttons
    opened = await bot.press(ADMIN, "Open #1 Zhang Wei · Acme")
    assert "<b>#1 Zhang Wei</b>" in texts(opened)
    created = await bot.press(ADMIN, "Create anyway", _message_with(bot, "Create anyway"))
    assert "<b>#2 Z. Wei</b>" in texts(created)


def _message_with(bot: Harness, label: str) -> dict[str, Any]:
    message: dict[str, Any]
    for message in reversed(list(bot.api.messages.values())):
        if label in bot.buttons(message):
            return message
    raise AssertionError(label)


async def test_duplicate_by_similar_name_same_company(bot: Harness) -> None:
    """A very similar name at the same company is a duplicate too."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme Ltd")
    sent = await bot.send(ADMIN, "/new zhang  wei, ACME")
    assert "similar name, same company" in texts(sent)


async def test_guided_capture_with_skips_and_retry(bot: Harness) -> None:
    """/new asks step by step; a bad phone is asked again; Save shows the card."""
    assert "What is their name" in texts(await bot.send(ADMIN, "/new"))
    assert "Company?" in texts(await bot.send(ADMIN, "张伟"))
    await bot.press(ADMIN, "Skip")
    assert "not a valid phone number" in texts(await bot.send(ADMIN, "12"))
    assert "Email?" in texts(await bot.send(ADMIN, "138 0013 8000"))
    assert "not a valid email" in texts(await bot.send(ADMIN, "zw@"))
    assert "B2B" in texts(await bot.send(ADMIN, "zw@example.cn"))
    await bot.press(ADMIN, "Company (B2B)")
    confirm = await bot.send(ADMIN, "trade fair")
    text = texts(confirm)
    assert "please check" in text
    assert "Phone: +86 138 0013 8000" in text
    assert "Type: Company (B2B)" in text
    await bot.press(ADMIN, "Edit")
    await bot.press(ADMIN, "Company")
    assert "please check" in texts(await bot.send(ADMIN, "Acme"))
    saved = await bot.press(ADMIN, "Save")
    assert "<b>#1 张伟</b> — Acme" in texts(saved)
    assert "Source: trade fair" in texts(saved)


async def test_guided_capture_cancel(bot: Harness) -> None:
    """/cancel mid-way saves nothing."""
    await bot.send(ADMIN, "/new")
    await bot.send(ADMIN, "Nobody")
    assert "Cancelled" in texts(await bot.send(ADMIN, "/cancel"))
    assert "No customer matches" in texts(await bot.send(ADMIN, "/find Nobody"))


async def test_guided_capture_survives_restart(settings: Settings, clock: FakeClock) -> None:
    """A restart mid-capture keeps the answers so far."""
    async with start_bot(settings, clock) as first:
        await first.send(ADMIN, "/new")
        await first.send(ADMIN, "Restart Person")
    async with start_bot(settings, clock) as second:
        assert "Phone number?" in texts(await second.send(ADMIN, "Acme"))
        await second.press(ADMIN, "Skip")
        await second.press(ADMIN, "Skip")
        await second.press(ADMIN, "Skip")
        await second.press(ADMIN, "Skip")
        saved = await second.press(ADMIN, "Save")
        assert "Restart Person</b> — Acme" in texts(saved)


async def test_shared_contact(bot: Harness) -> None:
    """A shared contact offers to create the customer, then opens it next time."""
    contact = {"phone_number": "+8613900139000", "first_name": "Han", "last_name": "Mei"}
    sent = await bot._process({"message": _contact_message(bot, contact)})
    assert "Create a customer from this contact" in texts(sent)
    created = await bot.press(ADMIN, "Create customer")
    assert "<b>#1 Han Mei</b>" in texts(created)
    again = await bot._process({"message": _contact_message(bot, contact)})
    assert "already have this contact" in texts(again)


def _contact_message(bot: Harness, contact: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": bot.api.next_message_id(),
        "date": int(bot.api.clock.now().timestamp()),
        "chat": {"id": ADMIN_ID, "type": "private"},
        "from": ADMIN.as_dict(),
        "contact": contact,
    }


# -- look-up ---------------------------------------------------------------------------------


async def test_find_by_phone_fragment_name_and_typo(bot: Harness) -> None:
    """Last digits, a name prefix, a typo and #id all find the customer."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme, +86 138 0013 8000")
    for query in ("8000", "0013 8000", "Zhang", "Zhang Wie", "#1", "acme"):
        sent = await bot.send(ADMIN, f"/find {query}")
        assert "<b>#1 Zhang Wei</b>" in texts(sent), query


async def test_find_chinese_substring(bot: Harness) -> None:
    """张伟 finds 张伟明."""
    await _capture(bot, ADMIN, "张伟明, 阿克米")
    assert "<b>#1 张伟明</b>" in texts(await bot.send(ADMIN, "/find 张伟"))


async def test_find_none_and_many_paged(bot: Harness) -> None:
    """No hit suggests /new; many hits are paged 8 at a time."""
    assert "/new Nobody" in texts(await bot.send(ADMIN, "/find Nobody"))
    for n in range(10):
        await _capture(bot, ADMIN, f"Wang {n}, Initech, +1 212 555 01{n:02d}")
    sent = await bot.send(ADMIN, "/find Initech")
    assert "10 customers match" in texts(sent)
    buttons = bot.buttons(bot.last_message_to(ADMIN_ID))
    assert len([b for b in buttons if b.startswith("#")]) == 8
    page2 = await bot.press(ADMIN, "Next ›")
    assert "Page 2 of 2" in texts(page2)
    card = await bot.press(ADMIN, next(b for b in bot.buttons(bot.last_message_to(ADMIN_ID))
                                       if b.startswith("#")))
    assert "Status: Potential" in texts(card)


async def test_visibility_rep_sees_only_own(bot: Harness) -> None:
    """A rep finds only their own customers; others' do not leak (not even by #id)."""
    rep = User(3003, first_name="Rita")
    other = User(3004, first_name="Otto")
    await _join(bot, rep)
    await _join(bot, other)
    mine = await _capture(bot, rep, "Rita Customer, +86 138 0013 8111")
    theirs = await _capture(bot, other, "Otto Customer, +86 138 0013 8222")
    assert "Rita Customer" in texts(await bot.send(rep, "/find Customer"))
    assert "Otto" not in texts(await bot.send(rep, "/find Customer"))
    assert "No customer matches" in texts(await bot.send(rep, f"/find #{theirs}"))
    assert "No customer matches" in texts(await bot.send(rep, "/find 8222"))
    await bot.press_data(rep, f"st:{theirs}:won", bot.last_message_to(rep.id))
    assert "can't find that customer" in texts([bot.last_message_to(rep.id)])
    assert "2 customers match" in texts(await bot.send(ADMIN, "/find Customer"))
    both = bot.buttons(bot.last_message_to(ADMIN_ID))
    assert any(label.startswith(f"#{mine} ") for label in both)
    assert any(label.startswith(f"#{theirs} ") for label in both)
    answers = await bot.inline(rep, "Customer")
    assert [r["id"] for r in answers[-1]["results"]] == [str(mine)]


async def test_inline_mode_short_card(bot: Harness) -> None:
    """Inline results carry a short card to share."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme, +86 138 0013 8000")
    answers = await bot.inline(ADMIN, "zhang")
    result = answers[-1]["results"][0]
    assert result["title"] == "#1 Zhang Wei · Acme"
    assert "+86 138 0013 8000" in result["input_message_content"]["message_text"]


# -- log, status, follow-up --------------------------------------------------------------------


async def test_log_one_message_updates_last_contact(bot: Harness, clock: FakeClock) -> None:
    """/log #1 text saves a note; the card shows it and the last contact."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme")
    clock.advance(timedelta(hours=2))
    sent = await bot.send(ADMIN, "/log #1 called, wants a quote")
    assert "Logged for #1 Zhang Wei (Acme)" in texts(sent)
    card = texts(await bot.send(ADMIN, "/find #1"))
    assert "Note — called, wants a quote" in card
    assert "Last contact: just now" in card


async def test_log_by_name_prefix(bot: Harness) -> None:
    """/log Zhang Wei met at the fair: the longest name prefix is the customer."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme")
    sent = await bot.send(ADMIN, "/log Zhang Wei met at the fair")
    assert "Logged for #1" in texts(sent)
    assert "met at the fair" in texts(await bot.send(ADMIN, "/find #1"))


async def test_log_button_full_walk(bot: Harness) -> None:
    """Log button: kind → text → amount → next follow-up; feedback asks the sentiment."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme")
    await bot.press(ADMIN, "Log")
    await bot.press(ADMIN, "Feedback")
    assert "How does the customer feel" in texts(await bot.send(ADMIN, "Loves the demo"))
    await bot.press(ADMIN, "Satisfied")
    assert "couldn't read" in texts(await bot.send(ADMIN, "lots"))
    assert "When should we follow up" in texts(await bot.send(ADMIN, "12000"))
    done = await bot.send(ADMIN, "tomorrow 10:00")
    assert "Logged for #1" in texts(done)
    assert "Next follow-up with #1 Zhang Wei (Acme): 2026-01-06 10:00" in texts(done)
    card = texts(await bot.send(ADMIN, "/find #1"))
    assert "Feedback · CN¥12,000.00 · Satisfied — Loves the demo" in card
    assert "Next follow-up: 2026-01-06 10:00" in card


async def test_status_change_and_churn_reason(bot: Harness) -> None:
    """/status shows the keyboard (current marked); churned asks why; history records both."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme")
    await bot.send(ADMIN, "/status Zhang Wei")
    assert "✓ Potential" in bot.buttons(bot.last_message_to(ADMIN_ID))
    changed = await bot.press(ADMIN, "Won")
    assert "is now: <b>Won</b>" in texts(changed)
    await bot.press(ADMIN, "Status")
    asked = await bot.press(ADMIN, "Churned")
    assert "Why did #1 Zhang Wei (Acme) leave?" in texts(asked)
    await bot.press(ADMIN, "Other")
    done = await bot.send(ADMIN, "moved abroad")
    assert "is now: <b>Churned</b>" in texts(done)
    history = texts(await bot.press(ADMIN, "History", _message_with(bot, "History")))
    assert "Won → Churned — Other: moved abroad" in history
    assert "Potential → Won" in history
    assert "created as Potential" in history


async def test_followup_command_and_past_refused(bot: Harness) -> None:
    """/followup understands English and Chinese; the past is refused."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme")
    ok = await bot.send(ADMIN, "/followup #1 2026-01-07 15:00")
    assert "Next follow-up with #1 Zhang Wei (Acme): 2026-01-07 15:00" in texts(ok)
    zh = await bot.send(ADMIN, "/followup Zhang Wei 明天上午10点")
    assert "2026-01-06 10:00" in texts(zh)
    past = await bot.send(ADMIN, "/followup #1 2025-12-01 10:00")
    assert "is in the past" in texts(past)
    bad = await bot.send(ADMIN, "/followup #1 someday maybe")
    assert "couldn't read" in texts(bad)


async def test_followup_button_quick_choice_and_today(bot: Harness, clock: FakeClock) -> None:
    """Follow-up button → Tomorrow; /today lists it when due, overdue flagged."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme")
    await bot.press(ADMIN, "Follow-up")
    done = await bot.press(ADMIN, "Tomorrow")
    assert "Next follow-up with #1" in texts(done)
    assert "No follow-ups due today" in texts(await bot.send(ADMIN, "/today"))
    clock.advance(timedelta(days=2))
    today = texts(await bot.send(ADMIN, "/today"))
    assert "#1 Zhang Wei (Acme) ⚠️ overdue" in today


async def test_edit_field_with_validation(bot: Harness) -> None:
    """Edit → Phone: an invalid one is refused, a valid one saved and shown."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme")
    await bot.press(ADMIN, "Edit")
    await bot.press(ADMIN, "Phone")
    assert "not a valid phone" in texts(await bot.send(ADMIN, "12"))
    saved = await bot.send(ADMIN, "+49 30 901820")
    assert "+49 30 901820" in texts(saved)
    await bot.press(ADMIN, "Edit", _message_with(bot, "Edit"))
    await bot.press(ADMIN, "Type")
    typed = await bot.press(ADMIN, "Company (B2B)")
    assert "Company (B2B)" in texts(typed)


async def test_mine_groups_by_status(bot: Harness) -> None:
    """/mine: counts per status and the customers."""
    assert "no customers yet" in texts(await bot.send(ADMIN, "/mine"))
    await _capture(bot, ADMIN, "A One, Acme")
    await _capture(bot, ADMIN, "B Two, Globex")
    await bot.send(ADMIN, "/status #2")
    await bot.press(ADMIN, "Won")
    text = texts(await bot.send(ADMIN, "/mine"))
    assert "My customers</b> (2)" in text
    assert "<b>Potential</b> (1)\n#1 A One (Acme)" in text
    assert "<b>Won</b> (1)\n#2 B Two (Globex)" in text


@pytest.mark.parametrize("language", ["zh"])
async def test_card_in_chinese(bot: Harness, language: str) -> None:
    """A Chinese member sees the card's labels in Chinese."""
    zh = User(ADMIN_ID, first_name="Ada", language_code=language)
    await bot.send(zh, "/start")
    card = texts(await bot.send(zh, "/new 张伟, 阿克米公司, 13800138000"))
    assert "状态：潜在客户" in card
    assert set(bot.buttons(bot.last_message_to(ADMIN_ID))) == {
        "记录", "状态", "跟进", "编辑", "历史"
    }


async def test_exact_name_wins_and_ambiguity_asks(bot: Harness) -> None:
    """张伟 beats 张伟明 for /log; two equally good hits ask which one, then log to it."""
    await _capture(bot, ADMIN, "张伟, 阿克米")
    await _capture(bot, ADMIN, "张伟明, 环球")
    assert "Logged for #1 张伟" in texts(await bot.send(ADMIN, "/log 张伟 打过电话"))
    await _capture(bot, ADMIN, "Wang Fang, Initech")
    await _capture(bot, ADMIN, "Wang Fang, Globex")
    asked = await bot.send(ADMIN, "/log Wang Fang: sent the brochure")
    assert "Which customer do you mean?" in texts(asked)
    logged = await bot.press(ADMIN, "#4 Wang Fang · Globex")
    assert "Logged for #4 Wang Fang (Globex)" in texts(logged)
    assert "sent the brochure" in texts(await bot.send(ADMIN, "/find #4"))
    assert "sent the brochure" not in texts(await bot.send(ADMIN, "/find #3"))
    await bot.send(ADMIN, "/status Wang Fang")
    keyboard = await bot.press(ADMIN, "#3 Wang Fang · Initech")
    assert "Status of #3 Wang Fang (Initech)" in texts(keyboard)


async def test_followup_ambiguous_then_picked(bot: Harness) -> None:
    """/followup with an ambiguous name remembers the time for the chosen customer."""
    await _capture(bot, ADMIN, "Wang Fang, Initech")
    await _capture(bot, ADMIN, "Wang Fang, Globex")
    await bot.send(ADMIN, "/followup Wang Fang fri 15:00")
    done = await bot.press(ADMIN, "#1 Wang Fang · Initech")
    assert "Next follow-up with #1 Wang Fang (Initech): 2026-01-09 15:00" in texts(done)


async def test_dissatisfied_feedback_raises_churn_warning(bot: Harness) -> None:
    """Dissatisfied feedback moves the customer to churn warning, recorded as the system."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme")
    await bot.press(ADMIN, "Log")
    await bot.press(ADMIN, "Feedback")
    await bot.send(ADMIN, "Delivery was late again")
    await bot.press(ADMIN, "Dissatisfied")
    await bot.press(ADMIN, "Skip")
    await bot.press(ADMIN, "Skip")
    card = texts(await bot.send(ADMIN, "/find #1"))
    assert "Status: Churn warning" in card
    history = texts(await bot.press(ADMIN, "History"))
    assert "(system) ⇄ Potential → Churn warning" in history


async def test_type_defaults_from_company(bot: Harness) -> None:
    """Not asked for: with a company the customer is B2B, without one B2C."""
    assert "Company (B2B)" in texts(await bot.send(ADMIN, "/new Zhang Wei, Acme"))
    assert "Person (B2C)" in texts(await bot.send(ADMIN, "/new Li Lei, +86 139 0013 9000"))


async def test_customer_commands_stay_out_of_groups(bot: Harness) -> None:
    """In a group, /find and friends answer nothing: customer data stays in private chats."""
    await _capture(bot, ADMIN, "Zhang Wei, Acme, +86 138 0013 8000")
    for command in ("/find Zhang", "/mine", "/today", "/status #1", "/log #1 hi",
                    "/followup #1 tomorrow"):
        sent = await bot.send(ADMIN, command, chat_id=-100555, chat_type="group")
        assert "Zhang" not in texts(sent), command
