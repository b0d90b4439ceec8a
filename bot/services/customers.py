"""Customer use cases: capture, look-up, log, status, follow-up, edit, history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.domain.access import sees_all_customers
from bot.domain.contacts import (
    InvalidEmail,
    InvalidPhone,
    normalize_email,
    normalize_phone,
    normalize_tag,
    normalize_username,
)
from bot.domain.duplicates import DuplicateCandidate, find_duplicates
from bot.domain.models import (
    ChurnReason,
    Customer,
    CustomerKind,
    CustomerStatus,
    Demand,
    Interaction,
    InteractionKind,
    Member,
    Role,
    Sentiment,
    StatusChange,
)
from bot.domain.search import EXACT_NAME_SCORE, PREFIX_SCORE, classify_query, rank
from bot.services.errors import (
    DuplicateFound,
    FieldProblems,
    NotFound,
    PermissionDenied,
    ReasonRequired,
)
from bot.services.groups import CHURN_WARNING, DEAL_WON, queue_group_alert
from bot.storage.db import Database
from bot.storage.repositories import Repositories

FIND_LIMIT = 50


@dataclass(frozen=True)
class CustomerDraft:
    """What a person typed for a new customer, already validated and normalised."""

    name: str
    company: str | None = None
    kind: CustomerKind = CustomerKind.B2C
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    telegram_username: str | None = None
    city: str | None = None
    source: str | None = None
    demand: Demand | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None


@dataclass(frozen=True)
class Card:
    """Everything the customer card shows."""

    customer: Customer
    owner_name: str | None
    recent: list[Interaction]
    interactions: int
    last_change: StatusChange | None


@dataclass(frozen=True)
class HistoryItem:
    """One line of a customer's history: an interaction or a status change."""

    at: datetime
    interaction: Interaction | None = None
    change: StatusChange | None = None
    author: str | None = None


@dataclass(frozen=True)
class HistoryPage:
    """A page of history, newest first."""

    items: list[HistoryItem]
    page: int
    has_next: bool


@dataclass(frozen=True)
class Overview:
    """/mine: counts per status and the customers of each status."""

    counts: dict[CustomerStatus, int]
    customers: dict[CustomerStatus, list[Customer]] = field(default_factory=dict)


FOLLOWUP_DUE = "followup_due"
FEEDBACK_ALERT = "feedback_alert"

EDITABLE_FIELDS = (
    "name", "company", "kind", "phones", "emails", "telegram_username", "city", "source",
    "demand", "tags", "notes",
)


def visible_owner_ids(member: Member) -> set[int] | None:
    """Whose customers a member may see: None means everyone's."""
    # Managers see their team's customers; until teams exist, the team is everyone.
    return None if sees_all_customers(member.role) else {member.id}


class CustomerService:
    """The reps' core flows; each write is one transaction with its audit row."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings

    # -- validation --------------------------------------------------------------------------

    def parse_phone(self, text: str) -> str:
        """A typed phone in E.164 (team's default region for local numbers)."""
        return normalize_phone(text, self._settings.default_phone_region)

    def parse_field(self, name: str, text: str) -> Any:
        """A typed value for a profile field, validated; FieldProblems when invalid."""
        value = text.strip()
        if name == "name":
            if not value:
                raise FieldProblems([("name", text)])
            return value[:200]
        if name in ("company", "city", "source", "notes"):
            return value[:2000] or None
        if name == "phones":
            phones, problems = [], []
            for part in _split_list(value):
                try:
                    phones.append(self.parse_phone(part))
                except InvalidPhone:
                    problems.append(("phone", part))
            if problems:
                raise FieldProblems(problems)
            return tuple(dict.fromkeys(phones))
        if name == "emails":
            emails, problems = [], []
            for part in _split_list(value):
                try:
                    emails.append(normalize_email(part))
                except InvalidEmail:
                    problems.append(("email", part))
            if problems:
                raise FieldProblems(problems)
            return tuple(dict.fromkeys(emails))
        if name == "telegram_username":
            if not value:
                return None
            username = normalize_username(value)
            if username is None:
                raise FieldProblems([("telegram_username", text)])
            return username
        if name == "tags":
            return tuple(dict.fromkeys(t for p in _split_list(value) if (t := normalize_tag(p))))
        if name == "kind":
            return CustomerKind(value.lower())
        if name == "demand":
            return Demand(value.lower()) if value else None
        raise ValueError(f"not an editable field: {name}")

    # -- visibility --------------------------------------------------------------------------

    async def _visible(self, repo: Repositories, actor: Member, customer_id: int) -> Customer:
        customer = await repo.customers.get(customer_id=customer_id)
        if customer is None or customer.merged_into_id is not None:
            raise NotFound(str(customer_id))
        owners = visible_owner_ids(actor)
        if owners is not None and customer.owner_id not in owners:
            raise NotFound(str(customer_id))
        return customer

    async def get(self, *, actor: Member, customer_id: int) -> Customer:
        """A customer the member may see, or NotFound."""
        async with self._db.read() as repo:
            return await self._visible(repo, actor, customer_id)

    # -- capture -----------------------------------------------------------------------------

    async def duplicates(
        self,
        *,
        actor: Member,
        name: str,
        company: str | None,
        phones: Sequence[str],
        emails: Sequence[str],
    ) -> list[tuple[Customer, str]]:
        """Existing customers (visible to the member) the new one looks like, best first."""
        owners = visible_owner_ids(actor)
        async with self._db.read() as repo:
            found = await repo.customers.duplicate_candidates(
                name=name, company=company, phones=phones, emails=emails
            )
        visible = {
            c.id: c
            for c in found
            if c.merged_into_id is None and (owners is None or c.owner_id in owners)
        }
        matches = find_duplicates(
            name=name,
            company=company,
            phones=phones,
            emails=emails,
            candidates=[
                DuplicateCandidate(
                    customer_id=c.id, name=c.name, company=c.company, phones=c.phones,
                    emails=c.emails,
                )
                for c in visible.values()
            ],
        )
        return [(visible[m.customer_id], m.reason) for m in matches]

    async def capture(
        self, *, actor: Member, draft: CustomerDraft, force: bool = False
    ) -> Customer:
        """Create a customer owned by its creator; DuplicateFound unless `force`."""
        if not force:
            matches = await self.duplicates(
                actor=actor, name=draft.name, company=draft.company, phones=draft.phones,
                emails=draft.emails,
            )
            if matches:
                raise DuplicateFound(matches)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            customer = await tx.customers.add(
                name=draft.name,
                company=draft.company,
                kind=draft.kind,
                phones=draft.phones,
                emails=draft.emails,
                telegram_username=draft.telegram_username,
                city=draft.city,
                source=draft.source,
                demand=draft.demand,
                tags=draft.tags,
                notes=draft.notes,
                owner_id=actor.id,
                referred_by_id=None,
                created_by=actor.id,
                at=now,
            )
            await tx.status_history.add(
                customer_id=customer.id, changed_by=actor.id, from_status=None,
                to_status=customer.status, reason=None, reason_text=None, at=now,
            )
            await tx.audit.add(
                actor_id=actor.id, action="customer.created", entity="customer",
                entity_id=customer.id, at=now,
                details={"forced": force} if force else None,
            )
        return customer

    # -- look-up -----------------------------------------------------------------------------

    async def find(self, *, actor: Member, query: str) -> list[Customer]:
        """Customers matching a query, best first (`#12` opens that one)."""
        return await self._search(actor, query, narrow=False)

    async def resolve(self, *, actor: Member, query: str) -> list[Customer]:
        """The customers a command's argument designates: one exact hit (phone, email, name)
        wins; otherwise the strong (prefix and better) hits, or all hits when none is strong."""
        return await self._search(actor, query, narrow=True)

    async def _search(self, actor: Member, query: str, *, narrow: bool) -> list[Customer]:
        parsed = classify_query(query)
        async with self._db.read() as repo:
            if parsed.kind == "id" and parsed.customer_id is not None:
                try:
                    return [await self._visible(repo, actor, parsed.customer_id)]
                except NotFound:
                    return []
            candidates = await repo.customers.search_candidates(
                text=parsed.text if parsed.kind != "phone" else None,
                digits=parsed.digits,
                owner_ids=visible_owner_ids(actor),
            )
            ranked = rank(parsed, candidates, limit=FIND_LIMIT)
            if narrow:
                exact = [hit for hit in ranked if hit[1] >= EXACT_NAME_SCORE]
                strong = [hit for hit in ranked if hit[1] >= PREFIX_SCORE]
                ranked = exact if len(exact) == 1 else strong or ranked
            return await repo.customers.get_many(customer_ids=[cid for cid, _ in ranked])

    async def card(self, *, actor: Member, customer_id: int) -> Card:
        """The customer card's data."""
        async with self._db.read() as repo:
            customer = await self._visible(repo, actor, customer_id)
            recent = await repo.interactions.recent(customer_id=customer_id, limit=3)
            total = await repo.interactions.count(customer_id=customer_id)
            changes = await repo.status_history.for_customer(customer_id=customer_id, limit=1)
            owner = (
                await repo.users.get(user_id=customer.owner_id)
                if customer.owner_id is not None else None
            )
        return Card(
            customer=customer,
            owner_name=owner.full_name if owner else None,
            recent=recent,
            interactions=total,
            last_change=changes[0] if changes else None,
        )

    async def history(self, *, actor: Member, customer_id: int, page: int, size: int = 8
                      ) -> HistoryPage:
        """Interactions and status changes merged, newest first, one page."""
        want = (page + 1) * size + 1
        async with self._db.read() as repo:
            await self._visible(repo, actor, customer_id)
            interactions = await repo.interactions.recent(customer_id=customer_id, limit=want)
            changes = await repo.status_history.for_customer(customer_id=customer_id, limit=want)
            authors = {m.id: m.full_name for m in await repo.users.all()}
        items = [
            HistoryItem(at=i.occurred_at, interaction=i, author=authors.get(i.author_id or 0))
            for i in interactions
        ] + [
            HistoryItem(at=c.changed_at, change=c, author=authors.get(c.changed_by or 0))
            for c in changes
        ]
        items.sort(key=lambda item: item.at, reverse=True)
        start = page * size
        return HistoryPage(
            items=items[start:start + size], page=page, has_next=len(items) > start + size
        )

    async def overview(self, *, actor: Member, per_status: int = 10) -> Overview:
        """/mine: the member's own customers by status."""
        owners = {actor.id}
        async with self._db.read() as repo:
            counts = await repo.customers.count_by_status(owner_ids=owners)
            lists = {
                status: await repo.customers.list_for_owner(
                    owner_ids=owners, status=status, limit=per_status
                )
                for status, count in counts.items() if count
            }
        return Overview(counts=counts, customers=lists)

    async def due_today(self, *, actor: Member) -> list[Customer]:
        """The member's follow-ups due by the end of their local day (overdue included)."""
        zone = ZoneInfo(actor.timezone)
        local_now = self._clock.now().astimezone(zone)
        end_of_day = datetime.combine(local_now.date() + timedelta(days=1), time(0), zone)
        async with self._db.read() as repo:
            return await repo.customers.due_followups(owner_id=actor.id, until=end_of_day)

    # -- changes -----------------------------------------------------------------------------

    async def _schedule_followup(
        self, tx: Repositories, customer: Customer, when: datetime | None, now: datetime
    ) -> None:
        """Replace the customer's pending follow-up reminder (same transaction as the change)."""
        await tx.outbox.cancel_pending(customer_id=customer.id, kinds=[FOLLOWUP_DUE])
        if when is None or customer.owner_id is None:
            return
        await tx.outbox.add(
            kind=FOLLOWUP_DUE, chat_id=customer.owner_id, user_id=customer.owner_id,
            customer_id=customer.id, due_at=when, at=now,
            payload={"due_at": when.isoformat()},
        )

    async def _writable(self, tx: Repositories, actor: Member, customer_id: int) -> Customer:
        # Anyone who can see a customer may work on it: reps see only their own.
        return await self._visible(tx, actor, customer_id)

    async def log(
        self,
        *,
        actor: Member,
        customer_id: int,
        kind: InteractionKind,
        text: str,
        amount_minor: int | None = None,
        currency: str | None = None,
        sentiment: Sentiment | None = None,
        next_followup_at: datetime | None = None,
    ) -> Interaction:
        """Record an interaction; it resets the inactivity clock and may set the follow-up."""
        if (amount_minor is None) != (currency is None):
            raise ValueError("an amount needs a currency")
        now = self._clock.now()
        async with self._db.transaction() as tx:
            before = await self._writable(tx, actor, customer_id)
            interaction = await tx.interactions.add(
                customer_id=customer_id, author_id=actor.id, kind=kind, text=text.strip(),
                amount_minor=amount_minor, currency=currency, sentiment=sentiment,
                next_followup_at=next_followup_at, occurred_at=now, at=now,
            )
            changes: dict[str, Any] = {"last_contact_at": now}
            if next_followup_at is not None:
                changes["next_followup_at"] = next_followup_at
            warn = sentiment is Sentiment.DISSATISFIED and before.status not in (
                CustomerStatus.CHURN_WARNING, CustomerStatus.CHURNED
            )
            if warn:
                # The product's rule: dissatisfied feedback raises a churn warning at once.
                changes["status"] = CustomerStatus.CHURN_WARNING
                await tx.status_history.add(
                    customer_id=customer_id, changed_by=None, from_status=before.status,
                    to_status=CustomerStatus.CHURN_WARNING, reason=None,
                    reason_text=None, at=now,
                )
                await tx.audit.add(
                    actor_id=None, action="customer.status_changed", entity="customer",
                    entity_id=customer_id, at=now,
                    details={"from": before.status.value, "to": "churn_warning",
                             "rule": "dissatisfied_feedback"},
                )
                await self._feedback_alerts(tx, actor, before, interaction.id, now)
            updated = await tx.customers.update(customer_id=customer_id, at=now, **changes)
            if next_followup_at is not None:
                await self._schedule_followup(tx, updated, next_followup_at, now)
            await tx.audit.add(
                actor_id=actor.id, action="interaction.logged", entity="customer",
                entity_id=customer_id, at=now,
                details={"interaction": interaction.id, "kind": kind.value},
            )
        return interaction

    async def change_status(
        self,
        *,
        actor: Member,
        customer_id: int,
        status: CustomerStatus,
        reason: ChurnReason | None = None,
        reason_text: str | None = None,
    ) -> Customer:
        """Move a customer to a status, with history and audit; churned needs a reason."""
        if status is CustomerStatus.CHURNED and reason is None:
            raise ReasonRequired(str(customer_id))
        now = self._clock.now()
        async with self._db.transaction() as tx:
            before = await self._writable(tx, actor, customer_id)
            if before.status is status:
                return before
            customer = await tx.customers.update(customer_id=customer_id, at=now, status=status)
            await tx.status_history.add(
                customer_id=customer_id, changed_by=actor.id, from_status=before.status,
                to_status=status, reason=reason if status is CustomerStatus.CHURNED else None,
                reason_text=reason_text, at=now,
            )
            await tx.audit.add(
                actor_id=actor.id, action="customer.status_changed", entity="customer",
                entity_id=customer_id, at=now,
                details={"from": before.status.value, "to": status.value,
                         "reason": reason.value if reason else None},
            )
            if status is CustomerStatus.WON:
                await queue_group_alert(tx, event=DEAL_WON, at=now, customer_id=customer_id,
                                        facts={"won_at": now.isoformat()})
        return customer

    async def set_followup(self, *, actor: Member, customer_id: int, when: datetime | None
                           ) -> Customer:
        """Set (or clear) the next follow-up time."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await self._writable(tx, actor, customer_id)
            customer = await tx.customers.update(
                customer_id=customer_id, at=now, next_followup_at=when
            )
            await self._schedule_followup(tx, customer, when, now)
            await tx.audit.add(
                actor_id=actor.id, action="customer.followup_set", entity="customer",
                entity_id=customer_id, at=now,
                details={"at": when.isoformat() if when else None},
            )
        return customer

    async def _feedback_alerts(self, tx: Repositories, actor: Member, customer: Customer,
                               interaction_id: int, now: datetime) -> None:
        """Dissatisfied feedback: tell the owner (unless they logged it) and the managers,
        and alert the bound groups, in the transaction that raised the warning."""
        readers = set(await tx.users.ids_with_role(roles=[Role.MANAGER])
                      or await tx.users.ids_with_role(roles=[Role.ADMIN]))
        if customer.owner_id is not None:
            readers.add(customer.owner_id)
        readers.discard(actor.id)
        for reader in sorted(readers):
            await tx.outbox.add(
                kind=FEEDBACK_ALERT, chat_id=reader, user_id=reader, customer_id=customer.id,
                due_at=now, at=now, payload={"interaction_id": interaction_id},
                dedupe_key=f"{FEEDBACK_ALERT}:{interaction_id}:{reader}",
            )
        await queue_group_alert(tx, event=CHURN_WARNING, at=now, customer_id=customer.id,
                                occasion=f"feedback:{interaction_id}")

    async def complete_followup(self, *, actor: Member, customer_id: int, note: str
                                ) -> Customer:
        """The follow-up happened: log it (resetting the inactivity clock) and clear it."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await self._writable(tx, actor, customer_id)
            interaction = await tx.interactions.add(
                customer_id=customer_id, author_id=actor.id, kind=InteractionKind.NOTE,
                text=note, amount_minor=None, currency=None, sentiment=None,
                next_followup_at=None, occurred_at=now, at=now,
            )
            customer = await tx.customers.update(
                customer_id=customer_id, at=now, last_contact_at=now, next_followup_at=None
            )
            await self._schedule_followup(tx, customer, None, now)
            await tx.audit.add(
                actor_id=actor.id, action="customer.followup_done", entity="customer",
                entity_id=customer_id, at=now, details={"interaction": interaction.id},
            )
        return customer

    async def get_many(self, *, customer_ids: list[int]) -> list[Customer]:
        """Customers by id, for the system's own messages (no visibility filter)."""
        async with self._db.read() as repo:
            return await repo.customers.get_many(customer_ids=customer_ids)

    async def interaction_text(self, *, customer_id: int, interaction_id: int) -> str:
        """The text of one interaction of a customer ('' when it is gone)."""
        async with self._db.read() as repo:
            item = await repo.interactions.get(interaction_id=interaction_id)
        return item.text if item is not None and item.customer_id == customer_id else ""

    async def followup_context(self, *, customer_id: int) -> tuple[Customer, Interaction | None]:
        """For a reminder: the customer and the last interaction (why we follow up)."""
        async with self._db.read() as repo:
            customer = await repo.customers.get(customer_id=customer_id)
            if customer is None or customer.merged_into_id is not None:
                raise NotFound(str(customer_id))
            recent = await repo.interactions.recent(customer_id=customer_id, limit=1)
        return customer, recent[0] if recent else None

    async def edit(self, *, actor: Member, customer_id: int, field_name: str, text: str
                   ) -> Customer:
        """Change one profile field from typed text, with the capture's validation."""
        if field_name not in EDITABLE_FIELDS:
            raise PermissionDenied(field_name)
        value = self.parse_field(field_name, text)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            before = await self._writable(tx, actor, customer_id)
            customer = await tx.customers.update(
                customer_id=customer_id, at=now, **{field_name: value}
            )
            await tx.audit.add(
                actor_id=actor.id, action="customer.edited", entity="customer",
                entity_id=customer_id, at=now,
                # Which field changed, not its content: the audit log is not a copy of the book.
                details={"field": field_name, "was_empty": not getattr(before, field_name)},
            )
        return customer

    async def by_phone(self, *, actor: Member, phone: str) -> list[Customer]:
        """Visible customers with this exact (E.164) phone."""
        owners = visible_owner_ids(actor)
        async with self._db.read() as repo:
            found = await repo.customers.by_phone(phones=[phone])
        return [c for c in found if owners is None or c.owner_id in owners]


def _split_list(text: str) -> list[str]:
    """Items typed as a list: separated by commas, semicolons or new lines."""
    for separator in ("，", "、", ";", "；", "\n"):
        text = text.replace(separator, ",")
    return [part.strip() for part in text.split(",") if part.strip()]

