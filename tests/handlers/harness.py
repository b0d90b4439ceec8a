"""Drive the real Application with built updates; Telegram is an in-process stand-in.

`NoNetworkRequest` answers the Bot API methods the bot may call and fails the test on any
other call, on HTML Telegram would reject, and on callback data over 64 bytes.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram import Update

from bot.app import TelecrmApplication, build_application, running
from bot.clock import Clock
from bot.config import Settings
from bot.console import LocalBotAPI
from bot.domain.models import Member
from tests.fakebotapi import TelegramHTMLError, parse_telegram_html


class NoNetworkRequest(LocalBotAPI):
    """The Bot API answered in-process; anything unexpected fails the test."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Chats whose user blocked the bot: sending there answers 403, like Telegram.
        self.blocked: set[int] = set()
        # Groups upgraded to supergroups: old id -> new id (Telegram answers 400 with it).
        self.migrated: dict[int, int] = {}

    def unsupported(self, api_method: str) -> tuple[int, bytes]:
        """A method the handlers should not call here."""
        pytest.fail(f"unexpected Bot API call {api_method} (no network in handler tests)")

    async def do_request(self, url: str, method: str, request_data: Any = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None,
                         ) -> tuple[int, bytes]:
        """Check what Telegram would check, then answer."""
        params = dict(request_data.parameters) if request_data else {}
        text = params.get("text") or params.get("caption")
        if isinstance(text, str) and params.get("parse_mode") == "HTML":
            try:
                parse_telegram_html(text)
            except TelegramHTMLError as exc:
                pytest.fail(f"Telegram would reject this HTML ({exc}): {text!r}")
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and len(data.encode()) > 64:
                        pytest.fail(f"callback data over 64 bytes: {data!r}")
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.migrated:
            body = {"ok": False, "error_code": 400,
                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                    "parameters": {"migrate_to_chat_id": self.migrated[int(chat_id)]}}
            return 400, json.dumps(body).encode()
        if chat_id is not None and int(chat_id) in self.blocked:
            body = {"ok": False, "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user"}
            return 403, json.dumps(body).encode()
        return await super().do_request(url, method, request_data)


@dataclass
class User:
    """A Telegram user in a test."""

    id: int
    first_name: str = "Test"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def as_dict(self) -> dict[str, Any]:
        """The Bot API User object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class Harness:
    """The running application plus helpers to send updates and read answers."""

    app: TelecrmApplication
    api: NoNetworkRequest
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _since(self, mark: int) -> list[dict[str, Any]]:
        return [
            params for method, params in self.api.calls[mark:]
            if method in ("sendMessage", "editMessageText", "sendDocument", "sendPhoto")
        ]

    async def _process(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        data["update_id"] = next(self._ids)
        mark = len(self.api.calls)
        await self.app.process_update(Update.de_json(data, self.app.bot))
        return self._since(mark)

    async def send(
        self, user: User, text: str, *, chat_id: int | None = None, chat_type: str = "private"
    ) -> list[dict[str, Any]]:
        """A text message from `user`; returns what the bot sent or edited meanwhile."""
        chat: dict[str, Any] = {"id": chat_id or user.id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Sales team"
        message: dict[str, Any] = {
            "message_id": self.api.next_message_id(),
            "date": int(self.api.clock.now().timestamp()),
            "chat": chat,
            "from": user.as_dict(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._process({"message": message})

    def last_message_to(self, chat_id: int) -> dict[str, Any]:
        """The newest message the bot sent to a chat, as stored (edits applied)."""
        found = [m for (chat, _), m in self.api.messages.items() if chat == chat_id]
        assert found, f"nothing was sent to {chat_id}"
        return found[-1]

    def buttons(self, message: dict[str, Any]) -> dict[str, str]:
        """A message's inline buttons, label -> callback data."""
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return {b["text"]: b.get("callback_data", "") for row in rows for b in row}

    async def press(
        self, user: User, label: str, message: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Press the button labelled `label` on a message (default: the user's newest)."""
        message = message or self.last_message_to(user.id)
        buttons = self.buttons(message)
        assert label in buttons, f"no button {label!r} in {list(buttons)}"
        return await self.press_data(user, buttons[label], message)

    async def press_data(
        self, user: User, data: str, message: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """A callback query with arbitrary data on a message."""
        query = {
            "id": str(next(self._ids)),
            "from": user.as_dict(),
            "chat_instance": "test",
            "message": message,
            "data": data,
        }
        return await self._process({"callback_query": query})

    async def inline(self, user: User, query: str) -> list[dict[str, Any]]:
        """An inline query; returns the answerInlineQuery calls made."""
        mark = len(self.api.calls)
        data: dict[str, Any] = {
            "update_id": next(self._ids),
            "inline_query": {
                "id": str(next(self._ids)), "from": user.as_dict(), "query": query, "offset": ""
            },
        }
        await self.app.process_update(Update.de_json(data, self.app.bot))
        return [p for m, p in self.api.calls[mark:] if m == "answerInlineQuery"]

    async def join(self, admin: User, user: User, role: str = "rep") -> Member:
        """`admin` invites with `role`, `user` follows the link; the new member."""
        sent = await self.send(admin, f"/invite {role}")
        match = re.search(r"start=([A-Za-z0-9_-]+)", texts(sent))
        assert match, texts(sent)
        await self.send(user, f"/start {match.group(1)}")
        member = await self.app.bot_data.crm.team.get(user_id=user.id)
        assert member is not None
        return member

    def answers(self) -> list[dict[str, Any]]:
        """Every answerCallbackQuery so far."""
        return [p for m, p in self.api.calls if m == "answerCallbackQuery"]


def texts(sent: list[dict[str, Any]]) -> str:
    """All texts in a list of sent/edited messages, joined for `in` checks."""
    return "\n".join(str(p.get("text") or p.get("caption") or "") for p in sent)


@asynccontextmanager
async def start_bot(settings: Settings, clock: Clock) -> AsyncIterator[Harness]:
    """Build and start the application on `settings` with no network at all."""
    api = NoNetworkRequest(clock=clock)
    app = build_application(settings, clock=clock, request=api, token="123456:handler-tests")
    async with running(app):
        yield Harness(app, api)
