"""`telecrm console`: the real application and handlers, driven from a terminal.

Telegram is replaced by `LocalBotAPI`, an in-process stand-in for the Bot API that keeps the
messages the bot sends and prints them. Each input line becomes an update from the console
user (an admin). `!N` presses button N of the last message with buttons, `@file PATH` sends a
document, `@contact NAME PHONE` shares a contact. End of input exits.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import shlex
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.app import PLACEHOLDER_TOKEN, build_application, running
from bot.clock import Clock, SystemClock
from bot.config import Settings

BOT_ID = 1_000_001
BOT_USERNAME = "telecrm_console_bot"
CONSOLE_USER_ID = 1
_TAG = re.compile(r"<[^>]+>")


def html_to_text(text: str) -> str:
    """What a Telegram client would show for an HTML message, as plain text."""
    return html.unescape(_TAG.sub("", text))


class LocalBotAPI(BaseRequest):
    """An in-process Bot API: answers the calls the bot makes, keeps what it sends."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        on_message: Callable[[dict[str, Any], bool], None] | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.on_message = on_message
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, Path] = {}
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)

    @property
    def read_timeout(self) -> float | None:
        """No network, no timeout."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def bot_user(self) -> dict[str, Any]:
        """The bot's own User object."""
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "telecrm",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    def next_message_id(self) -> int:
        """Message ids are shared with incoming messages so they never collide."""
        return next(self._message_ids)

    def register_file(self, path: Path) -> str:
        """Make a local file available to the bot as a Telegram file id."""
        file_id = f"local-{next(self._file_ids)}"
        self.files[file_id] = path
        return file_id

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer one Bot API call as Telegram would."""
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files = request_data.multipart_data if request_data and request_data.contains_files else {}
        self.calls.append((api_method, params))
        handler = getattr(self, f"_api_{api_method}", None)
        if handler is None:
            return self.unsupported(api_method)
        result = handler(params, files)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def unsupported(self, api_method: str) -> tuple[int, bytes]:
        """A method this stand-in does not know."""
        body = {"ok": False, "error_code": 400, "description": f"{api_method} is not emulated"}
        return 400, json.dumps(body).encode()

    def _store(self, chat_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": self.next_message_id(),
            "date": int(self.clock.now().timestamp()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": self.bot_user(),
            **fields,
        }
        self.messages[(chat_id, message["message_id"])] = message
        if self.on_message:
            self.on_message(message, False)
        return message

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any]:
        markup = params.get("reply_markup")
        return {"reply_markup": markup} if isinstance(markup, dict) else {}

    def _api_getMe(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        return self.bot_user()

    def _api_setMyCommands(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        scope = params.get("scope", {}).get("type", "default")
        self.commands[(scope, params.get("language_code", ""))] = params["commands"]
        return True

    def _api_deleteWebhook(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        return True

    def _api_sendChatAction(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        if params.get("text") and self.on_message:
            self.on_message({"notice": params["text"]}, False)
        return True

    def _api_answerInlineQuery(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        return True

    def _api_sendMessage(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        fields = {"text": params["text"], **self._markup(params)}
        return self._store(int(params["chat_id"]), fields)

    def _edit(self, params: dict[str, Any], **fields: Any) -> Any:
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages[key]
        message.update(fields)
        if "reply_markup" not in params:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = params["reply_markup"]
        message["edit_date"] = int(self.clock.now().timestamp())
        if self.on_message:
            self.on_message(message, True)
        return message

    def _api_editMessageText(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        return self._edit(params, text=params["text"])

    def _api_editMessageReplyMarkup(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        return self._edit(params)

    def _api_editMessageCaption(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        return self._edit(params, caption=params.get("caption", ""))

    def _api_deleteMessage(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        self.messages.pop((int(params["chat_id"]), int(params["message_id"])), None)
        return True

    def _upload(self, kind: str, params: dict[str, Any], files: Any) -> Any:
        name, content = "file", b""
        for value in files.values():
            name, content = value[0] or name, value[1]
        file_id = f"upload-{next(self._file_ids)}"
        self.uploads[file_id] = (name, content)
        attachment: Any = {"file_id": file_id, "file_unique_id": file_id, "file_name": name}
        if kind == "photo":
            attachment = [{**attachment, "width": 1, "height": 1}]
        fields: dict[str, Any] = {kind: attachment, **self._markup(params)}
        if params.get("caption"):
            fields["caption"] = params["caption"]
        return self._store(int(params["chat_id"]), fields)

    def _api_sendDocument(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        return self._upload("document", params, files)

    def _api_sendPhoto(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        return self._upload("photo", params, files)

    def _api_getFile(self, params: dict[str, Any], files: Any) -> Any:  # noqa: N802
        file_id = params["file_id"]
        path = self.files[file_id].resolve()
        # An absolute local path: PTB reads it directly instead of downloading.
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": path.stat().st_size,
            "file_path": str(path),
        }


class Console:
    """Reads lines, turns them into updates, prints what the bot answers."""

    def __init__(self, settings: Settings, out: TextIO, *, clock: Clock | None = None) -> None:
        self.user_id = settings.admin_ids[0] if settings.admin_ids else CONSOLE_USER_ID
        # The console user is the local operator: make them an admin of this database.
        self.settings = settings.model_copy(
            update={"admin_ids": tuple(dict.fromkeys((*settings.admin_ids, self.user_id)))}
        )
        self.out = out
        self.clock = clock or SystemClock()
        self.api = LocalBotAPI(clock=self.clock, on_message=self._print)
        self.last_with_buttons: dict[str, Any] | None = None
        self.output_dir = Path(tempfile.mkdtemp(prefix="telecrm-console-"))
        self._update_ids = itertools.count(1)

    def _print(self, message: dict[str, Any], edited: bool) -> None:
        if "notice" in message:
            self.out.write(f"  ({html_to_text(message['notice'])})\n")
            self.out.flush()
            return
        chat_id = message["chat"]["id"]
        prefix = "(edited) " if edited else ""
        if chat_id != self.user_id:
            prefix = f"→ to chat {chat_id}: {prefix}"
        body = message.get("text") or message.get("caption") or ""
        for kind in ("document", "photo"):
            if kind in message:
                attachment = message[kind][-1] if kind == "photo" else message[kind]
                name, content = self.api.uploads[attachment["file_id"]]
                path = self.output_dir / Path(name).name
                path.write_bytes(content)
                body = f"[{kind}: {path}]\n{body}".rstrip()
        lines = [prefix + html_to_text(body)]
        buttons = self._buttons(message)
        for number, (label, _data) in enumerate(buttons, start=1):
            lines.append(f"  [{number}] {label}")
        if buttons and chat_id == self.user_id:
            self.last_with_buttons = message
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    @staticmethod
    def _buttons(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return [(b["text"], b) for row in rows for b in row]

    def _user(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "is_bot": False,
            "first_name": "Console",
            "last_name": "Admin",
            "language_code": self.settings.default_language,
        }

    def _message(self, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": self.api.next_message_id(),
            "date": int(self.clock.now().timestamp()),
            "chat": {"id": self.user_id, "type": "private", "first_name": "Console"},
            "from": self._user(),
            **fields,
        }

    def update_for(self, line: str) -> dict[str, Any] | None:
        """The update a line of input stands for (None: nothing to send)."""
        if line.startswith("!"):
            return self._press(line[1:].strip())
        if line.startswith("@file "):
            path = Path(line.removeprefix("@file ").strip()).expanduser()
            if not path.is_file():
                self.out.write(f"  (no such file: {path})\n")
                return None
            file_id = self.api.register_file(path)
            document = {"file_id": file_id, "file_unique_id": file_id, "file_name": path.name,
                        "file_size": path.stat().st_size}
            return {"message": self._message(document=document)}
        if line.startswith("@contact "):
            return self._contact(line.removeprefix("@contact "))
        message = self._message(text=line)
        if line.startswith("/"):
            command = line.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"message": message}

    def _press(self, number: str) -> dict[str, Any] | None:
        if self.last_with_buttons is None:
            self.out.write("  (no message with buttons yet)\n")
            return None
        buttons = self._buttons(self.last_with_buttons)
        if not number.isdigit() or not 1 <= int(number) <= len(buttons):
            self.out.write(f"  (press a button from 1 to {len(buttons)})\n")
            return None
        button = buttons[int(number) - 1][1]
        if "callback_data" not in button:
            self.out.write(f"  (link: {button.get('url', '')})\n")
            return None
        return {
            "callback_query": {
                "id": str(next(self._update_ids)),
                "from": self._user(),
                "chat_instance": "console",
                "message": self.last_with_buttons,
                "data": button["callback_data"],
            }
        }

    def _contact(self, rest: str) -> dict[str, Any] | None:
        try:
            words = shlex.split(rest)
        except ValueError:
            words = rest.split()
        # The phone starts at the first word that looks like the start of a number.
        phone_at = next((i for i, w in enumerate(words) if re.match(r"^[+(]?\d", w)), None)
        if phone_at is None or phone_at == 0:
            self.out.write("  (usage: @contact NAME PHONE)\n")
            return None
        names = words[:phone_at]
        contact = {
            "phone_number": " ".join(words[phone_at:]),
            "first_name": names[0],
        }
        if len(names) > 1:
            contact["last_name"] = " ".join(names[1:])
        return {"message": self._message(contact=contact)}

    async def run(self, lines: TextIO) -> None:
        """Process input until it ends."""
        app = build_application(
            self.settings, clock=self.clock, request=self.api, token=PLACEHOLDER_TOKEN
        )
        async with running(app):
            while True:
                line = await asyncio.to_thread(lines.readline)
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                data = self.update_for(line)
                if data is None:
                    continue
                data["update_id"] = next(self._update_ids)
                update = Update.de_json(data, app.bot)
                await app.process_update(update)


async def run_console(settings: Settings, lines: TextIO | None = None) -> None:
    """Run the console on standard input and output (or the given stream)."""
    console = Console(settings, sys.stdout)
    await console.run(lines or sys.stdin)
