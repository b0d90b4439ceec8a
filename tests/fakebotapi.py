"""A fake Telegram Bot API HTTP server for end-to-end tests of the bot.

The real bot process (PTB with its httpx stack) talks to it through ``base_url`` exactly as it
would talk to api.telegram.org, so the tests exercise serialisation, retries, polling and
webhook delivery for real. Everything is in memory and per instance.

Typical use::

    async with FakeBotAPI() as api:
        ...  # start the bot with base_url=api.base_url, base_file_url=api.base_file_url
        api.message_update(user_id=42, text="/start")
        reply = await api.wait_for_message(42)
        assert "Welcome" in reply["plain_text"]
        api.inject("sendMessage", Fault.retry_after(1), chat_id=42)

Deliberate differences from Telegram: webhooks may use plain http on any port; a bare "&" in
HTML text is rejected (see ``strict_html_ampersand``); Markdown parse modes are accepted
without validation; URLs given as files are not fetched.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from aiohttp import ClientError, ClientSession, ClientTimeout, hdrs, web
from aiohttp.multipart import BodyPartReader

__all__ = [
    "ApiCall",
    "FakeBotAPI",
    "Fault",
    "TelegramHTMLError",
    "parse_telegram_html",
]

JSONDict = dict[str, Any]

BOT_FIRST_NAME: Final = "telecrm test"
MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"

# Telegram leaves these out unless a bot asks for them explicitly via allowed_updates.
_OPT_IN_UPDATE_TYPES: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
_WEBHOOK_BACKOFF_MIN: Final = 0.05
_WEBHOOK_BACKOFF_MAX: Final = 1.0
_MESSAGE_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_CONFLICT_WEBHOOK: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_CONFLICT_OTHER_POLL: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_QUERY_TOO_OLD: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_SCOPES: Final = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_INLINE_BUTTON_ACTIONS: Final = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
# PTB sends every non-string parameter JSON-encoded in form fields, so a text like "123" or
# "[1]" must not be decoded for parameters that are strings in the Bot API.
_STRING_PARAMS: Final = frozenset(
    {
        "action",
        "address",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "certificate",
        "custom_title",
        "description",
        "document",
        "emoji",
        "file_id",
        "first_name",
        "inline_message_id",
        "inline_query_id",
        "ip_address",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "next_offset",
        "parse_mode",
        "phone_number",
        "photo",
        "question",
        "secret_token",
        "short_description",
        "sticker",
        "switch_pm_parameter",
        "switch_pm_text",
        "text",
        "thumbnail",
        "title",
        "url",
        "video",
        "video_note",
        "voice",
    }
)
_JSON_START: Final = frozenset('{["-0123456789')
_BOT_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_SECRET_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_CODE_RE: Final = re.compile(r"[a-z]{2}")
_BUTTON_URL_RE: Final = re.compile(r"(?:https?|tg)://\S+")


# --------------------------------------------------------------------------------------------
# Telegram-flavoured HTML
# --------------------------------------------------------------------------------------------


class TelegramHTMLError(ValueError):
    """A text the Bot API would reject with "can't parse entities" in parse_mode HTML."""


_TAG_ENTITY_TYPES: Final = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_SPACES: Final = frozenset(" \t\r\n\v\f")
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _utf16_len(text: str) -> int:
    # Entity offsets and the length limits of the Bot API are measured in UTF-16 code units.
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset in the plain text where the entity starts
    piece_index: int  # index into the output pieces, to recover the inner text
    byte_pos: int
    language: str = ""


class _HTMLParser:
    """Single-use parser mirroring the Bot API's rules and error messages."""

    def __init__(self, markup: str, *, strict_ampersand: bool) -> None:
        self.markup = markup
        self.strict_ampersand = strict_ampersand
        self.pos = 0
        self.pieces: list[str] = []
        self.offset = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[JSONDict] = []

    def byte_offset(self, index: int) -> int:
        # Telegram reports positions as byte offsets into the UTF-8 encoded markup.
        return len(self.markup[:index].encode("utf-8", "surrogatepass"))

    def at(self, index: int) -> str:
        return self.markup[index] if index < len(self.markup) else ""

    def emit(self, text: str) -> None:
        self.pieces.append(text)
        self.offset += _utf16_len(text)

    def run(self) -> tuple[str, list[JSONDict]]:
        markup = self.markup
        while self.pos < len(markup):
            char = markup[self.pos]
            if char == "&":
                self.ampersand()
            elif char == "<":
                if self.at(self.pos + 1) == "/":
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                self.emit(char)
                self.pos += 1
        if self.stack:
            name = self.stack[-1].name
            raise TelegramHTMLError(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.pieces), self.entities

    def decode_entity(self, index: int) -> tuple[str, int] | None:
        """Decode the character reference at ``index`` like Telegram, or None if it is not one."""
        markup = self.markup
        end = index + 1
        if self.at(end) == "#":
            end += 1
            digits = "0123456789"
            base = 10
            if self.at(end) == "x":
                end += 1
                digits += "abcdefABCDEF"
                base = 16
            digits_start = end
            while self.at(end) and self.at(end) in digits:
                end += 1
            if end == digits_start or end - index >= 10:
                return None
            code = int(markup[digits_start:end], base)
            if code == 0 or code >= 0x10FFFF:
                return None
            if 0xD800 <= code <= 0xDFFF:
                raise TelegramHTMLError(
                    "Text contains invalid Unicode characters after decoding HTML entities, "
                    "check for unmatched surrogate code units"
                )
            char = chr(code)
        else:
            while self.at(end).isascii() and self.at(end).isalpha():
                end += 1
            named = _NAMED_ENTITIES.get(markup[index + 1 : end])
            if named is None:
                return None
            char = named
        if self.at(end) == ";":
            end += 1
        return char, end

    def ampersand(self) -> None:
        decoded = self.decode_entity(self.pos)
        if decoded is not None:
            self.emit(decoded[0])
            self.pos = decoded[1]
            return
        if self.strict_ampersand:
            # Deliberately stricter than Telegram (which keeps a bare "&" as text): a bare "&"
            # almost always means user input was not passed through html.escape().
            raise TelegramHTMLError(
                f'Unescaped "&" at byte offset {self.byte_offset(self.pos)}; use "&amp;"'
            )
        self.emit("&")
        self.pos += 1

    def skip_spaces(self) -> None:
        while self.at(self.pos) in _HTML_SPACES and self.at(self.pos):
            self.pos += 1

    def start_tag(self) -> None:
        begin = self.pos
        where = f"at byte offset {self.byte_offset(begin)}"
        self.pos += 1
        while self.at(self.pos) and self.at(self.pos) not in _HTML_SPACES:
            if self.at(self.pos) == ">":
                break
            self.pos += 1
        if not self.at(self.pos):
            raise TelegramHTMLError(f"Unclosed start tag {where}")
        name = self.markup[begin + 1 : self.pos].lower()
        if name not in _TAG_ENTITY_TYPES:
            raise TelegramHTMLError(f'Unsupported start tag "{name}" {where}')
        attrs = self.attributes(name, where)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise TelegramHTMLError(f'Tag "span" must have class "tg-spoiler" {where}')
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise TelegramHTMLError(f'Tag "tg-emoji" must have attribute "emoji-id" {where}')
        language = ""
        if name == "code" and attrs.get("class", "").startswith("language-"):
            language = attrs["class"].removeprefix("language-")
        self.stack.append(
            _OpenTag(name, attrs, self.offset, len(self.pieces), self.byte_offset(begin), language)
        )

    def attributes(self, tag: str, where: str) -> dict[str, str]:
        attrs: dict[str, str] = {}
        while True:
            self.skip_spaces()
            if not self.at(self.pos):
                raise TelegramHTMLError(f'Unclosed start tag "{tag}" {where}')
            if self.at(self.pos) == ">":
                self.pos += 1
                return attrs
            name_start = self.pos
            while self.at(self.pos) and self.at(self.pos) not in _HTML_SPACES:
                if self.at(self.pos) in "=>":
                    break
                self.pos += 1
            name = self.markup[name_start : self.pos].lower()
            if not name:
                raise TelegramHTMLError(f'Empty attribute name in the tag "{tag}" {where}')
            self.skip_spaces()
            if self.at(self.pos) != "=":
                if tag == "blockquote" and name == "expandable":
                    attrs[name] = ""
                    continue
                if not self.at(self.pos):
                    raise TelegramHTMLError(f'Unclosed start tag "{tag}" {where}')
                raise TelegramHTMLError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" {where}'
                )
            self.pos += 1
            self.skip_spaces()
            if not self.at(self.pos):
                raise TelegramHTMLError(f'Unclosed start tag "{tag}" {where}')
            attrs[name] = self.attribute_value(where)

    def attribute_value(self, where: str) -> str:
        quote = self.at(self.pos)
        if quote not in ("'", '"'):
            token_start = self.pos
            while self.at(self.pos) and (self.at(self.pos).isalnum() or self.at(self.pos) in ".-"):
                self.pos += 1
            following = self.at(self.pos)
            if following and following not in _HTML_SPACES and following != ">":
                raise TelegramHTMLError(
                    f"Unexpected end of name token at byte offset {self.byte_offset(token_start)}"
                )
            if not following:
                raise TelegramHTMLError(f"Unclosed start tag {where}")
            return self.markup[token_start : self.pos].lower()
        self.pos += 1
        value: list[str] = []
        while self.at(self.pos) and self.at(self.pos) != quote:
            if self.at(self.pos) == "&":
                # Lenient inside attributes, like Telegram: URLs with raw "&" are common there.
                decoded = self.decode_entity(self.pos)
                if decoded is not None:
                    value.append(decoded[0])
                    self.pos = decoded[1]
                    continue
            value.append(self.at(self.pos))
            self.pos += 1
        if not self.at(self.pos):
            raise TelegramHTMLError(f"Unclosed start tag {where}")
        self.pos += 1
        return "".join(value)

    def end_tag(self) -> None:
        begin = self.pos
        where = f"at byte offset {self.byte_offset(begin)}"
        if not self.stack:
            raise TelegramHTMLError(f"Unexpected end tag {where}")
        self.pos += 2
        name_start = self.pos
        while self.at(self.pos) and self.at(self.pos) not in _HTML_SPACES:
            if self.at(self.pos) == ">":
                break
            self.pos += 1
        name = self.markup[name_start : self.pos].lower()
        self.skip_spaces()
        if self.at(self.pos) != ">":
            raise TelegramHTMLError(f"Unclosed end tag {where}")
        self.pos += 1
        tag = self.stack.pop()
        if name and name != tag.name:
            raise TelegramHTMLError(
                f'Unmatched end tag {where}, expected "</{tag.name}>", found "</{name}>"'
            )
        self.close_entity(tag)

    def close_entity(self, tag: _OpenTag) -> None:
        length = self.offset - tag.offset
        if length <= 0:
            return  # Telegram silently drops empty entities
        kind = _TAG_ENTITY_TYPES[tag.name]
        entity: JSONDict = {"type": kind, "offset": tag.offset, "length": length}
        if kind == "text_link":
            link = self.link_entity(tag, entity)
            if link is None:
                return
            entity = link
        elif kind == "code" and tag.language:
            parent = self.stack[-1] if self.stack else None
            if parent is not None and parent.name == "pre" and parent.offset == tag.offset:
                parent.language = tag.language
                return  # <pre><code class="language-x"> is one pre entity with a language
        elif kind == "pre" and tag.language:
            entity["language"] = tag.language
        elif kind == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif kind == "custom_emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        self.entities.append(entity)

    def link_entity(self, tag: _OpenTag, entity: JSONDict) -> JSONDict | None:
        url = tag.attrs.get("href") or "".join(self.pieces[tag.piece_index :])
        mention = re.fullmatch(r"tg://user\?id=(\d+)", url)
        if mention is not None:
            user = {"id": int(mention.group(1)), "is_bot": False, "first_name": "User"}
            return {**entity, "type": "text_mention", "user": user}
        if not url or any(char in _HTML_SPACES for char in url):
            return None  # Telegram drops links whose URL it cannot parse
        if "://" not in url and not url.startswith("tg:"):
            url = f"http://{url}"
        return {**entity, "url": url}


def parse_telegram_html(
    markup: str, *, strict_ampersand: bool = True
) -> tuple[str, list[JSONDict]]:
    """Parse Bot API HTML into (plain text, entities), raising TelegramHTMLError like Telegram."""
    return _HTMLParser(markup, strict_ampersand=strict_ampersand).run()


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass
class ApiCall:
    """One request the bot made to the fake Bot API."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float
    response_status: int = 0
    # Error description we answered with; makes timeout summaries self-explanatory.
    description: str | None = None
    # Upload metadata per multipart field: (file name, content type).
    file_info: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | str | None:
        """The call's chat_id parameter, normalised to int when numeric."""
        return _normalise_chat_id(self.params.get("chat_id"))


FaultKind = Literal["retry_after", "server_error", "delay", "drop", "forbidden"]


@dataclass(frozen=True)
class Fault:
    """What the server does to one call instead of (or before) answering it normally."""

    kind: FaultKind
    seconds: float = 0.0
    status: int = 0
    after_handling: bool = False

    @staticmethod
    def retry_after(seconds: int) -> Fault:
        """Answer 429 Too Many Requests with parameters.retry_after = seconds."""
        return Fault("retry_after", seconds=seconds, status=429)

    @staticmethod
    def server_error(status: int = 500) -> Fault:
        """Answer with a 5xx status."""
        if not 500 <= status <= 599:
            raise ValueError(f"server_error needs a 5xx status, got {status}")
        return Fault("server_error", status=status)

    @staticmethod
    def delay(seconds: float) -> Fault:
        """Wait this long (or until the server stops), then handle the call normally."""
        return Fault("delay", seconds=seconds)

    @staticmethod
    def drop(*, after_handling: bool = False) -> Fault:
        """Close the TCP connection without an HTTP response (optionally after handling)."""
        return Fault("drop", after_handling=after_handling)

    @staticmethod
    def forbidden() -> Fault:
        """Answer 403 "Forbidden: bot was blocked by the user"."""
        return Fault("forbidden", status=403)


@dataclass
class _QueuedFault:
    method: str  # lower-case method name or "*"
    chat_id: int | None
    fault: Fault


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str
    mime_type: str

    def file_object(self) -> JSONDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


class _ApiError(Exception):
    """Raised by method handlers to answer {"ok": false, ...}."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Described:
    """A successful result that also carries Telegram's "description" field."""

    result: Any
    description: str


class _Changes:
    """Wakes every waiter whenever the server's observable state changes."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def bump(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, ready: Callable[[], bool], seconds: float | None) -> bool:
        """Wait until ready() holds; False if ``seconds`` (None: forever) elapsed first."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while not ready():
            # Taking the event after the check, with no await in between, loses no bump.
            event = self._event
            if deadline is None:
                await event.wait()
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                pass
        return True


def _normalise_chat_id(value: object) -> int | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _decode_form_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    if value[:1] in _JSON_START or value in ("true", "false", "null"):
        try:
            return json.loads(value, parse_constant=_reject_constant)
        except ValueError:
            return value
    return value


def _json_copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


def _error(status: int, description: str) -> tuple[int, JSONDict]:
    return status, {"ok": False, "error_code": status, "description": description}


def _int_param(params: JSONDict, name: str, default: int) -> int:
    value = params.get(name, default)
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _ApiError(400, f"Bad Request: invalid {name} specified") from None


def _text_param(params: JSONDict, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _check_inline_button(button: object) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise _ApiError(
            400, "Bad Request: can't parse inline keyboard button: Text must be a String"
        )
    if not any(action in button for action in _INLINE_BUTTON_ACTIONS):
        raise _ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        )
    data = button.get("callback_data")
    if data is not None and (
        not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
    ):
        raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and (not isinstance(url, str) or not _BUTTON_URL_RE.fullmatch(url)):
        raise _ApiError(
            400, f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
        )


def _check_reply_markup(markup: object) -> JSONDict:
    if not isinstance(markup, dict):
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for key in ("inline_keyboard", "keyboard"):
        if key not in markup:
            continue
        rows = markup[key]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _ApiError(
                400, f'Bad Request: field "{key}" of the markup must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                if key == "inline_keyboard":
                    _check_inline_button(button)
                elif not isinstance(button, str) and not (
                    isinstance(button, dict) and isinstance(button.get("text"), str)
                ):
                    raise _ApiError(400, "Bad Request: can't parse keyboard button")
        return markup
    if "remove_keyboard" in markup or "force_reply" in markup:
        return markup
    raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")


# Keys kept on stored message dicts for tests only; never sent to the bot.
_TEST_ONLY_KEYS: Final = ("plain_text", "edits", "deleted")


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


_Handler = Callable[[ApiCall], Any]


class FakeBotAPI:
    """An in-memory Telegram Bot API served over HTTP on 127.0.0.1, one per test."""

    def __init__(
        self,
        token: str = "123456:TEST-fake-token",
        *,
        bot_id: int = 123456,
        bot_username: str = "telecrm_test_bot",
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.port = 0
        self.calls: list[ApiCall] = []
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []
        self.downloads: list[str] = []
        # (scope key, language code or "") -> commands; chat scopes use "chat:<id>" keys.
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.callback_answers: dict[str, JSONDict] = {}
        self.inline_answers: dict[str, JSONDict] = {}
        self.blocked_chats: set[int] = set()
        # Telegram keeps a bare "&" as text; we reject it by default to catch unescaped input.
        self.strict_html_ampersand = True

        self._faults: list[_QueuedFault] = []
        self._pending: list[JSONDict] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = frozenset()
        self._poll_generation = 0
        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._sent: list[JSONDict] = []
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._open_callback_queries: set[str] = set()
        self._open_inline_queries: set[str] = set()
        self._ids = itertools.count(1)
        self._changes = _Changes()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._retired_tasks: set[asyncio.Task[None]] = set()
        self._webhook_max_connections = 40
        self._webhook_last_error: tuple[int, str] | None = None
        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "setMyName": self._set_my_name,
            "getMyName": self._get_my_name,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "getChat": self._get_chat,
            "getFile": self._get_file,
        }
        # The Bot API matches method names case-insensitively.
        self._handlers = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Value for PTB's ``base_url`` (PTB appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's ``base_file_url`` (PTB appends the token)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_user(self) -> JSONDict:
        """The bot's User object, as used in the "from" of its messages."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": self.bot_username,
        }

    async def start(self) -> None:
        """Start serving on 127.0.0.1 on a free port."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already running")
        self._stopping = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving; releases long polls and delayed calls and stops webhook delivery."""
        self._stopping = True
        self._changes.bump()
        tasks = [*self._retired_tasks]
        if self._webhook_task is not None:
            tasks.append(self._webhook_task)
            self._webhook_task = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- test-side inspection and control ----------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        """All calls of ``method`` (case-insensitive), in order."""
        key = method.lower()
        return [call for call in self.calls if call.method.lower() == key]

    def inject(self, method: str, *faults: Fault, chat_id: int | None = None) -> None:
        """Queue faults for the next calls of ``method`` ("*" = any), optionally one chat only."""
        for fault in faults:
            self._faults.append(_QueuedFault(method.lower(), chat_id, fault))

    def block(self, chat_id: int) -> None:
        """Make every later send to this chat fail with 403 "bot was blocked by the user"."""
        self.blocked_chats.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo block()."""
        self.blocked_chats.discard(chat_id)

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The bot's messages (live dicts: "text" as sent, "plain_text", "edits", ...)."""
        if chat_id is None:
            return list(self._sent)
        return [message for message in self._sent if message["chat"]["id"] == chat_id]

    def file_bytes(self, file_id: str) -> bytes:
        """The content behind a file_id (uploaded by the bot or registered by document_update)."""
        return self._files[file_id].content

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates queued and not yet confirmed by the bot."""
        return list(self._pending)

    def describe_calls(self, start: int = 0, limit: int = 30) -> str:
        """A readable summary of recent calls, for assertion messages."""
        indexed = list(enumerate(self.calls))[start:][-limit:]
        if not indexed:
            return "  (no calls)"
        lines = []
        for index, call in indexed:
            params = json.dumps(call.params, ensure_ascii=False, default=str)
            if len(params) > 200:
                params = params[:197] + "..."
            answered = call.response_status or call.description
            outcome = str(call.response_status) if answered else "pending"
            if call.description:
                outcome += f" {call.description!r}"
            lines.append(f"  #{index} {call.method} -> {outcome} {params}")
        return "\n".join(lines)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline for the wait, not an I/O timeout
        what: str = "condition",
    ) -> None:
        """Wait (event-driven) until ``condition()`` holds after some server state change."""
        if not await self._changes.wait_until(condition, timeout):
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; recent calls:\n"
                f"{self.describe_calls()}"
            )

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - the contract other tests code against
        start: int = 0,
    ) -> ApiCall:
        """The first call of ``method`` ("*" = any) at index >= start matching ``predicate``."""
        key = method.lower()
        found: list[ApiCall] = []

        def ready() -> bool:
            for call in self.calls[start:]:
                if key in ("*", call.method.lower()) and (predicate is None or predicate(call)):
                    found.append(call)
                    return True
            return False

        if await self._changes.wait_until(ready, timeout):
            return found[0]
        raise AssertionError(
            f"no {method} call{' matching the predicate' if predicate else ''} "
            f"at index >= {start} within {timeout}s; recent calls:\n{self.describe_calls(start)}"
        )

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - the contract other tests code against
        start: int = 0,
    ) -> dict[str, Any]:
        """The first bot message to ``chat_id`` (index >= start) matching ``predicate``."""
        found: list[JSONDict] = []

        def ready() -> bool:
            for message in self.sent_messages(chat_id)[start:]:
                if predicate is None or predicate(message):
                    found.append(message)
                    return True
            return False

        if await self._changes.wait_until(ready, timeout):
            return found[0]
        texts = [
            f"  {message['message_id']}: {message.get('plain_text')!r}"
            for message in self.sent_messages(chat_id)
        ]
        raise AssertionError(
            f"no message to chat {chat_id}{' matching the predicate' if predicate else ''} "
            f"at index >= {start} within {timeout}s; messages to that chat:\n"
            + ("\n".join(texts) or "  (none)")
            + f"\nrecent calls:\n{self.describe_calls()}"
        )

    # ---- building updates --------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update (assigning its update_id) and return the update_id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        self._pending.append({**_json_copy(update), "update_id": update_id})
        self._changes.bump()
        return update_id

    def message_update(
        self,
        *,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
        chat_title: str | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> int:
        """Push a text message from a user; commands get a bot_command entity like Telegram's."""
        user = self._user(user_id, first_name, username, language_code)
        chat = self._user_chat(user, chat_id, chat_type, chat_title)
        message = self._new_message(chat, user, text=text)
        if entities is not None:
            message["entities"] = entities
        else:
            command = _BOT_COMMAND_RE.match(text)
            if command is not None:
                length = _utf16_len(command.group())
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.push_update({"message": message})

    def callback_update(
        self,
        *,
        user_id: int,
        message: dict[str, Any],
        data: str,
        language_code: str | None = "en",
        first_name: str = "Test",
    ) -> int:
        """Push a button press on one of the bot's messages (as returned by sent_messages)."""
        user = self._user(user_id, first_name, None, language_code)
        chat_id = int(message["chat"]["id"])
        current = self._messages.get((chat_id, int(message["message_id"])), message)
        query_id = str(4_000_000_000_000_000 + next(self._ids))
        self._open_callback_queries.add(query_id)
        callback_query = {
            "id": query_id,
            "from": user,
            "message": self._public_message(current),
            # Stable per chat, like Telegram's opaque chat_instance.
            "chat_instance": str((chat_id * 2_654_435_761) % 10**18),
            "data": data,
        }
        return self.push_update({"callback_query": callback_query})

    def contact_update(
        self,
        *,
        user_id: int,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        language_code: str | None = "en",
    ) -> int:
        """Push a message sharing a contact (e.g. from a request_contact keyboard button)."""
        user = self._user(user_id, first_name, None, language_code, last_name=last_name)
        chat = self._user_chat(user, None, "private", None)
        contact: JSONDict = {"phone_number": phone_number, "first_name": first_name}
        if last_name is not None:
            contact["last_name"] = last_name
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self.push_update({"message": self._new_message(chat, user, contact=contact)})

    def document_update(
        self,
        *,
        user_id: int,
        file_name: str,
        content: bytes,
        mime_type: str = "text/csv",
        caption: str | None = None,
        language_code: str | None = "en",
    ) -> int:
        """Push a document message; its bytes are then served via getFile and the file URL."""
        user = self._user(user_id, "Test", None, language_code)
        chat = self._user_chat(user, None, "private", None)
        stored = self._store_file(content, file_name, mime_type, "documents")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        fields: JSONDict = {"document": document}
        if caption is not None:
            fields["caption"] = caption
        return self.push_update({"message": self._new_message(chat, user, **fields)})

    def inline_query_update(
        self, *, user_id: int, query: str, language_code: str | None = "en"
    ) -> int:
        """Push an inline query typed by a user."""
        user = self._user(user_id, "Test", None, language_code)
        query_id = str(5_000_000_000_000_000 + next(self._ids))
        self._open_inline_queries.add(query_id)
        inline_query = {
            "id": query_id,
            "from": user,
            "query": query,
            "offset": "",
            "chat_type": "sender",
        }
        return self.push_update({"inline_query": inline_query})

    # ---- HTTP plumbing -----------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._download(path.removeprefix("/file/bot"))
        if not path.startswith("/bot"):
            return self._json_response(*_error(404, "Not Found"))
        token, _, method = path.removeprefix("/bot").partition("/")
        received = time.monotonic()
        entry = self._handlers.get(method.lower())
        call = ApiCall(method=entry[0] if entry else method, params={}, files={}, at=received)
        outcome: tuple[int, JSONDict] | None
        try:
            await self._read_params(request, call)
        except _ApiError as exc:
            outcome = exc.status, exc.body()
        else:
            outcome = None
        self.calls.append(call)
        self._changes.bump()
        if outcome is None:
            outcome = await self._process(call, token, entry)
        return await self._respond(request, call, outcome)

    async def _read_params(self, request: web.Request, call: ApiCall) -> None:
        params = call.params
        for name, value in request.query.items():
            params[name] = _decode_form_value(name, value)
        if not request.body_exists:
            return
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.read())
            except ValueError:
                raise _ApiError(400, "Bad Request: can't parse JSON object") from None
            if not isinstance(body, dict):
                raise _ApiError(400, "Bad Request: JSON object expected")
            params.update(body)
        elif request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is None:
                    params[part.name] = _decode_form_value(part.name, await part.text())
                    continue
                call.files[part.name] = bytes(await part.read())
                content_type = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
                call.file_info[part.name] = (part.filename, content_type)
        else:
            form = await request.post()
            for field_name, field_value in form.items():
                if isinstance(field_value, str):
                    params[field_name] = _decode_form_value(field_name, field_value)

    async def _process(
        self, call: ApiCall, token: str, entry: tuple[str, _Handler] | None
    ) -> tuple[int, JSONDict] | None:
        """The (status, body) to answer, or None to drop the connection."""
        if token != self.token:
            return _error(401, "Unauthorized")
        if entry is None:
            return _error(404, "Not Found")
        fault = self._take_fault(call)
        if fault is not None:
            if fault.kind == "retry_after":
                seconds = int(fault.seconds)
                status, body = _error(429, f"Too Many Requests: retry after {seconds}")
                body["parameters"] = {"retry_after": seconds}
                return status, body
            if fault.kind == "server_error":
                return _error(fault.status, "Internal Server Error")
            if fault.kind == "forbidden":
                return _error(403, "Forbidden: bot was blocked by the user")
            if fault.kind == "drop" and not fault.after_handling:
                return None
            if fault.kind == "delay" and not await self._sleep_unless_stopped(fault.seconds):
                call.description = "delayed call abandoned: server stopping"
                return None
        outcome = await self._invoke(call, entry[1])
        if fault is not None and fault.kind == "drop":
            return None
        return outcome

    def _take_fault(self, call: ApiCall) -> Fault | None:
        method = call.method.lower()
        for index, queued in enumerate(self._faults):
            if queued.method not in ("*", method):
                continue
            if queued.chat_id is not None and call.chat_id != queued.chat_id:
                continue
            del self._faults[index]
            return queued.fault
        return None

    async def _sleep_unless_stopped(self, seconds: float) -> bool:
        """Sleep; False if the server began stopping meanwhile."""
        await self._changes.wait_until(lambda: self._stopping, seconds)
        return not self._stopping

    async def _invoke(self, call: ApiCall, handler: _Handler) -> tuple[int, JSONDict]:
        try:
            result = handler(call)
            if inspect.isawaitable(result):
                result = await result
        except _ApiError as exc:
            return exc.status, exc.body()
        if isinstance(result, _Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    async def _respond(
        self, request: web.Request, call: ApiCall, outcome: tuple[int, JSONDict] | None
    ) -> web.StreamResponse:
        if outcome is None:
            call.response_status = 0
            call.description = call.description or "connection dropped by fault injection"
            self._changes.bump()
            if request.transport is not None:
                request.transport.close()
            # aiohttp's attempt to write this to the closed transport fails silently.
            return web.Response()
        status, body = outcome
        call.response_status = status
        if not body.get("ok"):
            call.description = str(body.get("description"))
        response = self._json_response(status, body)
        try:
            await response.prepare(request)
            await response.write_eof()
        except ConnectionError:
            # The client had already gone (e.g. it timed out): nothing was answered.
            call.response_status = 0
            call.description = f"client went away before the {status} answer" + (
                f" ({call.description})" if call.description else ""
            )
        self._changes.bump()
        return response

    @staticmethod
    def _json_response(status: int, body: JSONDict) -> web.Response:
        return web.Response(
            status=status,
            body=json.dumps(body, ensure_ascii=False).encode(),
            content_type="application/json",
        )

    def _download(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return self._json_response(*_error(401, "Unauthorized"))
        stored = self._files_by_path.get(file_path)
        if stored is None:
            return self._json_response(*_error(404, "Not Found"))
        self.downloads.append(file_path)
        self._changes.bump()
        return web.Response(body=stored.content, content_type="application/octet-stream")

    # ---- shared model helpers ----------------------------------------------------------------

    def _user(
        self,
        user_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
        *,
        last_name: str | None = None,
    ) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def _user_chat(
        self, user: JSONDict, chat_id: int | None, chat_type: str, chat_title: str | None
    ) -> JSONDict:
        if chat_type == "private":
            chat: JSONDict = {
                "id": user["id"],
                "type": "private",
                "first_name": user["first_name"],
            }
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
            if chat_id is not None and chat_id != user["id"]:
                raise ValueError("a private chat's id is the user's id")
        else:
            if chat_id is None:
                raise ValueError(f"chat_id is required for a {chat_type} chat")
            chat = {"id": chat_id, "type": chat_type, "title": chat_title or "Test group"}
        self._chats[chat["id"]] = chat
        return chat

    def _new_message(self, chat: JSONDict, sender: JSONDict, **fields: Any) -> JSONDict:
        chat_id = int(chat["id"])
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        message: JSONDict = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            **fields,
        }
        self._messages[chat_id, message_id] = message
        return message

    def _public_message(self, message: JSONDict) -> JSONDict:
        """The message as the Bot API returns it: plain text plus entities, no test keys."""
        public: JSONDict = _json_copy(message)
        plain = public.get("plain_text")
        for key in _TEST_ONLY_KEYS:
            public.pop(key, None)
        for key in ("text", "caption"):
            if key in public and plain is not None:
                public[key] = plain
        markup = public.get("reply_markup")
        if markup is not None and "inline_keyboard" not in markup:
            del public["reply_markup"]  # only inline keyboards are echoed back on messages
        return public

    def _resolve_chat(self, params: JSONDict, *, required: bool = True) -> JSONDict | None:
        raw = params.get("chat_id")
        chat_id = _normalise_chat_id(raw)
        if chat_id is None or chat_id == "":
            if required:
                raise _ApiError(400, "Bad Request: chat_id is empty")
            return None
        if isinstance(chat_id, str):
            for known in self._chats.values():
                if chat_id.startswith("@") and known.get("username") == chat_id[1:]:
                    return known
            raise _ApiError(400, "Bad Request: chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            # Unknown chats are created on the fly so tests need no setup for them.
            if chat_id > 0:
                chat = {"id": chat_id, "type": "private", "first_name": "Test"}
            elif chat_id <= -1_000_000_000_000:
                chat = {"id": chat_id, "type": "supergroup", "title": "Test supergroup"}
            else:
                chat = {"id": chat_id, "type": "group", "title": "Test group"}
            self._chats[chat_id] = chat
        return chat

    def _sendable_chat(self, params: JSONDict) -> JSONDict:
        chat = self._resolve_chat(params)
        assert chat is not None
        if chat["id"] in self.blocked_chats:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _format(
        self, text: str, params: JSONDict, entities_key: str, *, what: str = "entities"
    ) -> tuple[str, list[JSONDict]]:
        explicit = params.get(entities_key)
        if explicit is not None:
            if not isinstance(explicit, list):
                raise _ApiError(400, f"Bad Request: can't parse {entities_key} JSON object")
            return text, explicit
        parse_mode = params.get("parse_mode")
        mode = parse_mode.lower() if isinstance(parse_mode, str) else ""
        if mode == "html":
            try:
                return parse_telegram_html(text, strict_ampersand=self.strict_html_ampersand)
            except TelegramHTMLError as exc:
                raise _ApiError(400, f"Bad Request: can't parse {what}: {exc}") from None
        if mode in ("", "markdown", "markdownv2"):
            return text, []  # Markdown is accepted but not validated or parsed
        raise _ApiError(400, "Bad Request: unsupported parse_mode")

    def _text_body(self, params: JSONDict) -> tuple[str, str, list[JSONDict]]:
        text = _text_param(params, "text")
        if not text:
            raise _ApiError(400, "Bad Request: message text is empty")
        plain, entities = self._format(text, params, "entities")
        if not plain.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(plain) > MAX_TEXT_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")
        return text, plain, entities

    def _caption_body(self, params: JSONDict) -> tuple[str, str, list[JSONDict]] | None:
        caption = _text_param(params, "caption")
        if not caption:
            return None
        plain, entities = self._format(caption, params, "caption_entities")
        if _utf16_len(plain) > MAX_CAPTION_LENGTH:
            raise _ApiError(400, "Bad Request: message caption is too long")
        return caption, plain, entities

    def _markup_param(self, params: JSONDict) -> JSONDict | None:
        markup = params.get("reply_markup")
        return None if markup is None else _check_reply_markup(markup)

    def _store_file(
        self, content: bytes, file_name: str, mime_type: str, folder: str
    ) -> _StoredFile:
        number = next(self._ids)
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = _StoredFile(
            file_id=f"BQACAgIAAxkB{number:06d}{hashlib.sha256(content).hexdigest()[:20]}",
            file_unique_id=f"AgAD{hashlib.sha256(content).hexdigest()[:12]}",
            file_path=f"{folder}/file_{number}.{suffix}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _input_file(self, call: ApiCall, name: str, folder: str, default_type: str) -> _StoredFile:
        value = call.params.get(name)
        upload_field: str | None = None
        if name in call.files:
            upload_field = name
        elif isinstance(value, str) and value.startswith("attach://"):
            upload_field = value.removeprefix("attach://")
            if upload_field not in call.files:
                raise _ApiError(400, f"Bad Request: file {upload_field!r} not found in request")
        if upload_field is not None:
            content = call.files[upload_field]
            if not content:
                raise _ApiError(400, "Bad Request: file must be non-empty")
            file_name, content_type = call.file_info.get(upload_field, (name, default_type))
            return self._store_file(content, file_name, content_type, folder)
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            # We cannot fetch URLs (no internet in tests); remember the URL instead.
            return self._store_file(b"", value.rsplit("/", 1)[-1] or name, default_type, folder)
        if value is None:
            raise _ApiError(400, f"Bad Request: there is no {name} in the request")
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _record_sent(self, message: JSONDict) -> JSONDict:
        self._sent.append(message)
        return self._public_message(message)

    def _editable_message(self, params: JSONDict) -> JSONDict | None:
        """The stored message an edit targets, or None for inline messages (not tracked)."""
        if params.get("inline_message_id"):
            return None
        chat = self._resolve_chat(params)
        assert chat is not None
        message_id = _int_param(params, "message_id", 0)
        if not message_id:
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        message = self._messages.get((int(chat["id"]), message_id))
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return message

    def _apply_edit(
        self, message: JSONDict, changes: JSONDict, markup: JSONDict | None
    ) -> JSONDict:
        current = {key: message.get(key) for key in changes}
        if current == changes and message.get("reply_markup") == markup:
            raise _ApiError(400, _MESSAGE_NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        if markup is None:
            message.pop("reply_markup", None)  # omitting reply_markup removes the keyboard
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        message["edits"] = message.get("edits", 0) + 1
        return self._public_message(message)

    # ---- method handlers ---------------------------------------------------------------------

    def _true(self, call: ApiCall) -> bool:
        return True

    def _get_me(self, call: ApiCall) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_allowed_updates(self, value: object) -> None:
        if value is None:
            return  # not sent: keep the previous setting, like Telegram
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise _ApiError(400, "Bad Request: can't parse allowed updates")
        self._allowed_updates = frozenset(value)

    def _is_allowed(self, update: JSONDict) -> bool:
        kind = _update_type(update)
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _OPT_IN_UPDATE_TYPES

    def _deliverable(self) -> list[JSONDict]:
        # Telegram never stores updates of types the bot did not ask for.
        self._pending = [update for update in self._pending if self._is_allowed(update)]
        return self._pending

    def _confirm(self, update_id: int) -> None:
        self._pending = [update for update in self._pending if update["update_id"] != update_id]

    async def _get_updates(self, call: ApiCall) -> list[JSONDict]:
        if self.webhook_url is not None:
            raise _ApiError(409, _CONFLICT_WEBHOOK)
        params = call.params
        offset = _int_param(params, "offset", 0)
        limit = min(max(_int_param(params, "limit", 100), 1), 100)
        try:
            timeout = max(float(params.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            raise _ApiError(400, "Bad Request: invalid timeout specified") from None
        self._set_allowed_updates(params.get("allowed_updates"))
        if offset > 0:
            self._pending = [update for update in self._pending if update["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        # A newer getUpdates ends an older long poll with 409, as on the real server.
        self._poll_generation += 1
        generation = self._poll_generation
        self._changes.bump()

        def ready() -> bool:
            return (
                self._stopping
                or generation != self._poll_generation
                or self.webhook_url is not None
                or bool(self._deliverable())
            )

        await self._changes.wait_until(ready, timeout)
        if generation != self._poll_generation and not self._stopping:
            raise _ApiError(409, _CONFLICT_OTHER_POLL)
        if self._stopping or self.webhook_url is not None:
            return []
        return [_json_copy(update) for update in self._deliverable()[:limit]]

    def _set_webhook(self, call: ApiCall) -> _Described:
        params = call.params
        url = _text_param(params, "url") or ""
        if not url:
            self._stop_webhook()
            return _Described(True, "Webhook was deleted")
        if not url.startswith(("http://", "https://")):
            # Real Telegram also demands HTTPS on ports 443/80/88/8443; tests need plain http.
            raise _ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = _text_param(params, "secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        self._set_allowed_updates(params.get("allowed_updates"))
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook_max_connections = _int_param(params, "max_connections", 40)
        if url == self.webhook_url and secret == self.webhook_secret:
            return _Described(True, "Webhook is already set")
        self._stop_webhook()
        self.webhook_url = url
        self.webhook_secret = secret
        self._webhook_last_error = None
        self._webhook_task = asyncio.get_running_loop().create_task(
            self._deliver_webhook(url, secret), name=f"fakebotapi-webhook-{self.port}"
        )
        self._changes.bump()
        return _Described(True, "Webhook was set")

    def _stop_webhook(self) -> bool:
        was_set = self.webhook_url is not None
        if self._webhook_task is not None:
            task, self._webhook_task = self._webhook_task, None
            task.cancel()
            # stop() awaits retired tasks so their client sessions close cleanly.
            self._retired_tasks.add(task)
            task.add_done_callback(self._retired_tasks.discard)
        self.webhook_url = None
        self.webhook_secret = None
        self._changes.bump()
        return was_set

    def _delete_webhook(self, call: ApiCall) -> _Described:
        was_set = self._stop_webhook()
        if call.params.get("drop_pending_updates"):
            self._pending.clear()
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _get_webhook_info(self, call: ApiCall) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._deliverable()),
        }
        if self.webhook_url is not None:
            info["max_connections"] = self._webhook_max_connections
            if self._allowed_updates:
                info["allowed_updates"] = sorted(self._allowed_updates)
            if self._webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    async def _deliver_webhook(self, url: str, secret: str | None) -> None:
        headers: dict[str, str] = {hdrs.CONTENT_TYPE: "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        backoff = _WEBHOOK_BACKOFF_MIN
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while True:
                await self._changes.wait_until(lambda: bool(self._deliverable()), None)
                update = self._deliverable()[0]
                update_id = int(update["update_id"])
                status, error = await self._post_update(session, url, headers, update)
                self.webhook_deliveries.append((update_id, status))
                if 200 <= status < 300:
                    self._confirm(update_id)
                    backoff = _WEBHOOK_BACKOFF_MIN
                    self._changes.bump()
                    continue
                self._webhook_last_error = (int(time.time()), error)
                self._changes.bump()
                # Server-side retry pacing, not a test waiting for time to pass.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _WEBHOOK_BACKOFF_MAX)

    @staticmethod
    async def _post_update(
        session: ClientSession, url: str, headers: dict[str, str], update: JSONDict
    ) -> tuple[int, str]:
        try:
            async with session.post(url, data=json.dumps(update), headers=headers) as response:
                await response.read()
                reason = f"{response.status} {response.reason}"
                return response.status, f"Wrong response from the webhook: {reason}"
        except (ClientError, TimeoutError, OSError) as exc:
            return 0, f"Connection failed: {exc.__class__.__name__}"

    def _send_message(self, call: ApiCall) -> JSONDict:
        params = call.params
        chat = self._sendable_chat(params)
        text, plain, entities = self._text_body(params)
        markup = self._markup_param(params)
        reply_to = self._reply_target(params, chat)
        message = self._new_message(chat, self.bot_user, text=text, plain_text=plain, edits=0)
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return self._record_sent(message)

    def _send_media(self, call: ApiCall, fields: JSONDict) -> JSONDict:
        params = call.params
        chat = self._sendable_chat(params)
        caption = self._caption_body(params)
        markup = self._markup_param(params)
        reply_to = self._reply_target(params, chat)
        message = self._new_message(chat, self.bot_user, **fields, plain_text="", edits=0)
        if caption is not None:
            message["caption"], message["plain_text"], entities = caption
            if entities:
                message["caption_entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return self._record_sent(message)

    def _reply_target(self, params: JSONDict, chat: JSONDict) -> JSONDict | None:
        """The public copy of the message being replied to, if any."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.get("reply_to_message_id")
            allow_missing = bool(params.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        target = self._messages.get((int(chat["id"]), _int_param({"id": message_id}, "id", 0)))
        if target is None:
            if allow_missing:
                return None
            raise _ApiError(400, "Bad Request: message to be replied not found")
        public = self._public_message(target)
        public.pop("reply_to_message", None)  # Telegram does not nest replies further
        return public

    def _send_photo(self, call: ApiCall) -> JSONDict:
        self._sendable_chat(call.params)  # chat errors take precedence over file errors
        stored = self._input_file(call, "photo", "photos", "image/jpeg")
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 800,
            "height": 600,
            "file_size": len(stored.content),
        }
        return self._send_media(call, {"photo": [size]})

    def _send_document(self, call: ApiCall) -> JSONDict:
        self._sendable_chat(call.params)
        stored = self._input_file(call, "document", "documents", "application/octet-stream")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.content),
        }
        return self._send_media(call, {"document": document})

    def _edit_message_text(self, call: ApiCall) -> JSONDict | bool:
        params = call.params
        message = self._editable_message(params)
        text, plain, entities = self._text_body(params)
        markup = self._markup_param(params)
        if message is None:
            return True
        if "text" not in message:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        changes = {"text": text, "plain_text": plain, "entities": entities or None}
        if message.get("plain_text") == plain and message.get("entities") == changes["entities"]:
            changes["text"] = message["text"]  # same rendering from different markup
        return self._apply_edit(message, changes, markup)

    def _edit_message_caption(self, call: ApiCall) -> JSONDict | bool:
        params = call.params
        message = self._editable_message(params)
        caption = self._caption_body(params)
        markup = self._markup_param(params)
        if message is None:
            return True
        if "text" in message:
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        raw, plain, entities = caption if caption is not None else (None, "", [])
        changes = {"caption": raw, "plain_text": plain, "caption_entities": entities or None}
        return self._apply_edit(message, changes, markup)

    def _edit_message_reply_markup(self, call: ApiCall) -> JSONDict | bool:
        message = self._editable_message(call.params)
        markup = self._markup_param(call.params)
        if message is None:
            return True
        return self._apply_edit(message, {}, markup)

    def _delete_message(self, call: ApiCall) -> bool:
        chat = self._resolve_chat(call.params)
        assert chat is not None
        key = (int(chat["id"]), _int_param(call.params, "message_id", 0))
        message = self._messages.pop(key, None)
        if message is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        message["deleted"] = True
        self._changes.bump()
        return True

    def _delete_messages(self, call: ApiCall) -> bool:
        chat = self._resolve_chat(call.params)
        assert chat is not None
        ids = call.params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _ApiError(400, "Bad Request: message identifiers are not specified")
        for message_id in ids:
            message = self._messages.pop((int(chat["id"]), int(message_id)), None)
            if message is not None:
                message["deleted"] = True
        self._changes.bump()
        return True

    def _answer_callback_query(self, call: ApiCall) -> bool:
        query_id = _text_param(call.params, "callback_query_id") or ""
        if query_id not in self._open_callback_queries:
            raise _ApiError(400, _QUERY_TOO_OLD)
        text = _text_param(call.params, "text") or ""
        if len(text) > 200:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_callback_queries.discard(query_id)
        self.callback_answers[query_id] = dict(call.params)
        return True

    def _answer_inline_query(self, call: ApiCall) -> bool:
        query_id = _text_param(call.params, "inline_query_id") or ""
        if query_id not in self._open_inline_queries:
            raise _ApiError(400, _QUERY_TOO_OLD)
        results = call.params.get("results")
        if not isinstance(results, list):
            raise _ApiError(400, "Bad Request: can't parse inline query results JSON object")
        if len(results) > 50:
            raise _ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or "type" not in result or "id" not in result:
                raise _ApiError(400, "Bad Request: can't parse inline query result")
            result_id = str(result["id"])
            if result_id in seen:
                raise _ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and isinstance(content.get("message_text"), str):
                try:
                    self._format(content["message_text"], content, "entities")
                except _ApiError as exc:
                    detail = exc.description.removeprefix("Bad Request: can't parse entities: ")
                    raise _ApiError(
                        400,
                        f"Bad Request: can't parse inline query result: "
                        f"Can't parse entities: {detail}",
                    ) from None
            if "reply_markup" in result:
                _check_reply_markup(result["reply_markup"])
        self._open_inline_queries.discard(query_id)
        self.inline_answers[query_id] = dict(call.params)
        return True

    def _send_chat_action(self, call: ApiCall) -> bool:
        self._sendable_chat(call.params)
        if call.params.get("action") not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _commands_key(self, params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        kind = str(scope["type"])
        if kind in ("chat", "chat_administrators"):
            kind = f"{kind}:{scope.get('chat_id')}"
        elif kind == "chat_member":
            kind = f"{kind}:{scope.get('chat_id')}:{scope.get('user_id')}"
        language = _text_param(params, "language_code") or ""
        if language and not _LANGUAGE_CODE_RE.fullmatch(language):
            raise _ApiError(400, "Bad Request: invalid language code specified")
        return kind, language

    def _set_my_commands(self, call: ApiCall) -> bool:
        key = self._commands_key(call.params)
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise _ApiError(400, "Bad Request: too many commands specified")
        for command in commands:
            if not isinstance(command, dict):
                raise _ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            if not _COMMAND_NAME_RE.fullmatch(str(command.get("command", ""))):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    def _get_my_commands(self, call: ApiCall) -> list[JSONDict]:
        return list(self.commands.get(self._commands_key(call.params), []))

    def _delete_my_commands(self, call: ApiCall) -> bool:
        self.commands.pop(self._commands_key(call.params), None)
        return True

    def _set_text_setting(
        self, call: ApiCall, store: dict[str, str], name: str, max_length: int
    ) -> bool:
        value = _text_param(call.params, name) or ""
        language = _text_param(call.params, "language_code") or ""
        if len(value) > max_length:
            raise _ApiError(400, f"Bad Request: {name.replace('_', ' ')} is too long")
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True

    def _get_text_setting(self, call: ApiCall, store: dict[str, str], name: str) -> JSONDict:
        language = _text_param(call.params, "language_code") or ""
        return {name: store.get(language, store.get("", ""))}

    def _set_my_description(self, call: ApiCall) -> bool:
        return self._set_text_setting(call, self.descriptions, "description", 512)

    def _get_my_description(self, call: ApiCall) -> JSONDict:
        return self._get_text_setting(call, self.descriptions, "description")

    def _set_my_short_description(self, call: ApiCall) -> bool:
        return self._set_text_setting(call, self.short_descriptions, "short_description", 120)

    def _get_my_short_description(self, call: ApiCall) -> JSONDict:
        return self._get_text_setting(call, self.short_descriptions, "short_description")

    def _set_my_name(self, call: ApiCall) -> bool:
        return self._set_text_setting(call, self.names, "name", 64)

    def _get_my_name(self, call: ApiCall) -> JSONDict:
        return self._get_text_setting(call, self.names, "name")

    def _set_chat_menu_button(self, call: ApiCall) -> bool:
        chat = self._resolve_chat(call.params, required=False)
        button = call.params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise _ApiError(400, "Bad Request: can't parse menu button JSON object")
        self.menu_buttons[None if chat is None else int(chat["id"])] = button
        return True

    def _get_chat_menu_button(self, call: ApiCall) -> JSONDict:
        chat = self._resolve_chat(call.params, required=False)
        key = None if chat is None else int(chat["id"])
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "default"}

    def _get_chat(self, call: ApiCall) -> JSONDict:
        chat_id = call.chat_id
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            if isinstance(chat_id, str):
                chat = self._resolve_chat(call.params)
            else:
                raise _ApiError(400, "Bad Request: chat not found")
        assert chat is not None
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def _get_file(self, call: ApiCall) -> JSONDict:
        stored = self._files.get(_text_param(call.params, "file_id") or "")
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return stored.file_object()
