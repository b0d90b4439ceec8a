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
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.domain.models import Member, OutboxMessage
from bot.domain.preferences import quiet_hours_end
from bot.i18n import translator
from bot.services import CRM
from bot.services.customers import FOLLOWUP_DUE
from bot.services.errors import NotFound
from bot.services.outbox import UNREACHABLE
from bot.views import reminders as views
from bot.views.common import esc

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 100
MAX_ROUNDS = 1000
MAX_BACKOFF = timedelta(minutes=30)


@dataclass(frozen=True)
class Rendered:
    """A message ready to send."""

    text: str
    markup: InlineKeyboardMarkup | None = None


class Undeliverable(Exception):
    """The message no longer makes sense (its customer is gone, its reader left)."""


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

    async def tick(self) -> int:
        """Deliver everything due now, batch after batch; returns how many were sent."""
        sent = 0
        # Until nothing is due (a delivery may queue more, e.g. a notice to the managers);
        # bounded so that one tick cannot run forever.
        for _round in range(MAX_ROUNDS):
            batch = await self._crm.outbox.claim(owner=self.owner, lease=LEASE, limit=BATCH)
            if not batch:
                break
            results = await asyncio.gather(*(self._guarded(m) for m in batch))
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
            rendered = await self._render(message, reader)
        except Undeliverable as exc:
            await self._crm.outbox.failed(message=message, owner=self.owner, error=str(exc))
            return False
        try:
            sent = await self._bot.send_message(
                message.chat_id, rendered.text, reply_markup=rendered.markup
            )
        except RetryAfter as exc:
            wait = exc.retry_after
            delay = wait if isinstance(wait, timedelta) else timedelta(seconds=wait)
            await self._crm.outbox.retry(message=message, owner=self.owner, at=now + delay,
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
                message=message, owner=self.owner, at=now + backoff(message.attempts),
                error=type(exc).__name__,
            )
            return False
        if not await self._crm.outbox.sent(message=message, owner=self.owner,
                                           telegram_id=sent.message_id):
            logger.warning("outbox row %d was sent after its claim expired", message.id)
        return True

    async def _render(self, message: OutboxMessage, reader: Member | None) -> Rendered:
        if reader is None:
            raise Undeliverable(f"no renderer for group messages of kind {message.kind}")
        _ = translator(reader.language)
        if message.kind == FOLLOWUP_DUE:
            if message.customer_id is None:
                raise Undeliverable("follow-up without a customer")
            try:
                customer, last = await self._crm.customers.followup_context(
                    customer_id=message.customer_id
                )
            except NotFound:
                raise Undeliverable("customer is gone") from None
            if customer.owner_id != reader.id or customer.next_followup_at is None:
                raise Undeliverable("follow-up no longer applies")
            text, markup = views.followup_due(customer, last, reader, _)
            return Rendered(text, markup)
        if message.kind == UNREACHABLE:
            member = await self._crm.team.get(user_id=int(message.payload["member_id"]))
            name = member.full_name if member else str(message.payload["member_id"])
            return Rendered(_("⚠️ {name} has blocked the bot: their reminders cannot be "
                              "delivered until they send /start again.", name=esc(name)))
        raise Undeliverable(f"unknown kind {message.kind}")
