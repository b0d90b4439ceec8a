"""Permission rules over roles (pure functions) and the role helpers of Member."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.access import (
    INVITABLE_ROLES,
    INVITE_VALID_DAYS,
    can_invite,
    can_manage_team,
    sees_all_customers,
)
from bot.domain.models import Member, Role

ADMIN, MANAGER, REP = Role.ADMIN, Role.MANAGER, Role.REP

INVITE_TABLE = {
    (ADMIN, ADMIN): False,
    (ADMIN, MANAGER): True,
    (ADMIN, REP): True,
    (MANAGER, ADMIN): False,
    (MANAGER, MANAGER): False,
    (MANAGER, REP): False,
    (REP, ADMIN): False,
    (REP, MANAGER): False,
    (REP, REP): False,
}


def test_invite_table_covers_every_pair() -> None:
    """The expected table below names every (actor, role) pair."""
    assert set(INVITE_TABLE) == {(a, r) for a in Role for r in Role}


@pytest.mark.parametrize(("actor", "role"), sorted(INVITE_TABLE))
def test_can_invite(actor: Role, role: Role) -> None:
    """Only admins invite, and only reps and managers (admins come from the configuration)."""
    assert can_invite(actor, role) is INVITE_TABLE[(actor, role)]


def test_invitable_roles() -> None:
    """Invites are for reps and managers only."""
    assert set(INVITABLE_ROLES) == {REP, MANAGER}


def test_invites_last_a_week() -> None:
    """An invite is valid for seven days."""
    assert INVITE_VALID_DAYS == 7


@pytest.mark.parametrize(("actor", "expected"), [(ADMIN, True), (MANAGER, False), (REP, False)])
def test_can_manage_team(actor: Role, expected: bool) -> None:
    """Only admins change roles and deactivate members."""
    assert can_manage_team(actor) is expected


@pytest.mark.parametrize(("actor", "expected"), [(ADMIN, True), (MANAGER, True), (REP, False)])
def test_sees_all_customers(actor: Role, expected: bool) -> None:
    """Admins and managers see the team's customers; reps only their own."""
    assert sees_all_customers(actor) is expected


def _member(role: Role) -> Member:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    return Member(
        id=1,
        full_name="A",
        role=role,
        language="en",
        timezone="UTC",
        created_at=now,
        updated_at=now,
    )


@pytest.mark.parametrize(
    ("role", "is_admin", "is_manager_or_admin"),
    [(ADMIN, True, True), (MANAGER, False, True), (REP, False, False)],
)
def test_member_role_helpers(role: Role, is_admin: bool, is_manager_or_admin: bool) -> None:
    """Member.is_admin and is_manager_or_admin follow the role."""
    member = _member(role)
    assert member.is_admin is is_admin
    assert member.is_manager_or_admin is is_manager_or_admin


def test_role_values_are_stable_keys() -> None:
    """Roles are stored by these keys (the schema's CHECK constraint uses them)."""
    assert [r.value for r in Role] == ["admin", "manager", "rep"]
