"""The dispatcher: claims due outbox rows, renders them for their reader, sends, records.

A row is marked sent only after Telegram accepted it. A crash between claim and send leaves
the claim to expire, after which any dispatcher takes it again; a claim held by a live
dispatcher is never taken twice (claims are atomic UPDATEs in the database).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import timedelta

from aiolimiter import AsyncLimiter
from telegram import Bot, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.domain.models import OutboxMessage
from bot.domain.preferences import quiet_hours_end
from bot.reminders.render import Rendered, Undeliverable, render
from bot.services import CRM
from bot.views.charts import fits_caption

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 100
MAX_ROUNDS = 1000
PACE_LIMITERS = 5000
MAX_BACKOFF = timedelta(minutes=30)


def dispatcher_id() -> str:
    """A name for this process's claims (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed tries: 5 s doubling, at most 30 minutes."""
    return min(timedelta(seconds=5 * 2 ** min(attempts, 12)), MAX_BACKOFF)


class Dispatcher:
    """Delivers due outbox rows through the bot (its rate limiter paces the sends)."""

    def __init__(self, crm: CRM, bot: Bot, *, owner: str | None = None,
                 concurrency: int = 32) -> None:
        self._crm = crm
        self._bot = bot
        self.owner = owner or dispatcher_id()
        self._slots = asyncio.Semaphore(concurrency)
        # Telegram allows about one message a second to one chat (groups: PTB's limiter).
        self._pace: dict[int, AsyncLimiter] = {}

    async def tick(self) -> int:
        """Deliver everything due now, batch after batch; returns how many were sent."""
        sent = 0
        # Until nothing is due (a delivery may queue more, e.g. a notice to the managers);
        # bounded so that one tick cannot run forever.
        for _round in range(MAX_ROUNDS):
            batch = await self._crm.outbox.claim(owner=self.owner, lease=LEASE, limit=BATCH)
            if not batch:
                break
            personal = [m for m in batch if m.user_id is not None]
            groups: dict[int, list[OutboxMessage]] = {}
            for message in batch:
                if message.user_id is None:
                    groups.setdefault(message.chat_id, []).append(message)
            results = await asyncio.gather(
                *(self._guarded(m) for m in personal),
                *(self._guarded_group(rows) for rows in groups.values()),
            )
            sent += sum(results)
        return sent

    async def _guarded(self, message: OutboxMessage) -> bool:
        async with self._slots:
            try:
                return await self._deliver(message)
            except Exception:
                logger.exception("could not deliver outbox row %d (%s)", message.id,
                                 message.kind)
                await self._crm.outbox.retry(
                    message=message, owner=self.owner, error="internal error",
                    at=self._crm.clock.now() + backoff(message.attempts),
                )
                return False

    async def _guarded_group(self, rows: list[OutboxMessage]) -> int:
        async with self._slots:
            try:
                return await self._deliver_group(rows)
            except Exception:
                logger.exception("could not deliver %d group rows", len(rows))
                now = self._crm.clock.now()
                for row in rows:
                    await self._crm.outbox.retry(message=row, owner=self.owner,
                                                 error="internal error",
                                                 at=now + backoff(row.attempts))
                return 0

    async def _deliver_group(self, rows: list[OutboxMessage]) -> int:
        """Alerts due together for one group go out as one message (groups allow 20/min)."""
        ready: list[tuple[OutboxMessage, Rendered]] = []
        for row in rows:
            try:
                ready.append((row, await render(self._crm, row, None)))
            except Undeliverable as exc:
                await self._crm.outbox.failed(message=row, owner=self.owner, error=str(exc))
        if not ready:
            return 0
        photos = [(row, r) for row, r in ready if r.photo is not None]
        texts = [(row, r) for row, r in ready if r.photo is None]
        delivered = 0
        for row, rendered in photos:
            delivered += await self._send_rows(row.chat_id, rendered, [row])
        for chunk in _chunks(texts):
            combined = Rendered("\n\n".join(r.text for _, r in chunk),
                                chunk[0][1].markup if len(chunk) == 1 else None)
            delivered += await self._send_rows(chunk[0][0].chat_id, combined,
                                               [row for row, _ in chunk])
        return delivered

    async def _send_rows(self, chat_id: int, rendered: Rendered,
                         rows: list[OutboxMessage]) -> int:
        """Send one message standing for `rows`; record the outcome on each of them."""
        try:
            sent = await self._send(chat_id, rendered)
        except RetryAfter as exc:
            wait = exc.retry_after
            delay = wait if isinstance(wait, timedelta) else timedelta(seconds=wait)
            for row in rows:
                await self._crm.outbox.retry(message=row, owner=self.owner,
                                             at=self._crm.clock.now() + delay,
                                             error="429 retry after")
            return 0
        except ChatMigrated as exc:
            # The group became a supergroup: rebind it (its waiting rows move along), and
            # send these again at once to the new id.
            await self._crm.groups.migrated(old_chat_id=chat_id, new_chat_id=exc.new_chat_id)
            for row in rows:
                await self._crm.outbox.retry(message=row, owner=self.owner,
                                             at=self._crm.clock.now(), error="chat migrated",
                                             attempted=False)
            return 0
        except (Forbidden, BadRequest) as exc:
            # The bot was removed from the group, or the group is gone: these will not go.
            for row in rows:
                await self._crm.outbox.failed(message=row, owner=self.owner,
                                              error=type(exc).__name__)
            return 0
        except TelegramError as exc:
            for row in rows:
                await self._crm.outbox.retry(message=row, owner=self.owner,
                                             at=self._crm.clock.now() + backoff(row.attempts),
                                             error=type(exc).__name__)
            return 0
        for row in rows:
            await self._crm.outbox.sent(message=row, owner=self.owner,
                                        telegram_id=sent.message_id)
        return len(rows)

    async def _send(self, chat_id: int, rendered: Rendered) -> Message:
        if chat_id > 0:
            if len(self._pace) > PACE_LIMITERS:
                # Forget idle chats so the table does not grow with every chat ever served.
                self._pace = {k: v for k, v in self._pace.items() if not v.has_capacity()}
            async with self._pace.setdefault(chat_id, AsyncLimiter(1, 1)):
                return await self._send_now(chat_id, rendered)
        return await self._send_now(chat_id, rendered)

    async def _send_now(self, chat_id: int, rendered: Rendered) -> Message:
        if rendered.photo is not None:
            if fits_caption(rendered.text):
                return await self._bot.send_photo(
                    chat_id, rendered.photo, caption=rendered.text, reply_markup=rendered.markup
                )
            # A caption holds 1024 characters: a longer text follows the picture.
            await self._bot.send_photo(chat_id, rendered.photo)
        return await self._bot.send_message(chat_id, rendered.text, reply_markup=rendered.markup)

    async def _deliver(self, message: OutboxMessage) -> bool:
        now = self._crm.clock.now()
        reader = None
        if message.user_id is not None:
            reader = await self._crm.team.get(user_id=message.user_id)
            if reader is None or not reader.active:
                await self._crm.outbox.failed(message=message, owner=self.owner,
                                              error="reader is not an active member")
                return False
            wake = quiet_hours_end(now, reader.timezone, reader.quiet_start, reader.quiet_end)
            if wake is not None:
                # Quiet hours: not an attempt, just later.
                await self._crm.outbox.retry(message=message, owner=self.owner, at=wake,
                                             error=None, attempted=False)
                return False
        try:
            rendered = await render(self._crm, message, reader)
        except Undeliverable as exc:
            await self._crm.outbox.failed(message=message, owner=self.owner, error=str(exc))
            return False
        try:
            sent = await self._send(message.chat_id, rendered)
        except RetryAfter as exc:
            wait = exc.retry_after
            delay = wait if isinstance(wait, timedelta) else timedelta(seconds=wait)
            # The limiter may have waited out several retry-afters already: count from now.
            await self._crm.outbox.retry(message=message, owner=self.owner,
                                         at=self._crm.clock.now() + delay,
                                         error="429 retry after")
            return False
        except Forbidden:
            if reader is not None and message.chat_id == reader.id:
                await self._crm.outbox.unreachable(message=message, owner=self.owner)
            else:
                await self._crm.outbox.failed(message=message, owner=self.owner,
                                              error="forbidden")
            return False
        except BadRequest as exc:
            # Telegram will never accept this request as it is: retrying changes nothing.
            logger.error("outbox row %d refused by Telegram: %s", message.id, exc.message)
            await self._crm.outbox.failed(message=message, owner=self.owner, error="bad request")
            return False
        except TelegramError as exc:
            # 5xx, timeouts, network: try again later (a timed-out send may be repeated).
            await self._crm.outbox.retry(
                message=message, owner=self.owner,
                at=self._crm.clock.now() + backoff(message.attempts),
                error=type(exc).__name__,
            )
            return False
        if not await self._crm.outbox.sent(message=message, owner=self.owner,
                                           telegram_id=sent.message_id):
            logger.warning("outbox row %d was sent after its claim expired", message.id)
        return True


GROUP_MESSAGE_LIMIT = 3500


def _chunks(items: list[tuple[OutboxMessage, Rendered]]
            ) -> list[list[tuple[OutboxMessage, Rendered]]]:
    """Alerts packed into messages that stay well under Telegram's 4096 characters."""
    chunks: list[list[tuple[OutboxMessage, Rendered]]] = []
    size = 0
    for item in items:
        length = len(item[1].text) + 2
        if not chunks or size + length > GROUP_MESSAGE_LIMIT:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += length
    return chunks
