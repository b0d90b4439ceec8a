"""Runtime configuration, read from the environment and `.env` (prefix ``TELECRM_``)."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import phonenumbers
from babel.numbers import list_currencies as get_currency_list
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.models import CustomerStatus
from bot.domain.preferences import is_timezone, parse_time_of_day
from bot.domain.rules import parse_inactivity

Language = Literal["en", "zh"]
Mode = Literal["polling", "webhook"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

ENV_PREFIX = "TELECRM_"
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BOT_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Settings(BaseSettings):
    """Every knob of telecrm; see `.env.example` for what each one means."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,  # `TELECRM_X=` in .env means "not set"
        frozen=True,
    )

    bot_token: SecretStr | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    api_base_file_url: str = "https://api.telegram.org/file/bot"
    database_url: str = "sqlite:///./data/telecrm.db"
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    default_language: Language = "en"
    default_timezone: str = "UTC"
    default_phone_region: str = "CN"
    default_currency: str = "CNY"
    mode: Mode = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    log_level: LogLevel = "INFO"
    scheduler_tick_seconds: float = Field(default=10, gt=0, le=3600)
    # The rules pass (bot/services/rules.py): inactivity nudges, churn warnings, dormancy, tiers.
    rules_interval_minutes: float = Field(default=60, gt=0, le=24 * 60)
    inactivity_days: Annotated[tuple[tuple[CustomerStatus, int], ...], NoDecode] = (
        (CustomerStatus.INITIAL_CONTACT, 3),
        (CustomerStatus.FOLLOWING_UP, 7),
        (CustomerStatus.PENDING_CONFIRMATION, 3),
        (CustomerStatus.MAINTAINING, 30),
    )
    dormant_after_days: int = Field(default=60, ge=1, le=3650)
    tier_window_days: int = Field(default=365, ge=1, le=3650)
    tier_recency_days: int = Field(default=90, ge=1, le=3650)
    tier_high_amount: Decimal = Field(default=Decimal(100000), ge=0)
    tier_high_purchases: int = Field(default=6, ge=1)
    tier_low_amount: Decimal = Field(default=Decimal(5000), ge=0)
    # Manager digests and team group alerts (bot/services/digest.py, bot/services/groups.py).
    digest_check_seconds: float = Field(default=300, gt=0, le=3600)
    group_overdue_threshold: int = Field(default=5, ge=0, le=10_000)
    group_overdue_check_time: time = time(9, 0)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            for part in parts:
                if not part.isdigit():
                    raise ValueError(f"{part!r} is not a Telegram user id (digits only)")
            return tuple(int(p) for p in parts)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("inactivity_days", mode="before")
    @classmethod
    def _parse_inactivity(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(parse_inactivity(value).items())
        return value

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        if not is_timezone(value):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Shanghai)")
        return value

    @field_validator("default_phone_region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a phone region code (e.g. CN, US, DE)")
        return region

    @field_validator("default_currency")
    @classmethod
    def _check_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in get_currency_list():
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. CNY, USD, EUR)")
        return code

    @field_validator("group_overdue_check_time", mode="before")
    @classmethod
    def _parse_check_time(cls, value: object) -> object:
        if isinstance(value, str):
            parsed = parse_time_of_day(value)
            if parsed is None:
                raise ValueError(f"{value!r} is not a time of day (e.g. 09:00)")
            return parsed
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith("sqlite:///"):
            raise ValueError("only sqlite:///PATH is supported (e.g. sqlite:///./data/telecrm.db)")
        if not value.removeprefix("sqlite:///"):
            raise ValueError("the SQLite path is empty")
        return value

    @field_validator("api_base_url", "api_base_file_url", "webhook_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _BOT_TOKEN_RE.match(value.get_secret_value()):
            # Never echo the value: it is a secret even when malformed.
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _check_webhook(self) -> Settings:
        if self.mode == "webhook":
            if not self.webhook_url:
                raise ValueError("TELECRM_WEBHOOK_URL is required when TELECRM_MODE=webhook")
            if self.webhook_secret is None:
                raise ValueError("TELECRM_WEBHOOK_SECRET is required when TELECRM_MODE=webhook")
        return self

    @model_validator(mode="after")
    def _check_tiers(self) -> Settings:
        if self.tier_low_amount > self.tier_high_amount:
            raise ValueError(
                "TELECRM_TIER_LOW_AMOUNT must not exceed TELECRM_TIER_HIGH_AMOUNT"
            )
        if self.tier_recency_days > self.tier_window_days:
            raise ValueError(
                "TELECRM_TIER_RECENCY_DAYS must not exceed TELECRM_TIER_WINDOW_DAYS"
            )
        return self

    @property
    def database_path(self) -> Path:
        """The SQLite file the database URL points at."""
        return Path(self.database_url.removeprefix("sqlite:///"))

    def secrets(self) -> list[str]:
        """Secret values that must never reach a log line."""
        found = [s.get_secret_value() for s in (self.bot_token, self.webhook_secret) if s]
        return [s for s in found if s]

    def require_token(self) -> str:
        """The bot token, or a ConfigError naming the variable."""
        if self.bot_token is None or not self.bot_token.get_secret_value():
            raise ConfigError(
                f"{ENV_PREFIX}BOT_TOKEN is required to run the bot "
                "(ask @BotFather for one, or try `telecrm console` without it)"
            )
        return self.bot_token.get_secret_value()


def _describe(error: ValidationError) -> str:
    """One line per problem, each naming the environment variable."""
    lines = []
    for item in error.errors():
        loc = [str(p) for p in item.get("loc", ()) if p != "__root__"]
        message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
        if loc:
            lines.append(f"{ENV_PREFIX}{loc[0].upper()}: {message}")
        else:
            lines.append(message)
    return "\n".join(lines)


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Build the settings from the environment; a bad value becomes a ConfigError."""
    try:
        return Settings(_env_file=env_file)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
