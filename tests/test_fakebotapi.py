"""Tests of the fake Bot API server itself, driven by a real telegram.Bot and raw HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import telegram
from aiohttp import web
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from tests.fakebotapi import (
    SECRET_HEADER,
    ApiCall,
    FakeBotAPI,
    Fault,
    TelegramHTMLError,
    parse_telegram_html,
)

USER = 4242
SERVER_ERROR = "Internal Server Error"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without it PTB warns (an error here) whenever a duration such as retry_after is read.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


def make_bot(api: FakeBotAPI, **kwargs: Any) -> telegram.Bot:
    return telegram.Bot(
        api.token, base_url=api.base_url, base_file_url=api.base_file_url, **kwargs
    )


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[telegram.Bot]:
    async with make_bot(api) as client:
        yield client


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


# ---- basics ----------------------------------------------------------------------------------


async def test_get_me(api: FakeBotAPI, bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.id == api.bot_id
    assert me.is_bot
    assert me.username == "telecrm_test_bot"
    assert me.first_name == "telecrm test"
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    assert me.supports_inline_queries is True
    assert api.base_url == f"http://127.0.0.1:{api.port}/bot"
    assert [call.method for call in api.calls] == ["getMe", "getMe"]  # initialize + ours


async def test_wrong_token_is_401_and_unknown_method_404(
    api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    wrong = telegram.Bot("999:WRONG", base_url=api.base_url)
    try:
        with pytest.raises(InvalidToken):
            await wrong.initialize()
    finally:
        await wrong.shutdown()

    response = await http.post(f"{api.base_url}999:WRONG/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}

    response = await http.post(f"{api.base_url}{api.token}/noSuchMethod")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

    # Method names are case-insensitive, and GET with a query string works too.
    response = await http.get(f"{api.base_url}{api.token}/GETME")
    assert response.json()["result"]["username"] == api.bot_username
    assert api.calls[-1].method == "getMe"


async def test_json_body_and_form_values_are_decoded(
    api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    url = f"{api.base_url}{api.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    response = await http.post(url, json={"chat_id": 5, "text": "json", "reply_markup": markup})
    assert response.json()["result"]["reply_markup"] == markup
    # PTB's style: form fields, JSON-encoded unless the parameter is a string.
    form = {"chat_id": "5", "text": "[1, 2]", "reply_markup": '{"remove_keyboard": true}'}
    response = await http.post(url, data=form)
    assert response.json()["ok"] is True
    call = api.calls[-1]
    assert call.params == {
        "chat_id": 5,
        "text": "[1, 2]",
        "reply_markup": {"remove_keyboard": True},
    }
    assert call.chat_id == 5


# ---- getUpdates --------------------------------------------------------------------------------


async def test_get_updates_offset_confirms_and_redelivers(
    api: FakeBotAPI, bot: telegram.Bot
) -> None:
    first = api.message_update(user_id=USER, text="one")
    second = api.message_update(user_id=USER, text="two")
    assert (first, second) == (1, 2)

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [1, 2]
    assert [u.message.text for u in updates if u.message] == ["one", "two"]
    assert [u.update_id for u in await bot.get_updates()] == [1, 2]  # unconfirmed: again
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [1]

    assert [u.update_id for u in await bot.get_updates(offset=2)] == [2]
    assert [u.update_id for u in await bot.get_updates(offset=0)] == [2]  # 1 is gone for good
    assert await bot.get_updates(offset=3) == ()
    assert api.pending_updates == []
    api.message_update(user_id=USER, text="three")
    assert [u.update_id for u in await bot.get_updates(offset=3)] == [3]


async def test_long_poll_wakes_up_when_an_update_is_pushed(
    api: FakeBotAPI, bot: telegram.Bot
) -> None:
    start = len(api.calls)
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for_call("getUpdates", start=start, timeout=2)
    assert not poll.done()

    pushed_at = time.monotonic()
    update_id = api.message_update(user_id=USER, text="wake up")
    async with asyncio.timeout(2):
        updates = await poll
    assert [u.update_id for u in updates] == [update_id]
    assert time.monotonic() - pushed_at < 1


async def test_stop_releases_a_long_poll(http: httpx.AsyncClient) -> None:
    server = FakeBotAPI()
    await server.start()
    url = f"{server.base_url}{server.token}/getUpdates"
    try:
        poll = asyncio.create_task(http.post(url, data={"timeout": "30"}))
        await server.wait_for_call("getUpdates", timeout=2)
    finally:
        async with asyncio.timeout(2):
            await server.stop()
    async with asyncio.timeout(2):
        response = await poll
    assert response.json() == {"ok": True, "result": []}


async def test_a_second_long_poll_terminates_the_first(
    api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    url = f"{api.base_url}{api.token}/getUpdates"
    first = asyncio.create_task(http.post(url, data={"timeout": "5"}))
    await api.wait_for_call("getUpdates", timeout=2)
    second = asyncio.create_task(http.post(url, data={"timeout": "0"}))
    async with asyncio.timeout(2):
        terminated, answered = await asyncio.gather(first, second)
    assert terminated.status_code == 409
    assert "terminated by other getUpdates request" in terminated.json()["description"]
    assert answered.json() == {"ok": True, "result": []}


async def test_allowed_updates_filter_like_telegram(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.push_update({"chat_member": {"date": 0}})  # opt-in type: dropped by default
    message = api.message_update(user_id=USER, text="hi")
    assert [u.update_id for u in await bot.get_updates()] == [message]
    inline = api.inline_query_update(user_id=USER, query="acme")
    updates = await bot.get_updates(offset=message + 1, allowed_updates=["inline_query"])
    assert [u.update_id for u in updates] == [inline]


# ---- webhook -----------------------------------------------------------------------------------


async def test_webhook_delivery_with_secret_and_retry(api: FakeBotAPI, bot: telegram.Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        assert await bot.set_webhook(url, secret_token="s3cret_token-1")
        assert (api.webhook_url, api.webhook_secret) == (url, "s3cret_token-1")
        update_id = api.message_update(user_id=USER, text="via webhook")

        await api.wait_until(lambda: (update_id, 200) in api.webhook_deliveries, timeout=3)
        assert api.webhook_deliveries == [(update_id, 500), (update_id, 200)]
        assert [secret for secret, _ in received] == ["s3cret_token-1"] * 2
        assert received[1][1]["update_id"] == update_id
        assert received[1][1]["message"]["text"] == "via webhook"

        info = await bot.get_webhook_info()
        assert info.url == url
        assert info.pending_update_count == 0
        assert info.has_custom_certificate is False
        assert info.last_error_message == f"Wrong response from the webhook: 500 {SERVER_ERROR}"
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await bot.get_updates()

        assert await bot.delete_webhook()
        assert api.webhook_url is None
        later = api.message_update(user_id=USER, text="polled again")
        assert [u.update_id for u in await bot.get_updates()] == [later]
        assert len(received) == 2
    finally:
        await runner.cleanup()


# ---- faults ------------------------------------------------------------------------------------


async def test_retry_after_fault(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.inject("sendMessage", Fault.retry_after(7))
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert api.calls_to("sendMessage")[0].response_status == 429
    await bot.send_message(USER, "hi")  # the fault was consumed
    assert [m["text"] for m in api.sent_messages(USER)] == ["hi"]


@pytest.mark.parametrize("status", [500, 502])
async def test_server_error_fault(api: FakeBotAPI, bot: telegram.Bot, status: int) -> None:
    api.inject("*", Fault.server_error(status))
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "hi")
    assert api.calls[-1].response_status == status
    assert api.sent_messages() == []


async def test_drop_fault_closes_the_connection(
    api: FakeBotAPI, bot: telegram.Bot, http: httpx.AsyncClient
) -> None:
    api.inject("sendMessage", Fault.drop())
    with pytest.raises(NetworkError, match="RemoteProtocolError"):
        await bot.send_message(USER, "lost")
    assert api.calls[-1].response_status == 0
    assert api.sent_messages() == []

    api.inject("getMe", Fault.drop())
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post(f"{api.base_url}{api.token}/getMe")

    # after_handling: the message is sent but the answer is lost (a retry would duplicate it).
    api.inject("sendMessage", Fault.drop(after_handling=True))
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "sent anyway")
    assert [m["text"] for m in api.sent_messages(USER)] == ["sent anyway"]


async def test_forbidden_fault_and_blocked_chat(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.inject("sendMessage", Fault.forbidden())
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "hi")
    await bot.send_message(USER, "hi")

    api.block(USER)
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(USER, "still blocked")
    api.unblock(USER)
    await bot.send_message(USER, "back")


async def test_delay_fault_times_the_client_out(api: FakeBotAPI) -> None:
    async with make_bot(api, request=HTTPXRequest(read_timeout=0.2)) as slow_bot:
        api.inject("sendMessage", Fault.delay(5))
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await slow_bot.send_message(USER, "slow")
        assert time.monotonic() - started < 2
        # A delay shorter than the client's timeout is just a slow, normal answer.
        api.inject("sendMessage", Fault.delay(0.01))
        message = await slow_bot.send_message(USER, "a bit slow")
        assert message.text == "a bit slow"


async def test_faults_can_target_one_chat(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.inject("SENDMESSAGE", Fault.forbidden(), chat_id=2)
    await bot.send_message(1, "to one")
    with pytest.raises(Forbidden):
        await bot.send_message(2, "to two")
    await bot.send_message(2, "to two again")
    assert [m["text"] for m in api.sent_messages(2)] == ["to two again"]


# ---- HTML and messages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        # Byte offsets count UTF-8 bytes, as in Telegram's own test-suite examples.
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ("🏟 🏟&lt;<i>a</em   >", 'Unmatched end tag at byte offset 17, expected "</i>"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_html_parser_rejects_like_telegram(text: str, error: str) -> None:
    with pytest.raises(TelegramHTMLError) as caught:
        parse_telegram_html(text)
    assert error in str(caught.value)


def test_html_parser_entities() -> None:
    markup = (
        '🏟 <b>bold <i>both</i></b> &lt;&amp;&gt;&quot;&#33;&#x21; <a href="https://x.io/?a=1&b=2">'
        'l</a> <tg-spoiler>s</tg-spoiler> <pre><code class="language-py">c</code></pre>'
        " <blockquote expandable>q</blockquote>"
    )
    plain, entities = parse_telegram_html(markup)
    assert plain == '🏟 bold both <&>"!! l s c q'
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},  # the emoji is two UTF-16 units
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "offset": 20, "length": 1, "url": "https://x.io/?a=1&b=2"},
        {"type": "spoiler", "offset": 22, "length": 1},
        {"type": "pre", "offset": 24, "length": 1, "language": "py"},
        {"type": "expandable_blockquote", "offset": 26, "length": 1},
    ]
    assert parse_telegram_html("AT&T", strict_ampersand=False) == ("AT&T", [])


async def test_html_validation_through_ptb(api: FakeBotAPI, bot: telegram.Bot) -> None:
    for bad in ("<b>x", "a < b"):
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(USER, bad, parse_mode="HTML")
    assert api.sent_messages() == []

    message = await bot.send_message(USER, "a &lt; b <b>x</b>", parse_mode="HTML")
    assert message.text == "a < b x"
    assert message.text_html == "a &lt; b <b>x</b>"
    stored = api.sent_messages(USER)[0]
    assert stored["text"] == "a &lt; b <b>x</b>"
    assert stored["plain_text"] == "a < b x"
    assert stored["from"]["id"] == api.bot_id
    assert stored["message_id"] == message.message_id

    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "x" * 4097)
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # counts plain


async def test_edit_message_text_updates_sent_messages(api: FakeBotAPI, bot: telegram.Bot) -> None:
    keyboard = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("Next", callback_data="next")]]
    )
    sent = await bot.send_message(777, "page 1", reply_markup=keyboard)  # chat made on the fly
    assert sent.reply_markup == keyboard

    edited = await bot.edit_message_text("<i>page 2</i>", 777, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, telegram.Message)
    assert edited.text == "page 2"
    stored = api.sent_messages(777)[0]
    assert (stored["text"], stored["plain_text"], stored["edits"]) == (
        "<i>page 2</i>",
        "page 2",
        1,
    )
    assert "reply_markup" not in stored  # omitting reply_markup removes the keyboard

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("<i>page 2</i>", 777, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", 777, 999)

    await bot.edit_message_reply_markup(777, sent.message_id, reply_markup=keyboard)
    assert stored["reply_markup"] == keyboard.to_dict()
    assert stored["edits"] == 2
    assert await bot.delete_message(777, sent.message_id)
    assert stored["deleted"] is True
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("gone", 777, sent.message_id)


async def test_replies_and_captionless_media(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.message_update(user_id=USER, text="question")
    reply = await bot.send_message(USER, "answer", reply_parameters=telegram.ReplyParameters(1))
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "question"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(USER, "x", reply_parameters=telegram.ReplyParameters(99))

    photo = await bot.send_photo(USER, b"img")
    assert photo.caption is None
    assert api.sent_messages(USER)[-1]["plain_text"] == ""
    assert api.sent_messages(USER)[-1]["message_id"] == photo.message_id == 3


async def test_callback_data_limit(api: FakeBotAPI, bot: telegram.Bot) -> None:
    too_long = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("x", callback_data="x" * 65)]]
    )
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "hi", reply_markup=too_long)


async def test_send_document_keeps_multipart_bytes(api: FakeBotAPI, bot: telegram.Bot) -> None:
    content = b"name,phone\nAcme,+100\n"
    message = await bot.send_document(
        USER, content, filename="export.csv", caption="<b>Export</b>", parse_mode="HTML"
    )
    assert message.document is not None
    assert message.document.file_name == "export.csv"
    assert message.document.mime_type == "text/csv"
    assert message.caption == "Export"

    call = api.calls_to("sendDocument")[0]
    assert call.files == {"document": content}
    assert call.file_info["document"] == ("export.csv", "text/csv")
    stored = api.sent_messages(USER)[0]
    assert stored["plain_text"] == "Export"
    assert api.file_bytes(stored["document"]["file_id"]) == content

    photo = await bot.send_photo(USER, b"\x89PNG fake", caption="pic")
    assert api.calls_to("sendPhoto")[0].files == {"photo": b"\x89PNG fake"}
    assert api.file_bytes(photo.photo[-1].file_id) == b"\x89PNG fake"


async def test_get_file_and_download(api: FakeBotAPI, bot: telegram.Bot) -> None:
    content = "name;phone\nÄcme;+49\n".encode()
    api.document_update(user_id=USER, file_name="leads.csv", content=content, caption="import")
    (update,) = await bot.get_updates()
    assert update.message is not None
    document = update.message.document
    assert document is not None
    assert (document.file_name, document.mime_type, document.file_size) == (
        "leads.csv",
        "text/csv",
        len(content),
    )
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == content
    assert file.file_path == f"{api.base_file_url}{api.token}/{api.downloads[0]}"
    with pytest.raises(BadRequest):
        await bot.get_file("no-such-file")


# ---- update builders as parsed by PTB ---------------------------------------------------------


async def test_update_builders_parse_in_ptb(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.message_update(user_id=USER, text="/start@telecrm_test_bot ref-1", username="ann")
    api.contact_update(user_id=USER, phone_number="+15550001", first_name="Ann", last_name="Lee")
    api.inline_query_update(user_id=USER, query="acme")
    group = api.message_update(
        user_id=USER, text="/help", chat_id=-100123, chat_type="supergroup", chat_title="Sales"
    )
    command, contact, inline, group_update = await bot.get_updates()

    assert command.message is not None
    (entity,) = command.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 23)
    assert command.message.from_user is not None
    assert command.message.from_user.username == "ann"
    assert command.message.from_user.language_code == "en"
    assert command.message.chat.type == "private"

    assert contact.message is not None
    assert contact.message.contact is not None
    assert contact.message.contact.phone_number == "+15550001"
    assert contact.message.contact.last_name == "Lee"

    assert inline.inline_query is not None
    assert inline.inline_query.query == "acme"
    result = telegram.InlineQueryResultArticle(
        "1", "Acme", telegram.InputTextMessageContent("<b>Acme", parse_mode="HTML")
    )
    with pytest.raises(BadRequest, match=r"(?i)can't parse inline query result"):
        await bot.answer_inline_query(inline.inline_query.id, [result])
    result = telegram.InlineQueryResultArticle("1", "Acme", telegram.InputTextMessageContent("A"))
    assert await bot.answer_inline_query(inline.inline_query.id, [result])

    assert group_update.update_id == group
    assert group_update.message is not None
    assert group_update.message.chat.title == "Sales"
    assert group_update.message.message_id == 1  # message ids count per chat


async def test_callback_query_roundtrip(api: FakeBotAPI, bot: telegram.Bot) -> None:
    keyboard = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("Yes", callback_data="yes")]]
    )
    await bot.send_message(USER, "<b>Sure?</b>", parse_mode="HTML", reply_markup=keyboard)
    api.callback_update(user_id=USER, message=api.sent_messages(USER)[0], data="yes")
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert query.data == "yes"
    assert isinstance(query.message, telegram.Message)
    assert query.message.text == "Sure?"  # the bot sees plain text plus entities
    assert query.message.text_html == "<b>Sure?</b>"
    assert await query.answer("Done")
    assert api.callback_answers[query.id]["text"] == "Done"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("twice")


async def test_commands_descriptions_and_chat_info(api: FakeBotAPI, bot: telegram.Bot) -> None:
    commands = [telegram.BotCommand("start", "Start"), telegram.BotCommand("help", "Help")]
    assert await bot.set_my_commands(commands)
    assert await bot.set_my_commands(
        [telegram.BotCommand("start", "Старт")],
        scope=telegram.BotCommandScopeAllPrivateChats(),
        language_code="ru",
    )
    assert await bot.get_my_commands() == tuple(commands)
    assert [c.description for c in await bot.get_my_commands(language_code="ru")] == []
    assert api.commands[("all_private_chats", "ru")] == [
        {"command": "start", "description": "Старт"}
    ]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([telegram.BotCommand("/Start", "bad")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    assert await bot.set_my_description("A CRM", language_code="en")
    assert await bot.set_my_short_description("CRM")
    assert api.descriptions == {"en": "A CRM"}
    assert api.short_descriptions == {"": "CRM"}
    assert await bot.set_chat_menu_button(menu_button=telegram.MenuButtonCommands())
    assert api.menu_buttons == {None: {"type": "commands"}}
    assert await bot.send_chat_action(USER, "typing")

    api.message_update(user_id=USER, text="hi", first_name="Ann")
    chat = await bot.get_chat(USER)
    assert (chat.id, chat.type, chat.first_name) == (USER, "private", "Ann")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat(-5)


# ---- waiting helpers and isolation ------------------------------------------------------------


async def test_wait_for_message_and_timeouts(api: FakeBotAPI, bot: telegram.Bot) -> None:
    waiter = asyncio.create_task(
        api.wait_for_message(USER, lambda m: m["plain_text"].startswith("second"), timeout=2)
    )
    await bot.send_message(USER, "first")
    await bot.send_message(USER, "second one")
    assert (await waiter)["plain_text"] == "second one"
    call: ApiCall = await api.wait_for_call("sendMessage", start=1)
    assert call.params["text"] == "first"

    with pytest.raises(AssertionError, match=r"no editMessageText call[\s\S]*#1 sendMessage"):
        await api.wait_for_call("editMessageText", timeout=0.05)
    with pytest.raises(AssertionError, match="'second one'"):
        await api.wait_for_message(USER, lambda m: m["edits"] > 0, timeout=0.05)


async def test_instances_are_independent() -> None:
    async with FakeBotAPI() as one, FakeBotAPI(bot_username="other_bot") as two:
        assert one.port != two.port
        async with make_bot(one) as bot_one, make_bot(two) as bot_two:
            await bot_one.send_message(1, "to one")
            assert bot_two.username == "other_bot"
        assert [m["text"] for m in one.sent_messages()] == ["to one"]
        assert two.sent_messages() == []
        assert [c.method for c in two.calls] == ["getMe"]
