"""The gate, /start, /help and joining by invite, in both languages."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.clock import FakeClock
from tests.conftest import ADMIN_ID
from tests.handlers.harness import Harness, User, texts

ADMIN = User(ADMIN_ID, first_name="Ada", last_name="Admin")
ADMIN_ZH = User(ADMIN_ID, first_name="Ada", language_code="zh-hans")
STRANGER = User(2002, first_name="Eve")
STRANGER_ZH = User(2003, first_name="小明", language_code="zh-hans")


async def _invite_code(bot: Harness, role: str = "rep") -> str:
    sent = await bot.send(ADMIN, f"/invite {role}")
    match = re.search(r"start=([A-Za-z0-9_-]+)", texts(sent))
    assert match, texts(sent)
    return match.group(1)


async def test_admin_from_config_is_greeted(bot: Harness) -> None:
    """A configured admin is registered at first contact and greeted as admin."""
    sent = await bot.send(ADMIN, "/start")
    assert "Hello, <b>Ada Admin</b>" in texts(sent)
    assert "signed in as admin" in texts(sent)


async def test_admin_greeted_in_chinese(bot: Harness) -> None:
    """Telegram's language code picks Chinese for a new member."""
    sent = await bot.send(ADMIN_ZH, "/start")
    assert "你好" in texts(sent)
    assert "管理员" in texts(sent)


async def test_stranger_refused_politely_and_nothing_else(bot: Harness) -> None:
    """An unknown user gets one refusal, in English, whatever they send."""
    for text in ("/start", "/help", "/invite rep", "hello"):
        sent = await bot.send(STRANGER, text)
        assert len(sent) == 1
        assert "private to a sales team" in texts(sent)
    assert await bot.app.bot_data.crm.team.get(user_id=STRANGER.id) is None


async def test_stranger_refused_in_chinese(bot: Harness) -> None:
    """The refusal is in the stranger's language."""
    sent = await bot.send(STRANGER_ZH, "/start")
    assert "仅供" in texts(sent)


async def test_stranger_button_press_gets_alert_only(bot: Harness) -> None:
    """A stranger pressing an old button is answered with an alert, no message."""
    await bot.send(ADMIN, "/settings")
    menu = bot.last_message_to(ADMIN.id)
    sent = await bot.press_data(STRANGER, "set:tz", menu)
    assert sent == []
    answer = bot.answers()[-1]
    assert answer["show_alert"] is True
    assert "private to a sales team" in answer["text"]


async def test_stranger_in_group_is_ignored(bot: Harness) -> None:
    """In a group an outsider's messages get no answer at all."""
    sent = await bot.send(STRANGER, "/help", chat_id=-100, chat_type="supergroup")
    assert sent == []


async def test_stranger_inline_query_gets_nothing(bot: Harness) -> None:
    """Inline mode shows strangers no results."""
    answers = await bot.inline(STRANGER, "acme")
    assert answers
    assert answers[-1]["results"] == []


async def test_help_depends_on_role(bot: Harness) -> None:
    """Admins see /invite and /team; a rep does not."""
    admin_help = texts(await bot.send(ADMIN, "/help"))
    assert "/invite" in admin_help
    assert "/team" in admin_help
    code = await _invite_code(bot)
    rep = User(3003, first_name="Rita")
    await bot.send(rep, f"/start {code}")
    rep_help = texts(await bot.send(rep, "/help"))
    assert "/settings" in rep_help
    assert "/invite" not in rep_help
    assert "/team" not in rep_help


async def test_invite_and_join(bot: Harness) -> None:
    """An admin's invite link lets a new person join once, with the role, and is audited."""
    sent = await bot.send(ADMIN, "/invite manager")
    text = texts(sent)
    match = re.search(r"https://t\.me/telecrm_console_bot\?start=([A-Za-z0-9_-]+)", text)
    assert match, text
    code = match.group(1)
    assert f"<code>/start {code}</code>" in text
    newcomer = User(3003, first_name="Mia", language_code="zh")
    joined = await bot.send(newcomer, f"/start {code}")
    assert "欢迎加入团队" in texts(joined)
    assert "经理" in texts(joined)
    notes = [m for m in joined if int(m["chat_id"]) == ADMIN_ID]
    assert notes
    assert "Mia joined the team as manager" in notes[0]["text"]
    member = await bot.app.bot_data.crm.team.get(user_id=newcomer.id)
    assert member is not None
    assert member.role.value == "manager"
    async with bot.app.bot_data.crm.db.read() as repo:
        actions = [e.action for e in await repo.audit.recent()]
    assert "member.joined" in actions
    assert "invite.created" in actions
    again = await bot.send(User(4004, first_name="Ola"), f"/start {code}")
    assert "already been used" in texts(again)


async def test_join_refusals(bot: Harness, clock: FakeClock) -> None:
    """Unknown and expired codes are refused; a member's /start with a code keeps it unused."""
    unknown = await bot.send(User(5005), "/start nosuchcode")
    assert "not valid" in texts(unknown)
    code = await _invite_code(bot)
    member_try = await bot.send(ADMIN, f"/start {code}")
    assert "already in the team as admin" in texts(member_try)
    clock.advance(timedelta(days=7, seconds=1))
    expired = await bot.send(User(6006), f"/start {code}")
    assert "expired" in texts(expired)
    assert await bot.app.bot_data.crm.team.get(user_id=6006) is None


async def test_rep_cannot_invite(bot: Harness) -> None:
    """Only admins invite."""
    code = await _invite_code(bot)
    rep = User(3003)
    await bot.send(rep, f"/start {code}")
    sent = await bot.send(rep, "/invite rep")
    assert "Only admins" in texts(sent)


async def test_invite_without_role_offers_buttons(bot: Harness) -> None:
    """`/invite` alone asks which role, and a button creates the invite."""
    sent = await bot.send(ADMIN, "/invite")
    assert "Whom do you want to invite" in texts(sent)
    pressed = await bot.press(ADMIN, "sales rep")
    assert "Invite for a new sales rep" in texts(pressed)


async def test_user_text_is_escaped(bot: Harness) -> None:
    """Names with HTML characters are escaped (the request class rejects bad HTML)."""
    code = await _invite_code(bot)
    tricky = User(7007, first_name="<b>Bob", last_name="& Co")
    sent = await bot.send(tricky, f"/start {code}")
    assert "&lt;b&gt;Bob &amp; Co" in texts(sent)


async def test_unknown_text_points_to_help(bot: Harness) -> None:
    """Text no feature understands gets a pointer to /help."""
    sent = await bot.send(ADMIN, "what is this")
    assert "/help" in texts(sent)


async def test_cancel_outside_conversation(bot: Harness) -> None:
    """/cancel with nothing going on says so."""
    assert "nothing to cancel" in texts(await bot.send(ADMIN, "/cancel"))
