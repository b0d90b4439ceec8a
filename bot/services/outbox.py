"""Delivery bookkeeping for the dispatcher: claims, outcomes, unreachable members."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.models import OutboxMessage, Role
from bot.storage.db import Database

UNREACHABLE = "member_unreachable"


class OutboxService:
    """The outbox as the dispatcher uses it; each call is its own short transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def claim(self, *, owner: str, lease: timedelta, limit: int) -> list[OutboxMessage]:
        """Due rows nobody holds, now held by `owner` until the lease ends."""
        async with self._db.transaction() as tx:
            return await tx.outbox.claim(
                owner=owner, now=self._clock.now(), lease=lease, limit=limit
            )

    async def sent(self, *, message: OutboxMessage, owner: str, telegram_id: int | None) -> bool:
        """Telegram accepted it."""
        async with self._db.transaction() as tx:
            return await tx.outbox.mark_sent(
                outbox_id=message.id, owner=owner, at=self._clock.now(), message_id=telegram_id
            )

    async def retry(self, *, message: OutboxMessage, owner: str, at: datetime,
                    error: str | None, attempted: bool = True) -> bool:
        """Not now: due again at `at`."""
        async with self._db.transaction() as tx:
            return await tx.outbox.release(
                outbox_id=message.id, owner=owner, due_at=at, error=error, attempted=attempted
            )

    async def failed(self, *, message: OutboxMessage, owner: str, error: str) -> bool:
        """Never: the message cannot be delivered."""
        async with self._db.transaction() as tx:
            return await tx.outbox.fail(outbox_id=message.id, owner=owner, error=error)

    async def unreachable(self, *, message: OutboxMessage, owner: str) -> None:
        """The member blocked the bot: fail the message, mark them, tell the managers once."""
        now = self._clock.now()
        user_id = message.user_id
        async with self._db.transaction() as tx:
            await tx.outbox.fail(outbox_id=message.id, owner=owner, error="blocked by the user")
            if user_id is None:
                return
            member = await tx.users.get(user_id=user_id)
            if member is None or not member.reachable:
                return
            await tx.users.update(user_id=user_id, at=now, reachable=False)
            await tx.audit.add(actor_id=None, action="member.unreachable", entity="user",
                               entity_id=user_id, at=now)
            for manager_id in await tx.users.ids_with_role(roles=[Role.MANAGER, Role.ADMIN]):
                if manager_id == user_id:
                    continue
                await tx.outbox.add(
                    kind=UNREACHABLE, chat_id=manager_id, user_id=manager_id, due_at=now, at=now,
                    payload={"member_id": user_id},
                    dedupe_key=f"{UNREACHABLE}:{user_id}:{manager_id}:{now.date().isoformat()}",
                )

    async def reachable_again(self, *, user_id: int) -> None:
        """A member who had blocked the bot talks to it again."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            member = await tx.users.get(user_id=user_id)
            if member is not None and not member.reachable:
                await tx.users.update(user_id=user_id, at=now, reachable=True)

    async def pending(self) -> list[OutboxMessage]:
        """Rows still to deliver (for tests and support)."""
        async with self._db.read() as repo:
            return await repo.outbox.all(state="pending")

    async def sent_rows(self) -> list[OutboxMessage]:
        """Rows delivered (for tests and benchmarks)."""
        async with self._db.read() as repo:
            return await repo.outbox.all(state="sent", limit=1_000_000)
