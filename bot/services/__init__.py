"""The use cases. Handlers and reminders call these; these call storage and domain."""

from __future__ import annotations

from bot.clock import Clock
from bot.config import Settings
from bot.services.customers import CustomerService
from bot.services.digest import DigestService
from bot.services.groups import GroupService
from bot.services.outbox import OutboxService
from bot.services.preferences import PreferencesService
from bot.services.rules import RulesService
from bot.services.team import TeamService
from bot.services.updates import UpdateLog
from bot.storage.db import Database


class CRM:
    """Every service, sharing one database and one clock."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.team = TeamService(db, clock, settings)
        self.preferences = PreferencesService(db, clock)
        self.customers = CustomerService(db, clock, settings)
        self.updates = UpdateLog(db, clock)
        self.outbox = OutboxService(db, clock)
        self.digest = DigestService(db, clock, settings)
        self.groups = GroupService(db, clock, settings)
        self.rules = RulesService(db, clock, settings)

    @classmethod
    async def open(cls, settings: Settings, clock: Clock) -> CRM:
        """Open (and migrate) the configured database and build the services."""
        db = await Database.open(settings.database_path, clock)
        return cls(db, clock, settings)

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()
