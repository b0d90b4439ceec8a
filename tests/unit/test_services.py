"""TeamService and PreferencesService on a real database, driven by the fake clock."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.domain.models import AuditEntry, Invite, Member, Role
from bot.services import CRM
from bot.services.errors import AlreadyMember, InvalidValue, InviteRefused, PermissionDenied
from bot.services.preferences import PreferencesService
from bot.services.team import TeamService
from bot.storage.db import Database
from tests.conftest import ADMIN_ID

STRANGER = 2002
WEEK = timedelta(days=7)


@pytest.fixture
def team(db: Database, clock: FakeClock, settings: Settings) -> TeamService:
    """The team service on the test database."""
    return TeamService(db, clock, settings)


@pytest.fixture
def prefs(db: Database, clock: FakeClock) -> PreferencesService:
    """The preferences service on the test database."""
    return PreferencesService(db, clock)


@pytest.fixture
async def admin(team: TeamService) -> Member:
    """The configured admin, registered by first contact."""
    member = await team.identify(
        user_id=ADMIN_ID, full_name="Ada Admin", username="ada", language_code="en"
    )
    assert member is not None
    return member


async def _audit(
    db: Database, entity: str = "user", entity_id: int | str | None = None
) -> list[AuditEntry]:
    async with db.read() as repo:
        return await repo.audit.recent(entity=entity, entity_id=entity_id)


async def _invite(db: Database, code: str) -> Invite:
    async with db.read() as repo:
        invite = await repo.invites.get(code=code)
    assert invite is not None
    return invite


async def _join(team: TeamService, admin: Member, user_id: int, role: Role = Role.REP) -> Member:
    invite = await team.create_invite(actor=admin, role=role)
    member, _ = await team.join(
        user_id=user_id,
        full_name=f"User {user_id}",
        username=None,
        language_code=None,
        code=invite.code,
    )
    return member


# --- identify ------------------------------------------------------------------------------


async def test_identify_registers_configured_admin(
    team: TeamService, db: Database, clock: FakeClock
) -> None:
    """A configured admin's first contact registers them as admin, audited as joined via config."""
    member = await team.identify(
        user_id=ADMIN_ID, full_name="Ada", username="ada", language_code="zh-hans"
    )
    assert member is not None
    assert (member.id, member.role, member.full_name, member.username) == (
        ADMIN_ID,
        Role.ADMIN,
        "Ada",
        "ada",
    )
    assert member.language == "zh"
    assert member.timezone == "UTC"
    assert member.created_at == clock.now()
    assert await team.get(user_id=ADMIN_ID) == member
    entries = await _audit(db, entity_id=ADMIN_ID)
    assert [(e.action, e.actor_id, e.details) for e in entries] == [
        ("member.joined", ADMIN_ID, {"role": "admin", "via": "config"})
    ]


async def test_identify_second_contact_does_not_register_again(
    team: TeamService, db: Database, admin: Member
) -> None:
    """A known member is returned as stored, with no new audit row."""
    again = await team.identify(
        user_id=ADMIN_ID, full_name="Ada Admin", username="ada", language_code="zh"
    )
    assert again == admin
    assert len(await _audit(db)) == 1


async def test_identify_stranger_is_none(team: TeamService, db: Database) -> None:
    """Someone neither configured nor invited is not a member, and nothing is stored."""
    assert (
        await team.identify(user_id=STRANGER, full_name="Eve", username="eve", language_code="en")
        is None
    )
    assert await team.get(user_id=STRANGER) is None
    assert await _audit(db) == []


async def test_identify_updates_changed_name(
    team: TeamService, admin: Member, clock: FakeClock
) -> None:
    """A member who changed their Telegram name or username is updated."""
    later = clock.advance(timedelta(hours=1))
    member = await team.identify(
        user_id=ADMIN_ID, full_name="Ada Lovelace", username=None, language_code="en"
    )
    assert member is not None
    assert (member.full_name, member.username) == ("Ada Lovelace", None)
    assert member.updated_at == later
    assert await team.get(user_id=ADMIN_ID) == member


async def test_identify_deactivated_member_is_none(team: TeamService, admin: Member) -> None:
    """A deactivated member is not let in (and is known as deactivated)."""
    rep = await _join(team, admin, 3003)
    await team.set_active(actor=admin, user_id=rep.id, active=False)
    assert (
        await team.identify(
            user_id=rep.id, full_name=rep.full_name, username=None, language_code=None
        )
        is None
    )
    assert await team.is_deactivated(user_id=rep.id)
    assert not await team.is_deactivated(user_id=STRANGER)
    assert not await team.is_deactivated(user_id=ADMIN_ID)


# --- invites -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER])
async def test_create_invite(
    team: TeamService, db: Database, clock: FakeClock, admin: Member, role: Role
) -> None:
    """An admin's invite for a rep or manager is stored, unused, valid for 7 days."""
    invite = await team.create_invite(actor=admin, role=role)
    assert invite.role is role
    assert invite.created_by == ADMIN_ID
    assert invite.created_at == clock.now()
    assert invite.expires_at == clock.now() + WEEK
    assert invite.used_by is None
    assert len(invite.code) >= 16
    assert await _invite(db, invite.code) == invite


async def test_invite_codes_differ(team: TeamService, admin: Member) -> None:
    """Every invite gets its own code."""
    codes = {(await team.create_invite(actor=admin, role=Role.REP)).code for _ in range(5)}
    assert len(codes) == 5


async def test_create_invite_audit_hides_the_code(
    team: TeamService, db: Database, admin: Member
) -> None:
    """The audit row tells invites apart without holding a redeemable code."""
    invite = await team.create_invite(actor=admin, role=Role.MANAGER)
    entries = await _audit(db, entity="invite")
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.action, entry.actor_id) == ("invite.created", ADMIN_ID)
    assert entry.details["role"] == "manager"
    assert invite.code not in json.dumps(entry.model_dump(mode="json"))
    assert entry.entity_id is not None
    assert invite.code.startswith(entry.entity_id)


async def test_create_invite_for_admin_refused(
    team: TeamService, db: Database, admin: Member
) -> None:
    """Nobody is invited as admin (admins come from the configuration)."""
    with pytest.raises(PermissionDenied):
        await team.create_invite(actor=admin, role=Role.ADMIN)
    assert await _audit(db, entity="invite") == []


@pytest.mark.parametrize("actor_role", [Role.REP, Role.MANAGER])
@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER])
async def test_create_invite_non_admin_refused(
    team: TeamService, db: Database, admin: Member, actor_role: Role, role: Role
) -> None:
    """Reps and managers cannot invite anyone."""
    actor = await _join(team, admin, 3003, actor_role)
    with pytest.raises(PermissionDenied):
        await team.create_invite(actor=actor, role=role)
    assert len(await _audit(db, entity="invite")) == 1  # only the invite that brought actor in


# --- join ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER])
async def test_join_with_invite(
    team: TeamService, db: Database, clock: FakeClock, admin: Member, role: Role
) -> None:
    """Joining gives the invite's role, spends the code and is audited."""
    invite = await team.create_invite(actor=admin, role=role)
    joined_at = clock.advance(timedelta(days=3))
    member, used = await team.join(
        user_id=3003, full_name="Li Lei", username="lilei", language_code="zh-CN", code=invite.code
    )
    assert used.code == invite.code
    assert (member.id, member.role, member.full_name, member.language) == (
        3003,
        role,
        "Li Lei",
        "zh",
    )
    assert member.active
    stored = await _invite(db, invite.code)
    assert (stored.used_by, stored.used_at) == (3003, joined_at)
    entries = await _audit(db, entity_id=3003)
    assert [(e.action, e.actor_id, e.details) for e in entries] == [
        ("member.joined", 3003, {"role": role.value, "via": "invite"})
    ]
    assert (
        await team.identify(
            user_id=3003, full_name="Li Lei", username="lilei", language_code="zh-CN"
        )
        == member
    )


async def test_join_unknown_code(team: TeamService, admin: Member) -> None:
    """An unknown code is refused as unknown, and nobody is registered."""
    with pytest.raises(InviteRefused) as info:
        await team.join(
            user_id=3003, full_name="X", username=None, language_code=None, code="no-such-code"
        )
    assert info.value.reason == "unknown"
    assert await team.get(user_id=3003) is None


async def test_join_used_code(team: TeamService, admin: Member) -> None:
    """A code already spent is refused as used."""
    invite = await team.create_invite(actor=admin, role=Role.REP)
    await team.join(
        user_id=3003, full_name="A", username=None, language_code=None, code=invite.code
    )
    with pytest.raises(InviteRefused) as info:
        await team.join(
            user_id=3004, full_name="B", username=None, language_code=None, code=invite.code
        )
    assert info.value.reason == "used"
    assert await team.get(user_id=3004) is None


async def test_join_expired_code(
    team: TeamService, db: Database, clock: FakeClock, admin: Member
) -> None:
    """A code a week and a second old is refused as expired, and stays unused."""
    invite = await team.create_invite(actor=admin, role=Role.REP)
    clock.advance(WEEK + timedelta(seconds=1))
    with pytest.raises(InviteRefused) as info:
        await team.join(
            user_id=3003, full_name="A", username=None, language_code=None, code=invite.code
        )
    assert info.value.reason == "expired"
    assert await team.get(user_id=3003) is None
    assert (await _invite(db, invite.code)).used_by is None


async def test_join_at_expiry(team: TeamService, clock: FakeClock, admin: Member) -> None:
    """At exactly a week the code has expired (validity is [created, expires))."""
    invite = await team.create_invite(actor=admin, role=Role.REP)
    clock.advance(WEEK)
    with pytest.raises(InviteRefused) as info:
        await team.join(
            user_id=3003, full_name="A", username=None, language_code=None, code=invite.code
        )
    assert info.value.reason == "expired"


async def test_join_just_before_expiry(team: TeamService, clock: FakeClock, admin: Member) -> None:
    """A code is still good a second before its week is over."""
    invite = await team.create_invite(actor=admin, role=Role.REP)
    clock.advance(WEEK - timedelta(seconds=1))
    member, _ = await team.join(
        user_id=3003, full_name="A", username=None, language_code=None, code=invite.code
    )
    assert member.role is Role.REP


async def test_join_already_member_keeps_the_code(
    team: TeamService, db: Database, admin: Member
) -> None:
    """An active member opening an invite gets AlreadyMember, and the code is not spent."""
    rep = await _join(team, admin, 3003)
    invite = await team.create_invite(actor=admin, role=Role.MANAGER)
    with pytest.raises(AlreadyMember) as info:
        await team.join(
            user_id=rep.id,
            full_name=rep.full_name,
            username=None,
            language_code=None,
            code=invite.code,
        )
    assert info.value.member.id == rep.id
    assert (await _invite(db, invite.code)).used_by is None
    assert (await team.get(user_id=rep.id)) == rep


async def test_configured_admin_opening_invite_is_already_member(
    team: TeamService, admin: Member
) -> None:
    """The configured admin cannot demote themselves by opening an invite link."""
    invite = await team.create_invite(actor=admin, role=Role.REP)
    with pytest.raises(AlreadyMember):
        await team.join(
            user_id=ADMIN_ID, full_name="Ada", username=None, language_code=None, code=invite.code
        )
    member = await team.get(user_id=ADMIN_ID)
    assert member is not None
    assert member.role is Role.ADMIN


async def test_deactivated_member_rejoins(
    team: TeamService, db: Database, clock: FakeClock, admin: Member
) -> None:
    """A deactivated member comes back with a new invite, taking its role."""
    rep = await _join(team, admin, 3003, Role.REP)
    await team.set_active(actor=admin, user_id=rep.id, active=False)
    invite = await team.create_invite(actor=admin, role=Role.MANAGER)
    back_at = clock.advance(timedelta(days=1))
    member, _ = await team.join(
        user_id=rep.id,
        full_name=rep.full_name,
        username=None,
        language_code=None,
        code=invite.code,
    )
    assert (member.active, member.role) == (True, Role.MANAGER)
    assert member.created_at == rep.created_at
    assert (await _invite(db, invite.code)).used_by == rep.id
    entries = await _audit(db, entity_id=rep.id)
    assert entries[0].action == "member.rejoined"
    assert entries[0].details == {"role": "manager", "via": "invite"}
    assert entries[0].at == back_at
    assert (
        await team.identify(
            user_id=rep.id, full_name=rep.full_name, username=None, language_code=None
        )
        == member
    )


async def test_deactivated_member_with_used_code_stays_out(
    team: TeamService, admin: Member
) -> None:
    """A deactivated member cannot come back with a spent code."""
    invite = await team.create_invite(actor=admin, role=Role.REP)
    rep, _ = await team.join(
        user_id=3003, full_name="A", username=None, language_code=None, code=invite.code
    )
    await team.set_active(actor=admin, user_id=rep.id, active=False)
    with pytest.raises(InviteRefused) as info:
        await team.join(
            user_id=rep.id, full_name="A", username=None, language_code=None, code=invite.code
        )
    assert info.value.reason == "used"
    assert await team.is_deactivated(user_id=rep.id)


# --- roles and activity --------------------------------------------------------------------


async def test_set_role(team: TeamService, db: Database, clock: FakeClock, admin: Member) -> None:
    """An admin changes a member's role; the audit row says from what to what, and who."""
    rep = await _join(team, admin, 3003, Role.REP)
    at = clock.advance(timedelta(minutes=1))
    member = await team.set_role(actor=admin, user_id=rep.id, role=Role.MANAGER)
    assert member.role is Role.MANAGER
    assert member.updated_at == at
    entry = (await _audit(db, entity_id=rep.id))[0]
    assert (entry.action, entry.actor_id, entry.at) == ("member.role_changed", ADMIN_ID, at)
    assert entry.details == {"role": {"from": "rep", "to": "manager"}}


async def test_set_role_not_on_oneself(team: TeamService, db: Database, admin: Member) -> None:
    """An admin cannot change their own role."""
    with pytest.raises(PermissionDenied):
        await team.set_role(actor=admin, user_id=admin.id, role=Role.REP)
    member = await team.get(user_id=admin.id)
    assert member is not None
    assert member.role is Role.ADMIN


@pytest.mark.parametrize("actor_role", [Role.REP, Role.MANAGER])
async def test_set_role_admins_only(
    team: TeamService, db: Database, admin: Member, actor_role: Role
) -> None:
    """Reps and managers cannot change roles, even of a rep."""
    actor = await _join(team, admin, 3003, actor_role)
    target = await _join(team, admin, 3004, Role.REP)
    with pytest.raises(PermissionDenied):
        await team.set_role(actor=actor, user_id=target.id, role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        await team.set_active(actor=actor, user_id=target.id, active=False)
    assert await team.get(user_id=target.id) == target


async def test_set_role_unknown_member(team: TeamService, admin: Member) -> None:
    """Changing someone who is not a member is a LookupError."""
    with pytest.raises(LookupError):
        await team.set_role(actor=admin, user_id=STRANGER, role=Role.REP)


async def test_set_active(team: TeamService, db: Database, admin: Member) -> None:
    """An admin deactivates and reactivates a member, each audited with from/to."""
    rep = await _join(team, admin, 3003)
    off = await team.set_active(actor=admin, user_id=rep.id, active=False)
    assert off.active is False
    on = await team.set_active(actor=admin, user_id=rep.id, active=True)
    assert on.active is True
    entries = await _audit(db, entity_id=rep.id)
    assert [(e.action, e.details) for e in entries[:2]] == [
        ("member.reactivated", {"active": {"from": "False", "to": "True"}}),
        ("member.deactivated", {"active": {"from": "True", "to": "False"}}),
    ]
    assert {e.actor_id for e in entries[:2]} == {ADMIN_ID}


async def test_set_active_not_on_oneself(team: TeamService, admin: Member) -> None:
    """An admin cannot lock themselves out."""
    with pytest.raises(PermissionDenied):
        await team.set_active(actor=admin, user_id=admin.id, active=False)
    assert not await team.is_deactivated(user_id=admin.id)


async def test_members_lists_everyone(team: TeamService, admin: Member) -> None:
    """members() lists active and deactivated members, admins first."""
    rep = await _join(team, admin, 3003)
    manager = await _join(team, admin, 3004, Role.MANAGER)
    await team.set_active(actor=admin, user_id=rep.id, active=False)
    assert [m.id for m in await team.members()] == [admin.id, manager.id, rep.id]


# --- admin chats and housekeeping ----------------------------------------------------------


async def test_admin_chat_ids(team: TeamService, db: Database, clock: FakeClock) -> None:
    """Configured admins (registered or not) and active registered admins, sorted."""
    assert await team.admin_chat_ids() == [ADMIN_ID]
    async with db.transaction() as tx:
        for user_id, role in [(5, Role.ADMIN), (7, Role.ADMIN), (9, Role.MANAGER)]:
            await tx.users.add(
                user_id=user_id,
                full_name=str(user_id),
                username=None,
                role=role,
                language="en",
                timezone="UTC",
                at=clock.now(),
            )
        await tx.users.update(user_id=7, at=clock.now(), active=False)
    assert await team.admin_chat_ids() == [5, ADMIN_ID]


async def test_purge_expired_invites(
    team: TeamService, db: Database, clock: FakeClock, admin: Member
) -> None:
    """Only unused invites past their expiry are purged."""
    used = await team.create_invite(actor=admin, role=Role.REP)
    await team.join(user_id=3003, full_name="A", username=None, language_code=None, code=used.code)
    stale = await team.create_invite(actor=admin, role=Role.REP)
    clock.advance(timedelta(days=2))
    fresh = await team.create_invite(actor=admin, role=Role.REP)
    assert await team.purge_expired_invites() == 0
    clock.advance(WEEK - timedelta(days=1))
    assert await team.purge_expired_invites() == 1
    async with db.read() as repo:
        assert await repo.invites.get(code=stale.code) is None
        assert await repo.invites.get(code=used.code) is not None
        assert await repo.invites.get(code=fresh.code) is not None


# --- preferences ---------------------------------------------------------------------------


async def _stored(db: Database, user_id: int) -> Member | None:
    async with db.read() as repo:
        return await repo.users.get(user_id=user_id)


async def _settings_audit(db: Database, member: Member) -> list[AuditEntry]:
    return [
        e for e in await _audit(db, entity_id=member.id) if e.action == "member.settings_changed"
    ]


async def test_set_language(
    prefs: PreferencesService, db: Database, clock: FakeClock, admin: Member
) -> None:
    """Switching to a supported language is stored and audited."""
    at = clock.advance(timedelta(minutes=1))
    member = await prefs.set_language(member=admin, language="zh")
    assert member.language == "zh"
    assert member.updated_at == at
    entries = await _settings_audit(db, admin)
    assert [(e.actor_id, e.details, e.at) for e in entries] == [(ADMIN_ID, {"language": "zh"}, at)]


@pytest.mark.parametrize("language", ["fr", "", "ZH", "zh-hans"])
async def test_set_language_invalid(
    prefs: PreferencesService, db: Database, admin: Member, language: str
) -> None:
    """An unsupported language is an InvalidValue for the language field; nothing changes."""
    with pytest.raises(InvalidValue) as info:
        await prefs.set_language(member=admin, language=language)
    assert info.value.field == "language"
    assert await _settings_audit(db, admin) == []


async def test_set_timezone(prefs: PreferencesService, db: Database, admin: Member) -> None:
    """A valid IANA zone is stored and audited."""
    member = await prefs.set_timezone(member=admin, timezone="Asia/Shanghai")
    assert member.timezone == "Asia/Shanghai"
    entries = await _settings_audit(db, admin)
    assert [e.details for e in entries] == [{"timezone": "Asia/Shanghai"}]


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "/etc/localtime", "../Europe/Berlin"])
async def test_set_timezone_invalid(
    prefs: PreferencesService, db: Database, admin: Member, zone: str
) -> None:
    """An unknown zone is an InvalidValue for the timezone field; nothing changes."""
    with pytest.raises(InvalidValue) as info:
        await prefs.set_timezone(member=admin, timezone=zone)
    assert info.value.field == "timezone"
    assert await _settings_audit(db, admin) == []


async def test_set_timezone_folder_name_is_invalid(
    prefs: PreferencesService, admin: Member
) -> None:
    """A tz database folder name ('Europe') is an InvalidValue, not a crash."""
    with pytest.raises(InvalidValue):
        await prefs.set_timezone(member=admin, timezone="Europe")


async def test_set_quiet_hours(prefs: PreferencesService, db: Database, admin: Member) -> None:
    """Quiet hours are stored and audited as HH:MM; None/None clears them."""
    member = await prefs.set_quiet_hours(member=admin, start=time(22, 0), end=time(7, 30))
    assert (member.quiet_start, member.quiet_end) == (time(22, 0), time(7, 30))
    member = await prefs.set_quiet_hours(member=member, start=None, end=None)
    assert (member.quiet_start, member.quiet_end) == (None, None)
    entries = await _settings_audit(db, admin)
    assert [e.details for e in entries] == [
        {"quiet_start": None, "quiet_end": None},
        {"quiet_start": "22:00", "quiet_end": "07:30"},
    ]


@pytest.mark.parametrize(
    ("start", "end"), [(time(22, 0), None), (None, time(7, 0)), (time(8, 0), time(8, 0))]
)
async def test_set_quiet_hours_invalid(
    prefs: PreferencesService, db: Database, admin: Member, start: time | None, end: time | None
) -> None:
    """One end without the other, or equal ends, is an InvalidValue."""
    with pytest.raises(InvalidValue) as info:
        await prefs.set_quiet_hours(member=admin, start=start, end=end)
    assert info.value.field == "quiet_hours"
    assert await _settings_audit(db, admin) == []


async def test_set_digest_time(prefs: PreferencesService, db: Database, admin: Member) -> None:
    """The digest time is stored to the minute and audited."""
    member = await prefs.set_digest_time(member=admin, at=time(8, 30, 45, 1234))
    assert member.digest_time == time(8, 30)
    assert await _stored(db, admin.id) == member
    entries = await _settings_audit(db, admin)
    assert [e.details for e in entries] == [{"digest_time": "08:30"}]


# --- the CRM facade ------------------------------------------------------------------------


async def test_crm_open_builds_services(settings: Settings, clock: FakeClock) -> None:
    """CRM.open opens and migrates the configured database and shares it with the services."""
    crm = await CRM.open(settings, clock)
    try:
        assert crm.db.path == settings.database_path
        assert await crm.db.schema_version() >= 1
        member = await crm.team.identify(
            user_id=ADMIN_ID, full_name="Ada", username=None, language_code=None
        )
        assert member is not None
        assert member.language == settings.default_language
        changed = await crm.preferences.set_language(member=member, language="zh")
        assert (await crm.team.get(user_id=ADMIN_ID)) == changed
    finally:
        await crm.close()
