"""Who may do what: pure permission rules over roles."""

from __future__ import annotations

from bot.domain.models import Role

INVITABLE_ROLES = (Role.REP, Role.MANAGER)
INVITE_VALID_DAYS = 7


def can_invite(actor: Role, role: Role) -> bool:
    """Admins invite reps and managers; admins themselves come from the configuration."""
    return actor is Role.ADMIN and role in INVITABLE_ROLES


def can_manage_team(actor: Role) -> bool:
    """Only admins change roles and deactivate members."""
    return actor is Role.ADMIN


def sees_all_customers(actor: Role) -> bool:
    """Managers see their team's customers, admins all; reps only their own."""
    return actor in (Role.ADMIN, Role.MANAGER)
