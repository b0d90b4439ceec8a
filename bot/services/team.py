"""Membership use cases: who is in the team, invites, joining, roles."""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.domain.access import INVITE_VALID_DAYS, can_invite, can_manage_team
from bot.domain.models import Invite, Member, Role
from bot.i18n import resolve_language
from bot.services.errors import AlreadyMember, InviteRefused, PermissionDenied
from bot.storage.db import Database


class TeamService:
    """Team membership; every change is audited in its own transaction."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings

    async def identify(
        self, *, user_id: int, full_name: str, username: str | None, language_code: str | None
    ) -> Member | None:
        """The active member behind a Telegram user, registering configured admins on sight."""
        async with self._db.read() as repo:
            member = await repo.users.get(user_id=user_id)
        if member is None:
            if user_id not in self._settings.admin_ids:
                return None
            return await self._register(
                user_id=user_id,
                full_name=full_name,
                username=username,
                language_code=language_code,
                role=Role.ADMIN,
                via="config",
            )
        if not member.active:
            return None
        changed: dict[str, object] = {}
        if (member.full_name, member.username) != (full_name, username):
            changed.update(full_name=full_name, username=username)
        if not member.reachable:
            changed["reachable"] = True  # they talk to us: they unblocked the bot
        if changed:
            async with self._db.transaction() as tx:
                member = await tx.users.update(user_id=user_id, at=self._clock.now(), **changed)
        return member

    async def get(self, *, user_id: int) -> Member | None:
        """A member by Telegram id, active or not."""
        async with self._db.read() as repo:
            return await repo.users.get(user_id=user_id)

    async def is_deactivated(self, *, user_id: int) -> bool:
        """Whether this user was a member whose access was turned off."""
        member = await self.get(user_id=user_id)
        return member is not None and not member.active

    async def _register(
        self,
        *,
        user_id: int,
        full_name: str,
        username: str | None,
        language_code: str | None,
        role: Role,
        via: str,
        invite_code: str | None = None,
    ) -> Member:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            member = await tx.users.add(
                user_id=user_id,
                full_name=full_name,
                username=username,
                role=role,
                language=resolve_language(language_code, self._settings.default_language),
                timezone=self._settings.default_timezone,
                at=now,
            )
            # The invite names its user, so it is spent after the user row exists; losing
            # the race to another redeemer rolls the whole join back.
            if invite_code is not None and not await tx.invites.mark_used(
                code=invite_code, used_by=user_id, at=now
            ):
                raise InviteRefused("used")
            await tx.audit.add(
                actor_id=user_id,
                action="member.joined",
                entity="user",
                entity_id=user_id,
                at=now,
                details={"role": role.value, "via": via},
            )
        return member

    async def create_invite(self, *, actor: Member, role: Role) -> Invite:
        """A one-time code, valid for a week, to join with `role`."""
        if not can_invite(actor.role, role):
            raise PermissionDenied(f"{actor.role.value} cannot invite {role.value}")
        now = self._clock.now()
        async with self._db.transaction() as tx:
            invite = await tx.invites.add(
                code=secrets.token_urlsafe(12),
                role=role,
                created_by=actor.id,
                at=now,
                expires_at=now + timedelta(days=INVITE_VALID_DAYS),
            )
            await tx.audit.add(
                actor_id=actor.id,
                action="invite.created",
                entity="invite",
                entity_id=invite.code[:4],  # enough to tell invites apart, useless to redeem
                at=now,
                details={"role": role.value, "expires_at": invite.expires_at.isoformat()},
            )
        return invite

    async def join(
        self,
        *,
        user_id: int,
        full_name: str,
        username: str | None,
        language_code: str | None,
        code: str,
    ) -> tuple[Member, Invite]:
        """Join the team with an invite code; the code is spent."""
        existing = await self.get(user_id=user_id)
        if existing is not None and existing.active:
            raise AlreadyMember(existing)
        async with self._db.read() as repo:
            invite = await repo.invites.get(code=code)
        if invite is None:
            raise InviteRefused("unknown")
        if invite.used_by is not None:
            raise InviteRefused("used")
        if invite.expires_at <= self._clock.now():
            raise InviteRefused("expired")
        if existing is not None:
            member = await self._rejoin(existing, invite)
        else:
            member = await self._register(
                user_id=user_id,
                full_name=full_name,
                username=username,
                language_code=language_code,
                role=invite.role,
                via="invite",
                invite_code=code,
            )
        return member, invite

    async def _rejoin(self, member: Member, invite: Invite) -> Member:
        """A deactivated member comes back through a new invite."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if not await tx.invites.mark_used(code=invite.code, used_by=member.id, at=now):
                raise InviteRefused("used")
            member = await tx.users.update(
                user_id=member.id, at=now, active=True, role=invite.role
            )
            await tx.audit.add(
                actor_id=member.id,
                action="member.rejoined",
                entity="user",
                entity_id=member.id,
                at=now,
                details={"role": invite.role.value, "via": "invite"},
            )
        return member

    async def members(self) -> list[Member]:
        """Everyone who is or was in the team."""
        async with self._db.read() as repo:
            return await repo.users.all()

    async def set_role(self, *, actor: Member, user_id: int, role: Role) -> Member:
        """Change a member's role (admins only; nobody changes their own)."""
        if not can_manage_team(actor.role) or actor.id == user_id:
            raise PermissionDenied("cannot change this role")
        return await self._change(actor, user_id, "member.role_changed", role=role)

    async def set_active(self, *, actor: Member, user_id: int, active: bool) -> Member:
        """Deactivate or reactivate a member (admins only; nobody locks themselves out)."""
        if not can_manage_team(actor.role) or actor.id == user_id:
            raise PermissionDenied("cannot change this member")
        action = "member.reactivated" if active else "member.deactivated"
        return await self._change(actor, user_id, action, active=active)

    async def _change(self, actor: Member, user_id: int, action: str, **fields: object) -> Member:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            before = await tx.users.get(user_id=user_id)
            if before is None:
                raise LookupError(f"no member {user_id}")
            member = await tx.users.update(user_id=user_id, at=now, **fields)
            await tx.audit.add(
                actor_id=actor.id,
                action=action,
                entity="user",
                entity_id=user_id,
                at=now,
                details={
                    name: {"from": str(getattr(before, name)), "to": str(value)}
                    for name, value in fields.items()
                },
            )
        return member

    async def admin_chat_ids(self) -> list[int]:
        """Where to report our own errors: active admins, and the configured ones."""
        async with self._db.read() as repo:
            ids = await repo.users.ids_with_role(roles=[Role.ADMIN])
        return sorted(set(ids) | set(self._settings.admin_ids))

    async def purge_expired_invites(self) -> int:
        """Drop invites that expired unused (they cannot be redeemed anyway)."""
        async with self._db.transaction() as tx:
            return await tx.invites.delete_expired(before=self._clock.now())
