"""The `telecrm` command: run (polling or webhook), console, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging
from bot.storage.db import StorageError

log = logging.getLogger("telecrm")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="telecrm",
        description="A chat-first CRM for sales teams, as a Telegram bot.",
        epilog="Configuration comes from TELECRM_* environment variables and a .env file "
        "(see .env.example).",
    )
    parser.add_argument("--version", action="version", version=f"telecrm {__version__}")
    parser.add_argument(
        "--env-file", default=".env", type=Path, help="settings file to read (default: .env)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run the bot on Telegram (polling or webhook, per TELECRM_MODE)")
    sub.add_parser("console", help="try the bot in this terminal: no token, no network")
    sub.add_parser("migrate", help="create or upgrade the database, then exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `telecrm` command; returns the exit status."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings(args.env_file)
        if command == "run":
            settings.require_token()
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"telecrm: configuration error: {line}", file=sys.stderr)  # noqa: T201
        return 2
    setup_logging(settings.log_level, settings.secrets())
    try:
        if command == "migrate":
            return asyncio.run(_migrate(settings))
        if command == "console":
            from bot.console import run_console

            # The terminal is the chat here; start/stop chatter from PTB would clutter it.
            logging.getLogger("telegram.ext.Application").setLevel(logging.WARNING)
            asyncio.run(run_console(settings))
            return 0
        return _run(settings)
    except StorageError as exc:
        print(f"telecrm: database error: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    except InvalidToken:
        print(  # noqa: T201
            "telecrm: Telegram refused TELECRM_BOT_TOKEN (check it with @BotFather)",
            file=sys.stderr,
        )
        return 1
    except NetworkError as exc:
        where = urlsplit(settings.api_base_url).netloc
        print(  # noqa: T201
            f"telecrm: cannot reach the Bot API at {where} ({type(exc).__name__})",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


async def _migrate(settings: Settings) -> int:
    from bot.clock import SystemClock
    from bot.storage.db import Database

    db = await Database.open(settings.database_path, SystemClock(), migrate=False)
    try:
        before = await db.schema_version()
        applied = await db.migrate()
        after = await db.schema_version()
    finally:
        await db.close()
    if applied:
        message = f"migrated {settings.database_path} from schema version {before} to {after}"
    else:
        message = f"{settings.database_path} is up to date (schema version {after})"
    print(f"telecrm: {message}")  # noqa: T201
    return 0


def _run(settings: Settings) -> int:
    from bot.app import build_application
    from bot.polling import run_polling

    app = build_application(settings)
    log.info("telecrm %s starting in %s mode", __version__, settings.mode)
    try:
        if settings.mode == "webhook":
            assert settings.webhook_url is not None
            assert settings.webhook_secret is not None
            app.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            asyncio.run(run_polling(app))
    except TelegramError:
        raise
    return 0
