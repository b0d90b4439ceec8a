"""Pydantic models and enumerations of the CRM domain. No I/O here."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    """What a team member may do; ordered from most to least powerful."""

    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"


class CustomerStatus(StrEnum):
    """Communication status of a customer (stable keys; labels are translated)."""

    POTENTIAL = "potential"
    INITIAL_CONTACT = "initial_contact"
    FOLLOWING_UP = "following_up"
    PENDING_CONFIRMATION = "pending_confirmation"
    WON = "won"
    MAINTAINING = "maintaining"
    CHURN_WARNING = "churn_warning"
    CHURNED = "churned"
    DORMANT = "dormant"


class CustomerKind(StrEnum):
    """A company (B2B) or a person (B2C)."""

    B2B = "b2b"
    B2C = "b2c"


class Demand(StrEnum):
    """What the customer wants from us."""

    PRODUCT = "product"
    SERVICE = "service"
    BOTH = "both"


class ValueTier(StrEnum):
    """Customer value, from recency, frequency and amounts of purchases."""

    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class InteractionKind(StrEnum):
    """How we were in touch with a customer."""

    CALL = "call"
    MEETING = "meeting"
    MESSAGE = "message"
    EMAIL = "email"
    VISIT = "visit"
    NOTE = "note"
    FEEDBACK = "feedback"


class Sentiment(StrEnum):
    """What a customer said of us, in a feedback interaction."""

    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"


class ChurnReason(StrEnum):
    """Why a customer left."""

    PRODUCT_QUALITY = "product_quality"
    SERVICE = "service"
    PRICE = "price"
    COMPETITOR = "competitor"
    NO_LONGER_NEEDED = "no_longer_needed"
    OTHER = "other"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class Member(_Model):
    """A team member: a Telegram user who may use the bot."""

    id: int
    full_name: str
    username: str | None = None
    role: Role
    language: str
    timezone: str
    quiet_start: time | None = None
    quiet_end: time | None = None
    digest_time: time = time(9, 0)
    active: bool = True
    reachable: bool = True
    created_at: datetime
    updated_at: datetime

    @property
    def is_admin(self) -> bool:
        """Admins may invite, change roles and see everything."""
        return self.role is Role.ADMIN

    @property
    def is_manager_or_admin(self) -> bool:
        """Managers and admins see the team's customers and get digests."""
        return self.role in (Role.ADMIN, Role.MANAGER)


class Invite(_Model):
    """A one-time code that lets one person join the team with a role."""

    code: str
    role: Role
    created_by: int
    created_at: datetime
    expires_at: datetime
    used_by: int | None = None
    used_at: datetime | None = None


class AuditEntry(_Model):
    """One change, who made it and when (actor None means the system)."""

    id: int
    actor_id: int | None
    action: str
    entity: str
    entity_id: str | None
    details: dict[str, Any] = Field(default_factory=dict)
    at: datetime


class GroupChat(_Model):
    """A group chat bound to receive team alerts."""

    chat_id: int
    title: str | None
    bound_by: int
    bound_at: datetime
    show_values: bool = False


class Customer(_Model):
    """A customer's profile and where they stand with us."""

    id: int
    name: str
    company: str | None = None
    kind: CustomerKind = CustomerKind.B2C
    phones: tuple[str, ...] = ()  # E.164, first is primary
    emails: tuple[str, ...] = ()  # normalised, first is primary
    telegram_username: str | None = None  # without '@'
    city: str | None = None
    source: str | None = None
    demand: Demand | None = None
    status: CustomerStatus = CustomerStatus.POTENTIAL
    value_tier: ValueTier = ValueTier.NORMAL
    value_tier_override: ValueTier | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None
    owner_id: int | None = None
    referred_by_id: int | None = None
    merged_into_id: int | None = None
    last_contact_at: datetime | None = None
    next_followup_at: datetime | None = None
    created_by: int | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def tier(self) -> ValueTier:
        """The value tier that applies: a manual override wins over the computed one."""
        return self.value_tier_override or self.value_tier


class Interaction(_Model):
    """One contact with a customer: a call, a meeting, a note, feedback..."""

    id: int
    customer_id: int
    author_id: int | None
    kind: InteractionKind
    text: str = ""
    amount_minor: int | None = None  # minor units (cents, fen)
    currency: str | None = None  # ISO 4217
    sentiment: Sentiment | None = None
    next_followup_at: datetime | None = None
    occurred_at: datetime
    created_at: datetime


class StatusChange(_Model):
    """One move of a customer from a status to another (changed_by None: a rule)."""

    id: int
    customer_id: int
    changed_by: int | None
    from_status: CustomerStatus | None
    to_status: CustomerStatus
    reason: ChurnReason | None = None
    reason_text: str | None = None
    changed_at: datetime


class OutboxMessage(_Model):
    """A message the bot will send on its own (see bot/storage/outbox.py)."""

    id: int
    kind: str
    chat_id: int
    user_id: int | None = None
    customer_id: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    dedupe_key: str | None = None
    due_at: datetime
    state: str = "pending"
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    message_id: int | None = None
    created_at: datetime
