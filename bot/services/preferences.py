"""A member's own settings: language, time zone, quiet hours, digest time."""

from __future__ import annotations

from datetime import time

from bot.clock import Clock
from bot.domain.models import Member
from bot.domain.preferences import is_timezone
from bot.i18n import LANGUAGES
from bot.services.errors import InvalidValue
from bot.storage.codec import hhmm
from bot.storage.db import Database


class PreferencesService:
    """Changes to a member's own settings, each audited."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def set_language(self, *, member: Member, language: str) -> Member:
        """Switch the language the bot speaks to this member."""
        if language not in LANGUAGES:
            raise InvalidValue("language")
        return await self._set(member, language=language)

    async def set_timezone(self, *, member: Member, timezone: str) -> Member:
        """Set the member's IANA time zone."""
        if not is_timezone(timezone):
            raise InvalidValue("timezone")
        return await self._set(member, timezone=timezone)

    async def set_quiet_hours(
        self, *, member: Member, start: time | None, end: time | None
    ) -> Member:
        """Set (or, with None, clear) the hours in which nothing is delivered."""
        if (start is None) != (end is None) or (start is not None and start == end):
            raise InvalidValue("quiet_hours")
        return await self._set(member, quiet_start=start, quiet_end=end)

    async def set_digest_time(self, *, member: Member, at: time) -> Member:
        """Set the local time of the manager's daily digest."""
        return await self._set(member, digest_time=at.replace(second=0, microsecond=0))

    async def _set(self, member: Member, **fields: object) -> Member:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            updated = await tx.users.update(user_id=member.id, at=now, **fields)
            await tx.audit.add(
                actor_id=member.id,
                action="member.settings_changed",
                entity="user",
                entity_id=member.id,
                at=now,
                details={
                    name: hhmm(value) if isinstance(value, time) else value
                    for name, value in fields.items()
                },
            )
        return updated
