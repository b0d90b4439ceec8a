"""Errors a user can cause; handlers turn each into a message in the user's language."""

from __future__ import annotations

from typing import Literal

from bot.domain.models import Member


class ServiceError(Exception):
    """Base of the errors a service raises for a person to read about."""


class PermissionDenied(ServiceError):
    """The member's role does not allow this."""


class InviteRefused(ServiceError):
    """An invite code cannot be used."""

    def __init__(self, reason: Literal["unknown", "used", "expired"]) -> None:
        super().__init__(reason)
        self.reason = reason


class AlreadyMember(ServiceError):
    """Someone already in the team tried to join again."""

    def __init__(self, member: Member) -> None:
        super().__init__(member.role.value)
        self.member = member


class InvalidValue(ServiceError):
    """A value a person typed is not acceptable for a field."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field
