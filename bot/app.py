"""`build_application`: the one place where every handler, job and hook is registered."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from zoneinfo import ZoneInfo

from telegram import BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import BotData, ChatData, CRMContext, UserData
from bot.delivery import RetryingRateLimiter
from bot.domain.models import Role
from bot.handlers import (
    capture,
    common,
    digest,
    edit,
    errors,
    followup,
    gate,
    groups,
    log,
    lookup,
    settings,
    start,
    status,
    team,
)
from bot.i18n import LANGUAGES, translator
from bot.reminders import schedule_jobs
from bot.storage.persistence import SQLitePersistence
from bot.views.help import bot_commands
from bot.views.team import CB_INVITE, CB_TEAM

logger = logging.getLogger(__name__)

# Handler groups: the gate runs first and may stop an update; then the features.
GROUP_GATE = -1
GROUP_FEATURES = 0

PLACEHOLDER_TOKEN = "0:console"  # noqa: S105 - not a secret: console mode needs no token


class TelecrmApplication(Application[Any, CRMContext, UserData, ChatData, BotData, Any]):
    """PTB's Application, saving persistence right after each update."""

    async def process_update(self, update: object) -> None:
        """Handle an update, then write conversation states and user data through at once."""
        await super().process_update(update)
        if self.persistence is not None and self.running:
            # PTB would save on a timer; a crash before the timer fired would lose what the
            # user was just told. Saving here closes that window.
            await self.update_persistence()


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    token: str | None = None,
) -> TelecrmApplication:
    """Build the bot: handlers, error handler, persistence, hooks and jobs."""
    clock = clock or SystemClock()
    context_types = ContextTypes(context=CRMContext, bot_data=BotData)
    builder = (
        ApplicationBuilder()
        .application_class(TelecrmApplication)
        .token(token or settings.require_token())
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_file_url)
        .context_types(context_types)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.default_timezone)))
        .rate_limiter(RetryingRateLimiter(max_retries=3))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    bot_data = BotData()
    bot_data.configure(settings, clock)
    builder = builder.persistence(
        SQLitePersistence(database=_database_of(bot_data), bot_data_factory=lambda: bot_data)
    )
    app: TelecrmApplication = builder.build()  # type: ignore[assignment]
    # PTB creates bot_data from the context types; use ours, which already holds the settings.
    app.bot_data = bot_data
    _register(app)
    return app


def _database_of(bot_data: BotData) -> Any:
    async def database() -> Any:
        return (await bot_data.open()).db

    return database


def _register(app: TelecrmApplication) -> None:
    app.add_handler(TypeHandler(Update, gate.gate), group=GROUP_GATE)

    private = filters.ChatType.PRIVATE
    app.add_handlers(
        [
            # Conversations first: while one waits for an answer, it gets the text.
            settings.conversation(),
            capture.conversation(),
            log.conversation(),
            followup.conversation(),
            edit.conversation(),
            status.conversation(),
            CommandHandler("start", start.start, private),
            CommandHandler("help", start.help_command),
            CommandHandler("invite", team.invite, private),
            CallbackQueryHandler(team.invite_button, pattern=f"^{CB_INVITE}:(rep|manager)$"),
            CommandHandler("team", team.team, private),
            CallbackQueryHandler(team.team_button, pattern=f"^{CB_TEAM}:"),
            # Customer data stays in private chats: a team group may hold outsiders.
            CommandHandler("find", lookup.find, private),
            CallbackQueryHandler(lookup.find_page, pattern=r"^fp:\d+$"),
            CallbackQueryHandler(lookup.open_card, pattern=r"^cc?:\d+$"),
            CallbackQueryHandler(lookup.history, pattern=r"^h:\d+:\d+$"),
            CommandHandler("mine", lookup.mine, private),
            CommandHandler("today", lookup.today, private),
            InlineQueryHandler(lookup.inline),
            *status.HANDLERS,
            *followup.HANDLERS,
            *log.HANDLERS,
            *capture.HANDLERS,
            CommandHandler("digest", digest.digest),
            CallbackQueryHandler(digest.nudge_button, pattern=r"^dg:n:\d+$"),
            CommandHandler("bindgroup", groups.bindgroup),
            CommandHandler("unbindgroup", groups.unbindgroup),
            # The private /settings is a conversation above; in groups it is the group's own.
            CommandHandler("settings", groups.group_settings, filters.ChatType.GROUPS),
            CallbackQueryHandler(groups.group_settings_button, pattern=r"^gs:v:[01]$"),
            CommandHandler("cancel", common.cancel),
            # Catch-alls last in the same group: a group runs at most one handler, so these
            # answer only what no feature took.
            CallbackQueryHandler(common.expired_button),
            MessageHandler(filters.ALL, common.unknown),
        ],
        group=GROUP_FEATURES,
    )
    app.add_error_handler(errors.on_error)


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Open the database (if persistence has not yet), set the command menus, start jobs."""
    bot_data: BotData = app.bot_data
    await bot_data.open()
    await set_command_menus(app)
    if app.job_queue is not None:
        schedule_jobs(app.job_queue, bot_data.settings)


async def set_command_menus(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The command menu in each language (the default scope shows a rep's commands)."""
    try:
        for language in LANGUAGES:
            commands = bot_commands(translator(language), Role.REP)
            code = None if language == "en" else language
            await app.bot.set_my_commands(
                commands, scope=BotCommandScopeDefault(), language_code=code
            )
    except TelegramError as exc:
        # A menu is a convenience; the bot works without it.
        logger.warning("could not set the command menu: %s", type(exc).__name__)


async def _post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Close the database."""
    bot_data: BotData = app.bot_data
    await bot_data.close()


@asynccontextmanager
async def running(app: TelecrmApplication) -> AsyncIterator[TelecrmApplication]:
    """Run the application without polling or a webhook (console mode, handler tests)."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
