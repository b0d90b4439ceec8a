"""The typed context every handler receives: `context.crm`, `.settings`, `.member`."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.domain.models import Member
from bot.i18n import Translator, translator
from bot.services import CRM

if TYPE_CHECKING:  # the dispatcher's package imports this module
    from bot.reminders.dispatch import Dispatcher


class BotData:
    """Application-wide state: the settings, the clock and (once opened) the services."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._clock: Clock | None = None
        self._crm: CRM | None = None
        self._lock = asyncio.Lock()
        # When each kind of internal error was last reported to the admins.
        self.error_reports: dict[str, datetime] = {}
        # The outbox dispatcher of this process (created by its first tick).
        self.dispatcher: Dispatcher | None = None

    def configure(self, settings: Settings, clock: Clock) -> None:
        """Attach the settings and clock; done once by `build_application`."""
        self._settings = settings
        self._clock = clock

    @property
    def settings(self) -> Settings:
        """The settings the application was built with."""
        if self._settings is None:
            raise RuntimeError("the application was not built with build_application()")
        return self._settings

    @property
    def clock(self) -> Clock:
        """The clock everything reads time from."""
        if self._clock is None:
            raise RuntimeError("the application was not built with build_application()")
        return self._clock

    @property
    def crm(self) -> CRM:
        """The services; available from `post_init` until `post_shutdown`."""
        if self._crm is None:
            raise RuntimeError("the database is not open yet")
        return self._crm

    async def open(self) -> CRM:
        """Open the database once; persistence and post_init both ask for it."""
        async with self._lock:
            if self._crm is None:
                self._crm = await CRM.open(self.settings, self.clock)
            return self._crm

    async def close(self) -> None:
        """Close the database if it is open."""
        async with self._lock:
            if self._crm is not None:
                await self._crm.close()
                self._crm = None


UserData = dict[str, Any]
ChatData = dict[str, Any]


class CRMContext(CallbackContext[ExtBot[None], UserData, ChatData, BotData]):
    """CallbackContext with typed access to the services and the current member."""

    def __init__(
        self,
        application: Application[Any, Any, UserData, ChatData, BotData, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.member: Member | None = None
        self.language: str | None = None

    @property
    def crm(self) -> CRM:
        """The services."""
        return self.bot_data.crm

    @property
    def settings(self) -> Settings:
        """The application's settings."""
        return self.bot_data.settings

    @property
    def me(self) -> Member:
        """The member this update comes from; the access gate guarantees there is one."""
        if self.member is None:
            raise RuntimeError("handler reached without a member (gate not applied?)")
        return self.member

    @property
    def _(self) -> Translator:
        """A translator for the language of whoever sent this update."""
        if self.member is not None:
            return translator(self.member.language)
        return translator(self.language or self.settings.default_language)
