"""Polling mode: greeting, command menus, refusals of outsiders, invites and joining."""

from __future__ import annotations

import re

from tests.e2e.harness import ADMIN_ID, TIMEOUT, BotLauncher, containing, text_of
from tests.fakebotapi import FakeBotAPI

INVITE_LINK_RE = re.compile(r"https://t\.me/telecrm_test_bot\?start=([A-Za-z0-9_-]+)")


async def test_admin_start_help_and_command_menus(api: FakeBotAPI, launcher: BotLauncher) -> None:
    """The configured admin is greeted as admin, menus exist in en and zh, /help has /invite."""
    bot = await launcher.start()

    api.message_update(user_id=ADMIN_ID, text="/start")
    greeting = await bot.guard(api.wait_for_message(ADMIN_ID, timeout=TIMEOUT))
    assert "signed in as admin" in text_of(greeting)

    menus = [call for call in api.calls_to("setMyCommands") if call.response_status == 200]
    assert {call.params.get("language_code") for call in menus} >= {None, "zh"}
    assert set(api.commands) >= {("default", ""), ("default", "zh")}
    english = [c["command"] for c in api.commands["default", ""]]
    chinese = [c["command"] for c in api.commands["default", "zh"]]
    assert {"start", "help", "settings"} <= set(english)
    assert english == chinese
    assert "invite" not in english  # the default menu is a rep's
    zh_descriptions = " ".join(c["description"] for c in api.commands["default", "zh"])
    assert re.search(r"[\u4e00-\u9fff]", zh_descriptions), zh_descriptions

    api.message_update(user_id=ADMIN_ID, text="/help")
    help_message = await bot.guard(api.wait_for_message(ADMIN_ID, start=1, timeout=TIMEOUT))
    assert "/invite" in text_of(help_message)
    assert "/team" in text_of(help_message)
    assert await bot.stop() == 0


async def test_outsiders_are_refused_and_see_nothing(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """Unknown users get one polite refusal (in their language); their button presses an alert."""
    bot = await launcher.start()

    api.message_update(user_id=2002, text="/start")
    refusal = await bot.guard(api.wait_for_message(2002, timeout=TIMEOUT))
    assert "private to a sales team" in text_of(refusal)

    api.message_update(user_id=2003, text="/start", language_code="zh")
    refusal_zh = await bot.guard(api.wait_for_message(2003, timeout=TIMEOUT))
    assert "仅供" in text_of(refusal_zh)

    calls_before_press = len(api.calls)
    api.callback_update(user_id=2002, message=refusal, data="set:tz")
    answer = await bot.guard(
        api.wait_for_call("answerCallbackQuery", start=calls_before_press, timeout=TIMEOUT)
    )
    assert answer.params.get("show_alert") is True
    assert "private to a sales team" in str(answer.params.get("text"))

    # Updates are handled one by one: once the admin's reply is out, the outsiders' are done.
    api.message_update(user_id=ADMIN_ID, text="/help")
    await bot.guard(api.wait_for_message(ADMIN_ID, timeout=TIMEOUT))
    assert [text_of(m) for m in api.sent_messages(2002)] == [text_of(refusal)]
    assert [text_of(m) for m in api.sent_messages(2003)] == [text_of(refusal_zh)]
    assert refusal["edits"] == 0
    outsider_calls = [call.method for call in api.calls if call.chat_id in (2002, 2003)]
    assert outsider_calls == ["sendMessage", "sendMessage"]
    assert await bot.stop() == 0


async def test_invite_join_and_reuse(api: FakeBotAPI, launcher: BotLauncher) -> None:
    """An admin's invite link lets one person join as rep; reused or unknown codes are refused."""
    bot = await launcher.start()

    api.message_update(user_id=ADMIN_ID, text="/invite rep")
    invite = await bot.guard(api.wait_for_message(ADMIN_ID, timeout=TIMEOUT))
    found = INVITE_LINK_RE.search(text_of(invite))
    assert found is not None, text_of(invite)
    code = found.group(1)

    api.message_update(user_id=3003, text=f"/start {code}", first_name="Rita")
    welcome = await bot.guard(api.wait_for_message(3003, timeout=TIMEOUT))
    assert "You joined as sales rep" in text_of(welcome)
    note = await bot.guard(
        api.wait_for_message(ADMIN_ID, containing("joined the team"), start=1, timeout=TIMEOUT)
    )
    assert "Rita" in text_of(note)

    api.message_update(user_id=3003, text="/help")
    rep_help = await bot.guard(api.wait_for_message(3003, start=1, timeout=TIMEOUT))
    assert "/settings" in text_of(rep_help)
    assert "/invite" not in text_of(rep_help)

    api.message_update(user_id=4004, text=f"/start {code}")
    reused = await bot.guard(api.wait_for_message(4004, timeout=TIMEOUT))
    assert "already been used" in text_of(reused)

    api.message_update(user_id=4005, text="/start NOTACODE123")
    unknown = await bot.guard(api.wait_for_message(4005, timeout=TIMEOUT))
    assert "not valid" in text_of(unknown)

    # The refused joiners stay outsiders.
    api.message_update(user_id=4004, text="/help")
    outsider = await bot.guard(api.wait_for_message(4004, start=1, timeout=TIMEOUT))
    assert "private to a sales team" in text_of(outsider)
    assert len(api.sent_messages(ADMIN_ID)) == 2  # the invite and the join note
    assert await bot.stop() == 0
