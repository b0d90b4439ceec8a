"""A conversation survives SIGKILL: the state is in the database before the process dies."""

from __future__ import annotations

import json

from bot.handlers.settings import NAME as SETTINGS
from bot.handlers.settings import TIMEZONE
from tests.e2e.harness import (
    ADMIN_ID,
    TIMEOUT,
    BotLauncher,
    button_data,
    containing,
    conversation_states,
    text_of,
    wait_for_rows,
)
from tests.fakebotapi import ApiCall, FakeBotAPI, Fault


async def test_settings_conversation_survives_sigkill(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """Kill -9 while the bot waits for a time zone; a new process takes "Berlin" as the answer."""
    first = await launcher.start()

    api.message_update(user_id=ADMIN_ID, text="/settings")
    menu = await first.guard(api.wait_for_message(ADMIN_ID, timeout=TIMEOUT))
    assert "Time zone: UTC" in text_of(menu)
    assert "set:tz" in button_data(menu)

    press_id = api.callback_update(user_id=ADMIN_ID, message=menu, data="set:tz")
    await first.guard(api.wait_until(lambda: menu["edits"] == 1, timeout=TIMEOUT, what="edit"))
    assert "Send a new one" in text_of(menu)
    assert len(api.calls_to("answerCallbackQuery")) == 1

    def waiting_for_timezone() -> list[tuple[str, str]]:
        rows = conversation_states(launcher.database, SETTINGS)
        return [row for row in rows if json.loads(row[1]) == TIMEZONE]

    # The user already sees the prompt; the state is written right after the handler returns.
    rows = await wait_for_rows(waiting_for_timezone, what="the time zone state in the database")
    assert [json.loads(key) for key, _ in rows] == [[ADMIN_ID, ADMIN_ID]]

    def confirms_press(call: ApiCall) -> bool:
        return int(call.params.get("offset") or 0) > press_id

    # Telegram forgets the press once a later getUpdates confirms it (PTB does at once).
    await first.guard(api.wait_for_call("getUpdates", confirms_press, timeout=TIMEOUT))
    await first.kill()
    assert first.returncode == -9

    second = await launcher.start()
    api.message_update(user_id=ADMIN_ID, text="Berlin")
    updated = await second.guard(
        api.wait_for_message(ADMIN_ID, containing("Europe/Berlin"), start=1, timeout=TIMEOUT)
    )
    assert "Your settings" in text_of(updated)

    # Barrier: /cancel is answered after "Berlin", so nothing else is in flight.
    api.message_update(user_id=ADMIN_ID, text="/cancel")
    await second.guard(api.wait_for_message(ADMIN_ID, start=2, timeout=TIMEOUT))
    texts = [text_of(m) for m in api.sent_messages(ADMIN_ID)]
    assert len(texts) == 3, texts  # menu, menu after Berlin, the answer to /cancel
    assert menu["edits"] == 1  # the press was not handled a second time
    assert len(api.calls_to("answerCallbackQuery")) == 1
    assert conversation_states(launcher.database, SETTINGS) != rows
    assert await second.stop() == 0


async def test_update_in_flight_at_sigkill_is_not_lost(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """Kill -9 while /start is being answered: after a restart the admin still gets a greeting."""
    api.inject("sendMessage", Fault.delay(60), chat_id=ADMIN_ID)  # released when the test ends
    first = await launcher.start()

    start_id = api.message_update(user_id=ADMIN_ID, text="/start")
    await first.guard(api.wait_for_call("sendMessage", timeout=TIMEOUT))
    # The reply is held by the server: the update is mid-way when the process dies.
    await first.kill()
    assert not any(
        int(c.params.get("offset") or 0) > start_id for c in api.calls_to("getUpdates")
    ), "the update was confirmed to Telegram before it was handled"

    second = await launcher.start()
    api.message_update(user_id=ADMIN_ID, text="/help")
    await second.guard(api.wait_for_message(ADMIN_ID, containing("/invite"), timeout=TIMEOUT))
    assert await second.stop() == 0
    texts = [text_of(m) for m in api.sent_messages(ADMIN_ID)]
    assert any("signed in as admin" in text for text in texts), texts
