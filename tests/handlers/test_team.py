"""/team: admins see members, change roles, deactivate and reactivate."""

from __future__ import annotations

from tests.conftest import ADMIN_ID
from tests.handlers.harness import Harness, User, texts

ADMIN = User(ADMIN_ID, first_name="Ada")
REP = User(3003, first_name="Rita", username="rita")


async def _join_rep(bot: Harness) -> None:
    await bot.join(ADMIN, REP)


async def test_team_lists_members(bot: Harness) -> None:
    """Members with their roles, one button each."""
    await _join_rep(bot)
    text = texts(await bot.send(ADMIN, "/team"))
    assert "Team</b> (2)" in text
    assert "Rita @rita — sales rep" in text
    assert set(bot.buttons(bot.last_message_to(ADMIN_ID))) == {"Ada", "Rita"}


async def test_change_role_and_deactivate(bot: Harness) -> None:
    """Promote a rep, then deactivate them: they are refused; reactivate lets them back."""
    await _join_rep(bot)
    await bot.send(ADMIN, "/team")
    await bot.press(ADMIN, "Rita")
    promoted = await bot.press(ADMIN, "Make manager")
    assert "Rita @rita — manager" in texts(promoted)
    deactivated = await bot.press(ADMIN, "Deactivate")
    assert "deactivated" in texts(deactivated)
    refused = await bot.send(REP, "/start")
    assert "turned off" in texts(refused)
    await bot.press(ADMIN, "Reactivate")
    assert "signed in as manager" in texts(await bot.send(REP, "/start"))
    async with bot.app.bot_data.crm.db.read() as repo:
        actions = [e.action for e in await repo.audit.recent(entity="user", entity_id=REP.id)]
    assert actions[:3] == ["member.reactivated", "member.deactivated", "member.role_changed"]


async def test_admin_cannot_change_themselves(bot: Harness) -> None:
    """No role or deactivate buttons on one's own page, and forged presses are refused."""
    await bot.send(ADMIN, "/team")
    page = await bot.press(ADMIN, "Ada")
    assert set(bot.buttons(bot.last_message_to(ADMIN_ID))) == {"Back"}
    assert texts(page)
    await bot.press_data(ADMIN, f"team:a:{ADMIN_ID}:0", bot.last_message_to(ADMIN_ID))
    assert "Only admins" in bot.answers()[-1]["text"]
    member = await bot.app.bot_data.crm.team.get(user_id=ADMIN_ID)
    assert member is not None
    assert member.active


async def test_rep_cannot_manage_team(bot: Harness) -> None:
    """/team and its buttons are for admins only."""
    await _join_rep(bot)
    assert "Only admins" in texts(await bot.send(REP, "/team"))
    await bot.press_data(REP, f"team:r:{REP.id}:admin", bot.last_message_to(REP.id))
    assert "Only admins" in bot.answers()[-1]["text"]
