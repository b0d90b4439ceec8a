"""Long polling that confirms an update to Telegram only after it was handled.

PTB's own Updater confirms each update (by asking for the next offset) as soon as it is queued,
so an update being handled when the process dies is lost. Here the offset moves past an update
only once it was processed and recorded; a crash redelivers it, and the recorded watermark
keeps one already handled from being handled twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.app import TelecrmApplication

logger = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 25
MAX_BACKOFF_SECONDS = 30.0


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _fetch(app: TelecrmApplication, offset: int | None, stop: asyncio.Event
                 ) -> tuple[Update, ...] | None:
    """One long poll, abandoned (None) as soon as `stop` is set."""
    fetch = asyncio.ensure_future(app.bot.get_updates(
        offset=offset, timeout=POLL_TIMEOUT_SECONDS, allowed_updates=Update.ALL_TYPES,
        read_timeout=POLL_TIMEOUT_SECONDS + 10,
    ))
    stopped = asyncio.ensure_future(stop.wait())
    done, _pending = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if fetch not in done:
        fetch.cancel()
        with contextlib.suppress(asyncio.CancelledError, TelegramError):
            await fetch
        return None
    stopped.cancel()
    updates: tuple[Update, ...] = fetch.result()
    return updates


async def poll(app: TelecrmApplication, stop: asyncio.Event) -> None:
    """Fetch, handle and record updates one by one until `stop` is set."""
    updates_log = app.bot_data.crm.updates
    handled = await updates_log.watermark()
    offset = handled + 1 if handled is not None else None
    backoff = 1.0
    while not stop.is_set():
        try:
            batch = await _fetch(app, offset, stop)
        except InvalidToken:
            raise
        except RetryAfter as exc:
            await _wait(stop, exc.retry_after.total_seconds()
                        if hasattr(exc.retry_after, "total_seconds") else float(exc.retry_after))
            continue
        except (Conflict, NetworkError) as exc:
            # Telegram unreachable, 5xx, or another instance polling: wait and try again.
            logger.warning("polling failed (%s); retrying in %.0fs", type(exc).__name__, backoff)
            await _wait(stop, backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            continue
        if batch is None:
            break
        backoff = 1.0
        for update in batch:
            if handled is None or update.update_id > handled:
                await app.process_update(update)
                await updates_log.record(update_id=update.update_id)
                handled = update.update_id
            offset = update.update_id + 1


async def run_polling(app: TelecrmApplication) -> None:
    """Start the application, poll until SIGINT/SIGTERM, then shut down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        # A webhook left from an earlier run would make getUpdates fail with a conflict.
        await app.bot.delete_webhook(drop_pending_updates=False)
        await app.start()
        logger.info("polling for updates")
        try:
            await poll(app, stop)
        finally:
            await app.stop()
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


