"""Our own errors: logged without customer data, the user told, the admins told once."""

from __future__ import annotations

import logging

import pytest
from telegram import Update
from telegram.ext import CommandHandler

from bot.context import CRMContext
from tests.conftest import ADMIN_ID
from tests.handlers.harness import Harness, User, texts

ADMIN = User(ADMIN_ID, first_name="Ada")


async def _boom(update: Update, context: CRMContext) -> None:
    raise ValueError("customer Zhang Wei +8613800138000")


async def test_error_reported_without_customer_data(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The user gets an apology, the admin a report, the log no customer data."""
    bot.app.add_handler(CommandHandler("boom", _boom), group=-2)
    with caplog.at_level(logging.ERROR):
        sent = await bot.send(ADMIN, "/boom Zhang Wei")
    assert "something went wrong on our side" in texts(sent)
    reports = [m for m in sent if "telecrm error" in str(m.get("text"))]
    assert len(reports) == 1
    assert "ValueError" in reports[0]["text"]
    assert "Zhang" not in reports[0]["text"]
    assert "ValueError" in caplog.text
    assert "Zhang" not in caplog.text
    assert "13800138000" not in caplog.text
    again = await bot.send(ADMIN, "/boom again")
    assert not [m for m in again if "telecrm error" in str(m.get("text"))]
