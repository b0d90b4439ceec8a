"""Secrets never reach the output, even at DEBUG level where every request is logged."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.e2e.harness import ADMIN_ID, TIMEOUT, BotLauncher, Mode, containing
from tests.fakebotapi import FakeBotAPI


def leaked_forms(secret: str) -> set[str]:
    """The ways a secret could show up in text: as is, URL-quoted, and the token's secret half."""
    forms = {secret, quote(secret, safe=""), quote(secret)}
    if ":" in secret:
        forms.add(secret.split(":", 1)[1])  # the part after the bot id is what matters
    return forms


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_no_secret_in_debug_output(
    api: FakeBotAPI, launcher: BotLauncher, mode: Mode
) -> None:
    """A DEBUG-level run with a /start round trip prints neither token nor webhook secret."""
    bot = await launcher.start(mode=mode, log_level="DEBUG")

    api.message_update(user_id=ADMIN_ID, text="/start")
    await bot.guard(api.wait_for_message(ADMIN_ID, containing("signed in as"), timeout=TIMEOUT))
    assert await bot.stop() == 0

    output = bot.stderr() + bot.stdout()
    assert " DEBUG " in output
    # The requests are logged (so the check below has something to bite on)...
    assert "/sendMessage" in output
    if mode == "webhook":
        assert "setWebhook" in output
    # ...but never what would let someone else drive the bot.
    for secret in (api.token, launcher.webhook_secret):
        for form in leaked_forms(secret):
            assert form not in output, f"a secret leaked in the {mode} output"


@pytest.mark.parametrize(
    "log_level",
    [
        "INFO",
        "DEBUG",
    ],
)
async def test_no_user_content_in_logs(
    api: FakeBotAPI, launcher: BotLauncher, log_level: str
) -> None:
    """What users type and who they are never reaches the output, whatever the log level."""
    name, typed = "Zhangwei-Privatename", "Acme Holdings 13800138000"
    bot = await launcher.start(log_level=log_level)

    api.message_update(user_id=ADMIN_ID, text="/start", first_name=name)
    await bot.guard(api.wait_for_message(ADMIN_ID, containing(name), timeout=TIMEOUT))
    api.message_update(user_id=ADMIN_ID, text=typed, first_name=name)
    await bot.guard(api.wait_for_message(ADMIN_ID, start=1, timeout=TIMEOUT))
    assert await bot.stop() == 0

    output = bot.stderr() + bot.stdout()
    assert f" {log_level} " in output
    assert name not in output
    assert typed not in output
    assert "13800138000" not in output
