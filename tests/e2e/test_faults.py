"""Telegram misbehaving: rate limits, 5xx answers and dropped connections."""

from __future__ import annotations

from tests.e2e.harness import ADMIN_ID, TIMEOUT, BotLauncher, containing, text_of
from tests.fakebotapi import FakeBotAPI, Fault

GREETING = "signed in as admin"


def greetings(api: FakeBotAPI) -> list[str]:
    """The greetings the admin has received so far."""
    return [text_of(m) for m in api.sent_messages(ADMIN_ID) if GREETING in text_of(m)]


async def test_rate_limited_reply_is_retried_once(api: FakeBotAPI, launcher: BotLauncher) -> None:
    """A 429 on the reply: the bot waits retry_after and delivers exactly one greeting."""
    api.inject("sendMessage", Fault.retry_after(1), chat_id=ADMIN_ID)
    bot = await launcher.start()

    api.message_update(user_id=ADMIN_ID, text="/start")
    await bot.guard(api.wait_for_message(ADMIN_ID, containing(GREETING), timeout=TIMEOUT))

    sends = [call for call in api.calls_to("sendMessage") if call.chat_id == ADMIN_ID]
    assert [call.response_status for call in sends] == [429, 200]
    assert sends[1].at - sends[0].at >= 1.0  # retry_after was honoured

    # Barrier: the next command's answer comes after any stray retry of the first.
    api.message_update(user_id=ADMIN_ID, text="/help")
    await bot.guard(api.wait_for_message(ADMIN_ID, containing("/invite"), timeout=TIMEOUT))
    assert len(greetings(api)) == 1
    assert len(api.sent_messages(ADMIN_ID)) == 2
    assert await bot.stop() == 0
    assert "Traceback" not in bot.stderr()


async def test_reply_survives_rate_limit_then_server_error(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """429 then 500 on the reply: the admin still gets exactly one greeting, eventually."""
    api.inject("sendMessage", Fault.retry_after(1), Fault.server_error(500), chat_id=ADMIN_ID)
    bot = await launcher.start()

    api.message_update(user_id=ADMIN_ID, text="/start")
    # Updates are handled one at a time: once /help is answered, /start is finished with.
    api.message_update(user_id=ADMIN_ID, text="/help")
    await bot.guard(api.wait_for_message(ADMIN_ID, containing("/invite"), timeout=TIMEOUT))
    statuses = [c.response_status for c in api.calls_to("sendMessage") if c.chat_id == ADMIN_ID]
    assert statuses[:2] == [429, 500]
    assert await bot.stop() == 0
    assert "Traceback" not in bot.stderr()
    assert len(greetings(api)) == 1, api.describe_calls()


async def test_polling_recovers_from_server_errors_and_drops(
    api: FakeBotAPI, launcher: BotLauncher
) -> None:
    """Two 500s and then a dropped connection on getUpdates: polling resumes each time."""
    api.inject("getUpdates", Fault.server_error(500), Fault.server_error(502))
    bot = await launcher.start()

    api.message_update(user_id=ADMIN_ID, text="/start")
    await bot.guard(api.wait_for_message(ADMIN_ID, containing(GREETING), timeout=TIMEOUT))
    polls = api.calls_to("getUpdates")
    assert [call.response_status for call in polls[:3]] == [500, 502, 200]

    # The poll in flight is not affected; the one after it is dropped without an answer.
    api.inject("getUpdates", Fault.drop())
    calls_before = len(api.calls)
    api.message_update(user_id=ADMIN_ID, text="/help")
    await bot.guard(api.wait_for_message(ADMIN_ID, containing("/invite"), timeout=TIMEOUT))
    await bot.guard(
        api.wait_for_call(
            "getUpdates",
            lambda call: call.description == "connection dropped by fault injection",
            start=calls_before,
            timeout=TIMEOUT,
        )
    )
    # Pushed after the drop, so only a poll made after it can fetch this one.
    api.message_update(user_id=ADMIN_ID, text="/start")
    await bot.guard(api.wait_for_message(ADMIN_ID, containing(GREETING), start=2, timeout=TIMEOUT))
    assert len(greetings(api)) == 2
    assert await bot.stop() == 0
    stderr = bot.stderr()
    assert "Traceback" not in stderr
    assert "polling failed (NetworkError)" in stderr
