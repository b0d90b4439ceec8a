"""Team group chats: binding, their settings, and the alerts they receive.

Alerts are outbox rows of kind `group_alert` with no reader (`user_id` NULL), one per bound
group, written in the transaction of the change they announce; the dispatcher batches the
ones due together into one message per group. Events: `deal_won` (written by
`CustomerService.change_status`), `churn_warning` (written by the rules pass) and
`rep_overdue` (written once a day by `GroupService.check_overdue`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.domain.models import Customer, GroupChat, Member, Role
from bot.services.errors import PermissionDenied
from bot.storage.db import Database
from bot.storage.repositories import Repositories

GROUP_ALERT = "group_alert"
DEAL_WON = "deal_won"
CHURN_WARNING = "churn_warning"
REP_OVERDUE = "rep_overdue"
OVERDUE_JOB = "group_overdue_check"

# How far before a win an amount still counts as the deal's value (the quote, the contract).
DEAL_VALUE_LOOKBACK = timedelta(days=30)


def may_manage_groups(member: Member) -> bool:
    """Admins and managers bind groups and change their settings."""
    return member.role in (Role.ADMIN, Role.MANAGER)


async def queue_group_alert(
    tx: Repositories,
    *,
    event: str,
    at: datetime,
    customer_id: int | None = None,
    facts: dict[str, Any] | None = None,
    occasion: str | None = None,
) -> int:
    """Queue an alert for every bound group, in the caller's transaction; returns how many.
    With `occasion`, a second call for the same occasion queues nothing."""
    queued = 0
    for group in await tx.groups.bound():
        payload: dict[str, Any] = {"event": event, **(facts or {})}
        if customer_id is not None:
            payload["customer_id"] = customer_id
        key = f"{GROUP_ALERT}:{event}:{occasion}:{group.chat_id}" if occasion else None
        added = await tx.outbox.add(
            kind=GROUP_ALERT, chat_id=group.chat_id, user_id=None, customer_id=customer_id,
            payload=payload, due_at=at, at=at, dedupe_key=key,
        )
        queued += added is not None
    return queued


@dataclass(frozen=True)
class GroupAlert:
    """What a group alert says, read at send time."""

    group: GroupChat
    event: str
    customer: Customer | None = None
    owner_name: str | None = None
    value: tuple[int, str] | None = None  # shown only when the group allows it
    member_name: str | None = None
    count: int = 0


class AlertGone(Exception):
    """The alert no longer applies (group unbound, customer gone or no longer at risk)."""


class GroupService:
    """Binding groups and their settings (audited), the daily overdue check, alert facts."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings

    async def migrated(self, *, old_chat_id: int, new_chat_id: int) -> bool:
        """Telegram moved a bound group to a new id (upgraded to a supergroup): follow it."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            moved = await tx.groups.move(old_chat_id=old_chat_id, new_chat_id=new_chat_id)
            if moved:
                await tx.audit.add(actor_id=None, action="group.migrated", entity="group",
                                   entity_id=new_chat_id, at=now,
                                   details={"from": old_chat_id})
        return moved

    async def get(self, *, chat_id: int) -> GroupChat | None:
        """The bound group with this chat id, or None."""
        async with self._db.read() as repo:
            return await repo.groups.get(chat_id=chat_id)

    async def bind(self, *, actor: Member, chat_id: int, title: str | None
                   ) -> tuple[GroupChat, bool]:
        """Send team alerts to this group; (group, False) when it was bound already."""
        if not may_manage_groups(actor):
            raise PermissionDenied("only admins and managers bind groups")
        now = self._clock.now()
        async with self._db.transaction() as tx:
            existing = await tx.groups.get(chat_id=chat_id)
            if existing is not None:
                return existing, False
            group = await tx.groups.add(chat_id=chat_id, title=title, bound_by=actor.id, at=now)
            await tx.audit.add(actor_id=actor.id, action="group.bound", entity="group",
                               entity_id=chat_id, at=now, details={"title": title})
        return group, True

    async def unbind(self, *, actor: Member, chat_id: int) -> bool:
        """Stop team alerts here (pending ones are dropped); False when it was not bound."""
        if not may_manage_groups(actor):
            raise PermissionDenied("only admins and managers unbind groups")
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if not await tx.groups.delete(chat_id=chat_id):
                return False
            dropped = await tx.groups.cancel_pending(chat_id=chat_id)
            await tx.audit.add(actor_id=actor.id, action="group.unbound", entity="group",
                               entity_id=chat_id, at=now, details={"dropped_alerts": dropped})
        return True

    async def set_show_values(self, *, actor: Member, chat_id: int, show: bool
                              ) -> GroupChat | None:
        """Show or hide deal values in this group's alerts; None when it is not bound."""
        if not may_manage_groups(actor):
            raise PermissionDenied("only admins and managers change group settings")
        now = self._clock.now()
        async with self._db.transaction() as tx:
            before = await tx.groups.get(chat_id=chat_id)
            if before is None:
                return None
            group = await tx.groups.set_show_values(chat_id=chat_id, show=show)
            if before.show_values != show:
                await tx.audit.add(actor_id=actor.id, action="group.settings_changed",
                                   entity="group", entity_id=chat_id, at=now,
                                   details={"show_values": show})
        return group

    async def check_overdue(self) -> int:
        """Once a day, from the configured time in the team's time zone: an alert per member
        with more than the configured number of overdue follow-ups. Returns alerts queued."""
        now = self._clock.now()
        local = now.astimezone(ZoneInfo(self._settings.default_timezone))
        if local.time() < self._settings.group_overdue_check_time:
            return 0
        day = local.date().isoformat()
        threshold = self._settings.group_overdue_threshold
        async with self._db.transaction() as tx:
            if not await tx.digest.claim_daily_run(job=OVERDUE_JOB, run_date=day, at=now):
                return 0
            active = {m.id for m in await tx.users.all(active_only=True)}
            queued = 0
            counts = await tx.digest.overdue_by_owner(now=now)
            for member_id, count in sorted(counts.items()):
                if count > threshold and member_id in active:
                    queued += await queue_group_alert(
                        tx, event=REP_OVERDUE, at=now,
                        facts={"member_id": member_id, "count": count},
                        occasion=f"{member_id}:{day}",
                    )
        return queued

    async def alert(self, *, chat_id: int, payload: dict[str, Any],
                    customer_id: int | None) -> GroupAlert:
        """The facts of a group alert as of now; AlertGone when it should not be sent."""
        event = str(payload.get("event", ""))
        async with self._db.read() as repo:
            group = await repo.groups.get(chat_id=chat_id)
            if group is None:
                raise AlertGone("the group is no longer bound")
            if event == REP_OVERDUE:
                member = await repo.users.get(user_id=int(payload["member_id"]))
                if member is None:
                    raise AlertGone("no such member")
                return GroupAlert(group=group, event=event, member_name=member.full_name,
                                  count=int(payload["count"]))
            if event not in (DEAL_WON, CHURN_WARNING):
                raise AlertGone(f"unknown group event {event!r}")
            cid = customer_id if customer_id is not None else payload.get("customer_id")
            customer = await repo.customers.get(customer_id=int(cid)) if cid else None
            if customer is None or customer.merged_into_id is not None:
                raise AlertGone("the customer is gone")
            if event == CHURN_WARNING and customer.status.value != CHURN_WARNING:
                # Contacted (or moved on) before the alert went out: nothing to alert.
                raise AlertGone("no longer a churn warning")
            owner = (await repo.users.get(user_id=customer.owner_id)
                     if customer.owner_id is not None else None)
            value = None
            if event == DEAL_WON and group.show_values:
                now = self._clock.now()
                won_at = datetime.fromisoformat(str(payload.get("won_at") or now.isoformat()))
                value = await repo.digest.latest_amount(
                    customer_id=customer.id, since=won_at - DEAL_VALUE_LOOKBACK,
                    until=now,
                )
        return GroupAlert(group=group, event=event, customer=customer,
                          owner_name=owner.full_name if owner else None, value=value)
