"""Webhook mode: registration with a secret, delivery, and refusal of forged deliveries."""

from __future__ import annotations

import time

import httpx

from tests.e2e.harness import ADMIN_ID, TIMEOUT, BotLauncher, text_of
from tests.fakebotapi import SECRET_HEADER, FakeBotAPI


def forged_start(update_id: int) -> dict[str, object]:
    """A /start from the admin, as a forger would POST it straight to the webhook."""
    user = {"id": ADMIN_ID, "is_bot": False, "first_name": "Mallory", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 77,
            "date": int(time.time()),
            "from": user,
            "chat": {"id": ADMIN_ID, "type": "private", "first_name": "Mallory"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_webhook_delivery_and_secret(api: FakeBotAPI, launcher: BotLauncher) -> None:
    """The bot registers its webhook with the secret, answers deliveries, rejects forgeries."""
    bot = await launcher.start(mode="webhook")

    registered = await bot.guard(api.wait_for_call("setWebhook", timeout=TIMEOUT))
    assert registered.params.get("url") == launcher.webhook_url
    assert registered.params.get("secret_token") == launcher.webhook_secret
    assert api.webhook_url == launcher.webhook_url

    update_id = api.message_update(user_id=ADMIN_ID, text="/start")
    greeting = await bot.guard(api.wait_for_message(ADMIN_ID, timeout=TIMEOUT))
    assert "signed in as admin" in text_of(greeting)
    assert (update_id, 200) in api.webhook_deliveries
    assert not api.calls_to("getUpdates")

    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        wrong = await client.post(
            launcher.webhook_url,
            json=forged_start(900_001),
            headers={SECRET_HEADER: launcher.webhook_secret[::-1]},
        )
        missing = await client.post(launcher.webhook_url, json=forged_start(900_002))
    assert wrong.status_code == 403
    assert missing.status_code == 403

    # A genuine update afterwards: once it is answered, a forged one would have been too.
    api.message_update(user_id=ADMIN_ID, text="/help")
    await bot.guard(api.wait_for_message(ADMIN_ID, start=1, timeout=TIMEOUT))
    texts = [text_of(m) for m in api.sent_messages(ADMIN_ID)]
    assert len(texts) == 2, texts
    assert "/invite" in texts[1]
    assert "Mallory" not in " ".join(texts)
    assert await bot.stop() == 0
