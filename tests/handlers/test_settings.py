"""/settings: a persistent conversation, in both languages."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.config import Settings
from tests.conftest import ADMIN_ID
from tests.handlers.harness import Harness, User, start_bot, texts

ADMIN = User(ADMIN_ID, first_name="Ada")


async def test_menu_shows_current_settings(bot: Harness) -> None:
    """The menu lists language, time zone, quiet hours and (for admins) the digest time."""
    sent = await bot.send(ADMIN, "/settings")
    text = texts(sent)
    assert "Language: English" in text
    assert "Time zone: UTC" in text
    assert "Quiet hours: off" in text
    assert "Daily digest at: 09:00" in text
    assert set(bot.buttons(bot.last_message_to(ADMIN.id))) == {
        "Language", "Time zone", "Quiet hours", "Digest time", "Done"
    }


async def test_switch_language_to_chinese_and_back(bot: Harness) -> None:
    """Choosing 中文 re-renders the menu in Chinese and later messages follow."""
    await bot.send(ADMIN, "/settings")
    await bot.press(ADMIN, "Language")
    edited = await bot.press(ADMIN, "中文")
    assert "语言：中文" in texts(edited)
    assert "你好" in texts(await bot.send(ADMIN, "/start"))
    await bot.send(ADMIN, "/settings")
    await bot.press(ADMIN, "语言")
    edited = await bot.press(ADMIN, "English")
    assert "Language: English" in texts(edited)


async def test_timezone_invalid_then_valid(bot: Harness) -> None:
    """A time zone we cannot read is explained and asked again; a city name works."""
    await bot.send(ADMIN, "/settings")
    prompt = await bot.press(ADMIN, "Time zone")
    assert "Send a new one" in texts(prompt)
    wrong = await bot.send(ADMIN, "Atlantis")
    assert "don't know that time zone" in texts(wrong)
    right = await bot.send(ADMIN, "shanghai")
    assert "Time zone: Asia/Shanghai" in texts(right)
    member = await bot.app.bot_data.crm.team.get(user_id=ADMIN_ID)
    assert member is not None
    assert member.timezone == "Asia/Shanghai"


async def test_commands_still_work_mid_conversation(bot: Harness) -> None:
    """/help while the bot waits for a time zone answers help and keeps waiting."""
    await bot.send(ADMIN, "/settings")
    await bot.press(ADMIN, "Time zone")
    assert "/settings" in texts(await bot.send(ADMIN, "/help"))
    assert "Time zone: Europe/Berlin" in texts(await bot.send(ADMIN, "Europe/Berlin"))


async def test_quiet_hours_and_digest_time(bot: Harness) -> None:
    """Quiet hours as a range (or off) and the digest time are saved."""
    await bot.send(ADMIN, "/settings")
    await bot.press(ADMIN, "Quiet hours")
    assert "two times" in texts(await bot.send(ADMIN, "late evening"))
    assert "Quiet hours: 22:00–08:00" in texts(await bot.send(ADMIN, "22:00-08:00"))
    await bot.press(ADMIN, "Digest time")
    assert "time like 09:00" in texts(await bot.send(ADMIN, "25:00"))
    assert "Daily digest at: 07:30" in texts(await bot.send(ADMIN, "7:30"))
    await bot.press(ADMIN, "Quiet hours")
    assert "Quiet hours: off" in texts(await bot.send(ADMIN, "off"))


async def test_chinese_inputs(bot: Harness) -> None:
    """A Chinese member can type 北京 and 关闭."""
    zh = User(ADMIN_ID, first_name="Ada", language_code="zh")
    await bot.send(zh, "/settings")
    await bot.press(zh, "时区")
    assert "时区：Asia/Shanghai" in texts(await bot.send(zh, "北京"))
    await bot.press(zh, "免打扰时段")
    assert "免打扰时段：关闭" in texts(await bot.send(zh, "关闭"))


async def test_done_and_cancel_end_the_conversation(bot: Harness) -> None:
    """Done closes the menu; afterwards typed text is not taken as a setting."""
    await bot.send(ADMIN, "/settings")
    await bot.press(ADMIN, "Time zone")
    assert "Settings saved" in texts(await bot.send(ADMIN, "/cancel"))
    assert "didn't understand" in texts(await bot.send(ADMIN, "Europe/Berlin"))
    await bot.send(ADMIN, "/settings")
    menu = bot.last_message_to(ADMIN.id)
    assert "Settings saved" in texts(await bot.press(ADMIN, "Done"))
    await bot.press_data(ADMIN, "set:tz", menu)
    assert "expired" in bot.answers()[-1]["text"]


async def test_rep_has_no_digest_setting(bot: Harness) -> None:
    """Digest time is a manager's setting."""
    member = await bot.app.bot_data.crm.team.identify(
        user_id=ADMIN_ID, full_name="Ada", username=None, language_code="en"
    )
    assert member is not None
    from bot.domain.models import Role

    invite = await bot.app.bot_data.crm.team.create_invite(actor=member, role=Role.REP)
    rep = User(3003)
    await bot.send(rep, f"/start {invite.code}")
    await bot.send(rep, "/settings")
    assert "Digest time" not in bot.buttons(bot.last_message_to(rep.id))


async def test_conversation_survives_restart(settings: Settings, clock: FakeClock) -> None:
    """A settings conversation in progress continues after the application is rebuilt."""
    async with start_bot(settings, clock) as first:
        await first.send(ADMIN, "/settings")
        await first.press(ADMIN, "Time zone")
    async with start_bot(settings, clock) as second:
        sent = await second.send(ADMIN, "Europe/Berlin")
        assert "Time zone: Europe/Berlin" in texts(sent)
