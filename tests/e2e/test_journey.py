"""A rep's day through the real process and HTTP stack: capture, find, log, status, follow-up."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.harness import (
    ADMIN_ID,
    BotLauncher,
    BotProcess,
    Chat,
    Mode,
    button_data,
    text_of,
)
from tests.fakebotapi import FakeBotAPI

REP_ID = 3003
ZH_ADMIN_ID = 1002
INVITE_CODE_RE = re.compile(r"\?start=([A-Za-z0-9_-]+)")
CARD_BUTTONS = ["lg:1", "st:1", "fu:1", "ed:1", "h:1:0"]


class ExtraEnvLauncher(BotLauncher):
    """A BotLauncher whose bots get extra TELECRM_* settings (e.g. more admin ids)."""

    def __init__(self, api: FakeBotAPI, workdir: Path, extra: dict[str, str]) -> None:
        super().__init__(api, workdir)
        self.extra = extra

    def env(self, mode: Mode = "polling", log_level: str = "INFO", **extra: str) -> dict[str, str]:
        """The usual environment, with this launcher's extra settings on top."""
        settings = super().env(mode, log_level, **extra)
        settings.update(self.extra)
        return settings


@pytest.fixture
async def zh_launcher(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotLauncher]:
    """A launcher whose bots also take ZH_ADMIN_ID as an admin."""
    bots = ExtraEnvLauncher(api, tmp_path, {"TELECRM_ADMIN_IDS": f"{ADMIN_ID},{ZH_ADMIN_ID}"})
    try:
        yield bots
    finally:
        await bots.close()


async def stop_cleanly(bot: BotProcess) -> None:
    """Stop the bot; it must exit 0 without having logged a single traceback."""
    assert await bot.stop() == 0
    assert "Traceback" not in bot.stderr(), bot.stderr()


def tomorrow_at(hour: int) -> str:
    """'YYYY-MM-DD HH:00' of tomorrow in the bot's default time zone (UTC)."""
    return f"{(datetime.now(UTC) + timedelta(days=1)).date().isoformat()} {hour:02d}:00"


def has_any(text: str, fragments: set[str]) -> bool:
    """Whether ``text`` contains one of ``fragments``."""
    return any(fragment in text for fragment in fragments)


async def test_main_journey(api: FakeBotAPI, launcher: BotLauncher) -> None:
    """Capture, find by phone digits, log a call, win the deal, plan a follow-up, see the card."""
    bot = await launcher.start()
    admin = Chat(api, bot, ADMIN_ID, first_name="Ada")

    card = await admin.send(
        "/new Zhang Wei, Acme, +86 138 0013 8000, zw@acme.cn", expect="#1 Zhang Wei"
    )
    assert "#1 Zhang Wei — Acme" in text_of(card)
    assert "+86 138 0013 8000" in text_of(card)
    assert "zw@acme.cn" in text_of(card)
    assert "Status: Potential" in text_of(card)
    assert button_data(card) == CARD_BUTTONS

    found = await admin.send("/find 8000")
    assert "#1 Zhang Wei — Acme" in text_of(found)
    assert button_data(found) == CARD_BUTTONS

    await admin.press(found, "lg:1", "Log for #1 Zhang Wei (Acme): what kind?")
    await admin.press(found, "lk:call", "Call: what happened?")
    amount = await admin.send("discussed the quote", expect="Any amount")
    assert button_data(amount) == ["skip"]
    await admin.press(amount, "skip", "When should we follow up with #1 Zhang Wei (Acme)?")
    logged = await admin.press(amount, "skip", "Logged for #1 Zhang Wei (Acme).")
    assert "Next follow-up" not in text_of(logged)
    assert button_data(logged) == CARD_BUTTONS

    await admin.press(card, "st:1", "Status of #1 Zhang Wei (Acme):")
    assert "st:1:won" in button_data(card)
    await admin.press(card, "st:1:won", "is now: Won")
    assert "#1 Zhang Wei (Acme) is now: <b>Won</b>" in card["text"]
    assert button_data(card) == CARD_BUTTONS

    expected = {tomorrow_at(10)}
    planned = await admin.send("/followup #1 tomorrow 10:00")
    expected.add(tomorrow_at(10))  # either date, should the test straddle midnight
    assert "Next follow-up with #1 Zhang Wei (Acme): " in text_of(planned)
    assert has_any(text_of(planned), expected), (text_of(planned), expected)

    final = text_of(await admin.send("/find #1"))
    assert "Status: Won" in final
    assert "Call — discussed the quote" in final
    assert has_any(final, {f"Next follow-up: {when}" for when in expected}), final
    assert "Last contact:" in final
    assert "Last contact: never" not in final
    await stop_cleanly(bot)


async def test_bad_inputs_are_named_and_asked_again(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """Invalid phones, emails, times, amounts and bare commands are explained; nothing breaks."""
    bot = await launcher.start()
    admin = Chat(api, bot, ADMIN_ID, first_name="Ada")

    bad_phone = await admin.send("/new Wang Fang, 12345")
    assert "“12345” is not a valid phone number." in text_of(bad_phone)
    none = await admin.send("/find Wang Fang")
    assert "No customer matches “Wang Fang”" in text_of(none)
    bad_email = await admin.send("/new Li Lei, li@@x")
    assert "“li@@x” is not a valid email address." in text_of(bad_email)
    assert "No customer matches" in text_of(await admin.send("/find Li Lei"))

    # Guided capture: the bad phone is refused, the step asked again, a good one goes on.
    assert "What is their name?" in text_of(await admin.send("/new"))
    company = await admin.send("Chen Jing", expect="Company?")
    await admin.press(company, "cap:skip", "Phone number?")
    retry = await admin.send("12")
    assert "“12” is not a valid phone number." in text_of(retry)
    email = await admin.send("138 0013 8001")
    assert "Email? (or Skip)" in text_of(email)
    await admin.press(email, "cap:skip", "A company (B2B) or a person (B2C)?")
    await admin.press(email, "cap:skip", "How did we meet them")
    confirm = await admin.press(email, "cap:skip", "please check")
    assert "Phone: +86 138 0013 8001" in text_of(confirm)
    start = admin.mark()
    await admin.press(confirm, "cap:save", "Saved.")
    card = await admin.next_message(start, expect="#1 Chen Jing")  # the failed ones took no id
    assert "+86 138 0013 8001" in text_of(card)

    past = await admin.send("/followup #1 yesterday")
    assert "is in the past. Please give a future time." in text_of(past)
    long_ago = await admin.send("/followup #1 2020-01-01 10:00")
    assert "2020-01-01 10:00 is in the past." in text_of(long_ago)
    unreadable = await admin.send("/followup #1 someday maybe")
    assert "I couldn't read “someday maybe” as a time." in text_of(unreadable)
    assert "Send /log, the customer" in text_of(await admin.send("/log"))
    assert "Send /find and part of a name" in text_of(await admin.send("/find"))
    assert "No customer matches “#999”" in text_of(await admin.send("/status #999"))

    # The Log walk: an unreadable amount is explained, the walk goes on.
    await admin.press(card, "lg:1", "what kind?")
    await admin.press(card, "lk:meeting", "Meeting: what happened?")
    await admin.send("met at the fair", expect="Any amount")
    lots = await admin.send("lots")
    assert "I couldn't read “lots” as an amount." in text_of(lots)
    assert button_data(lots) == ["skip"]
    when = await admin.send("12000", expect="When should we follow up")
    await admin.press(when, "skip", "Logged for #1 Chen Jing.")

    # Edit → Phone: "12" is refused and the value asked again; a valid one is saved.
    edit_card = await admin.send("/find #1", expect="#1 Chen Jing")
    await admin.press(edit_card, "ed:1", "which field?")
    await admin.press(edit_card, "ef:phones", "Phone: Send the phone numbers")
    refused = await admin.send("12")
    assert "“12” is not a valid phone number." in text_of(refused)
    start = admin.mark()
    saved = await admin.send("+49 30 901820", expect="Phone of #1 Chen Jing saved.")
    shown = await admin.next_message(start, expect="Status:")
    assert saved is not shown
    assert "+49 30 901820" in text_of(shown)
    assert "+86 138 0013 8001" not in text_of(shown)
    assert "Meeting · CN¥12,000.00 — met at the fair" in text_of(shown)
    assert "Next follow-up" not in text_of(shown)
    await stop_cleanly(bot)


async def test_rep_cannot_see_the_admins_customer(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """A rep who joined by invite finds none of the admin's customers, not even by #id."""
    bot = await launcher.start()
    admin = Chat(api, bot, ADMIN_ID, first_name="Ada")
    rep = Chat(api, bot, REP_ID, first_name="Rita")

    invite = await admin.send("/invite rep", expect="start=")
    code = INVITE_CODE_RE.search(text_of(invite))
    assert code is not None, text_of(invite)
    welcome = await rep.send(f"/start {code.group(1)}")
    assert "You joined as sales rep" in text_of(welcome)
    await admin.send("/new Zhang Wei, Acme, +86 138 0013 8000", expect="#1 Zhang Wei")

    assert "No customer matches “Zhang”" in text_of(await rep.send("/find Zhang"))
    assert "No customer matches “#1”" in text_of(await rep.send("/find #1"))
    assert "No customer matches “8000”" in text_of(await rep.send("/find 8000"))
    assert "No customer matches “#1”" in text_of(await rep.send("/status #1"))
    leaked = [text_of(m) for m in api.sent_messages(REP_ID) if "Acme" in text_of(m)]
    assert leaked == []
    assert "#1 Zhang Wei" in text_of(await admin.send("/find Zhang"))
    await stop_cleanly(bot)


async def test_chinese_capture_and_find(api: FakeBotAPI, zh_launcher: BotLauncher) -> None:
    """An admin writing in Chinese captures 张伟明 and finds it by 张伟; the card is in Chinese."""
    bot = await zh_launcher.start()
    zh = Chat(api, bot, ZH_ADMIN_ID, language_code="zh", first_name="明")

    card = await zh.send("/new 张伟明, 阿克米, 13800138000", expect="#1 张伟明")
    assert "#1 张伟明 — 阿克米" in text_of(card)
    assert "+86 138 0013 8000" in text_of(card)
    assert "状态：潜在客户" in text_of(card)

    found = await zh.send("/find 张伟")
    assert "#1 张伟明 — 阿克米" in text_of(found)
    assert "状态：潜在客户" in text_of(found)
    labels = [b["text"] for row in found["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["记录", "状态", "跟进", "编辑", "历史"]
    assert button_data(found) == CARD_BUTTONS
    await stop_cleanly(bot)
