"""Errors a user can cause; handlers turn each into a message in the user's language."""

from __future__ import annotations

from typing import Literal

from bot.domain.models import Customer, Member


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


class NotFound(ServiceError):
    """No such customer, or one this member may not see (the two look the same)."""


class DuplicateFound(ServiceError):
    """The new customer looks like existing ones; the person decides."""

    def __init__(self, matches: list[tuple[Customer, str]]) -> None:
        super().__init__(", ".join(f"#{c.id}" for c, _ in matches))
        self.matches = matches


class ReasonRequired(ServiceError):
    """Moving a customer to churned needs a reason."""


class FieldProblems(ServiceError):
    """Some typed values are invalid: (field, offending text) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(", ".join(field for field, _ in problems))
        self.problems = problems
