"""Settings from the environment and `.env`: defaults, parsing, and errors naming the variable."""

from __future__ import annotations

import traceback
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.config import ConfigError, Settings, load_settings
from bot.domain.models import CustomerStatus

TOKEN = "123456:AbC-def_GHI"
SECRET = "hook-Secret_42"


@pytest.fixture(autouse=True)
def _no_dotenv_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in an empty directory, so no developer's `.env` is read."""
    monkeypatch.chdir(tmp_path)


def _error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    """Set TELECRM_<name> variables, load, and return the ConfigError's message."""
    for name, value in env.items():
        monkeypatch.setenv(f"TELECRM_{name}", value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    return str(info.value)


def test_defaults() -> None:
    """With no variable set, every setting has its documented default."""
    settings = load_settings()
    assert settings.bot_token is None
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert settings.api_base_file_url == "https://api.telegram.org/file/bot"
    assert settings.database_url == "sqlite:///./data/telecrm.db"
    assert settings.admin_ids == ()
    assert settings.default_language == "en"
    assert settings.default_timezone == "UTC"
    assert settings.default_phone_region == "CN"
    assert settings.default_currency == "CNY"
    assert settings.mode == "polling"
    assert settings.webhook_url is None
    assert settings.webhook_listen == "127.0.0.1"
    assert settings.webhook_port == 8443
    assert settings.webhook_secret is None
    assert settings.log_level == "INFO"


VARIABLE_CASES: list[tuple[str, str, str, object]] = [
    ("API_BASE_URL", "http://localhost:8081/bot", "api_base_url", "http://localhost:8081/bot"),
    (
        "API_BASE_FILE_URL",
        "http://localhost:8081/file/bot",
        "api_base_file_url",
        "http://localhost:8081/file/bot",
    ),
    ("DATABASE_URL", "sqlite:////var/lib/crm.db", "database_url", "sqlite:////var/lib/crm.db"),
    ("ADMIN_IDS", "1, 2", "admin_ids", (1, 2)),
    ("DEFAULT_LANGUAGE", "zh", "default_language", "zh"),
    ("DEFAULT_TIMEZONE", "Asia/Shanghai", "default_timezone", "Asia/Shanghai"),
    ("DEFAULT_PHONE_REGION", " de ", "default_phone_region", "DE"),
    ("DEFAULT_CURRENCY", " usd ", "default_currency", "USD"),
    ("SCHEDULER_TICK_SECONDS", "2.5", "scheduler_tick_seconds", 2.5),
    (
        "WEBHOOK_URL",
        "https://crm.example.com/hook",
        "webhook_url",
        "https://crm.example.com/hook",
    ),
    ("WEBHOOK_LISTEN", "0.0.0.0", "webhook_listen", "0.0.0.0"),
    ("WEBHOOK_PORT", "9000", "webhook_port", 9000),
    ("LOG_LEVEL", "debug", "log_level", "DEBUG"),
    ("RULES_INTERVAL_MINUTES", "15", "rules_interval_minutes", 15.0),
    (
        "INACTIVITY_DAYS",
        " following_up = 5 , won=40,",
        "inactivity_days",
        ((CustomerStatus.FOLLOWING_UP, 5), (CustomerStatus.WON, 40)),
    ),
    ("DORMANT_AFTER_DAYS", "90", "dormant_after_days", 90),
    ("TIER_WINDOW_DAYS", "180", "tier_window_days", 180),
    ("TIER_RECENCY_DAYS", "30", "tier_recency_days", 30),
    ("TIER_HIGH_AMOUNT", "25000.50", "tier_high_amount", Decimal("25000.50")),
    ("TIER_HIGH_PURCHASES", "3", "tier_high_purchases", 3),
    ("TIER_LOW_AMOUNT", "0", "tier_low_amount", Decimal(0)),
    ("DIGEST_CHECK_SECONDS", "60", "digest_check_seconds", 60.0),
    ("GROUP_OVERDUE_THRESHOLD", "3", "group_overdue_threshold", 3),
    ("GROUP_OVERDUE_CHECK_TIME", "8:30", "group_overdue_check_time", time(8, 30)),
]
# Read as secrets or only together with others; tested separately below.
SPECIAL_FIELDS = {"bot_token", "webhook_secret", "mode"}


def test_every_setting_is_covered() -> None:
    """Every field of Settings has a test of its TELECRM_ variable below."""
    covered = {attribute for _, _, attribute, _ in VARIABLE_CASES} | SPECIAL_FIELDS
    assert covered == set(Settings.model_fields)


@pytest.mark.parametrize(("variable", "raw", "attribute", "expected"), VARIABLE_CASES)
def test_each_variable_is_read(
    monkeypatch: pytest.MonkeyPatch, variable: str, raw: str, attribute: str, expected: object
) -> None:
    """A TELECRM_ variable sets (and normalises) its setting."""
    monkeypatch.setenv(f"TELECRM_{variable}", raw)
    assert getattr(load_settings(), attribute) == expected


def test_secrets_are_read_as_secret_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token and webhook secret are read, and hidden from repr."""
    monkeypatch.setenv("TELECRM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELECRM_WEBHOOK_SECRET", SECRET)
    settings = load_settings()
    assert isinstance(settings.bot_token, SecretStr)
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == SECRET
    assert TOKEN not in repr(settings)
    assert SECRET not in repr(settings)


def test_webhook_mode_with_url_and_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """TELECRM_MODE=webhook is accepted when the URL and the secret are given."""
    monkeypatch.setenv("TELECRM_MODE", "webhook")
    monkeypatch.setenv("TELECRM_WEBHOOK_URL", "https://crm.example.com/hook")
    monkeypatch.setenv("TELECRM_WEBHOOK_SECRET", SECRET)
    assert load_settings().mode == "webhook"


def test_variable_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lower-case variable name is read too."""
    monkeypatch.setenv("telecrm_default_language", "zh")
    assert load_settings().default_language == "zh"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1, 2", (1, 2)), ("42", (42,)), ("", ()), (" 7 ,, 8 ,", (7, 8)), ("5,5", (5, 5))],
)
def test_admin_ids_parsing(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: tuple[int, ...]
) -> None:
    """TELECRM_ADMIN_IDS is a comma-separated list of ids, spaces and empty items ignored."""
    monkeypatch.setenv("TELECRM_ADMIN_IDS", raw)
    assert load_settings().admin_ids == expected


@given(st.lists(st.integers(min_value=1, max_value=2**53), max_size=6))
def test_admin_ids_round_trip(ids: list[int]) -> None:
    """Any list of positive ids written as 'a, b, c' reads back as the same tuple."""
    settings = Settings(_env_file=None, admin_ids=", ".join(map(str, ids)))
    assert settings.admin_ids == tuple(ids)


@pytest.mark.parametrize("raw", ["1, x", "12a", "1;2", "0x10"])
def test_bad_admin_id_names_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    """A non-numeric admin id is a one-line error naming TELECRM_ADMIN_IDS."""
    message = _error(monkeypatch, ADMIN_IDS=raw)
    assert message.startswith("TELECRM_ADMIN_IDS: ")
    assert "not a Telegram user id" in message
    assert "\n" not in message


@pytest.mark.parametrize("raw", ["-5", "--5"])
def test_negative_admin_id_is_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    """Telegram user ids are positive; a negative one (a chat id) is refused by name."""
    message = _error(monkeypatch, ADMIN_IDS=raw)
    assert message.startswith("TELECRM_ADMIN_IDS: ")
    assert "is not a Telegram user id" in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEFAULT_TIMEZONE", "Mars/Olympus_Mons"),
        ("DEFAULT_TIMEZONE", "Europe/"),
        ("DEFAULT_TIMEZONE", "zone1970.tab"),
        ("DEFAULT_TIMEZONE", "../etc/passwd"),
        ("DEFAULT_PHONE_REGION", "XX"),
        ("DEFAULT_PHONE_REGION", "China"),
        ("DEFAULT_CURRENCY", "RMB"),
        ("DEFAULT_CURRENCY", "XYZ"),
        ("DATABASE_URL", "postgresql://crm@db/crm"),
        ("DATABASE_URL", "sqlite:///"),
        ("DATABASE_URL", "sqlite://relative.db"),
        ("API_BASE_URL", "ftp://api.example.com/bot"),
        ("API_BASE_FILE_URL", "api.example.com/file"),
        ("WEBHOOK_URL", "not a url"),
        ("WEBHOOK_PORT", "0"),
        ("WEBHOOK_PORT", "70000"),
        ("WEBHOOK_PORT", "eighty"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("MODE", "push"),
        ("LOG_LEVEL", "loud"),
        ("INACTIVITY_DAYS", "following_up"),
        ("INACTIVITY_DAYS", "following_up=0"),
        ("INACTIVITY_DAYS", "folowing_up=7"),
        ("INACTIVITY_DAYS", "churn_warning=7"),
        ("INACTIVITY_DAYS", "won=3,won=4"),
        ("RULES_INTERVAL_MINUTES", "0"),
        ("DORMANT_AFTER_DAYS", "0"),
        ("TIER_HIGH_AMOUNT", "-1"),
        ("GROUP_OVERDUE_CHECK_TIME", "25:00"),
        ("GROUP_OVERDUE_THRESHOLD", "-1"),
        ("DIGEST_CHECK_SECONDS", "0"),
    ],
)
def test_invalid_value_is_a_one_line_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """Each invalid value is refused with one line that starts with the variable's name."""
    message = _error(monkeypatch, **{variable: value})
    assert message.startswith(f"TELECRM_{variable}: ")
    assert "\n" not in message


def test_rules_defaults() -> None:
    """The rules pass's documented defaults (issue 4)."""
    settings = load_settings()
    assert settings.rules_interval_minutes == 60
    assert dict(settings.inactivity_days) == {
        CustomerStatus.INITIAL_CONTACT: 3, CustomerStatus.FOLLOWING_UP: 7,
        CustomerStatus.PENDING_CONFIRMATION: 3, CustomerStatus.MAINTAINING: 30,
    }
    assert settings.dormant_after_days == 60
    assert (settings.tier_window_days, settings.tier_recency_days) == (365, 90)
    assert settings.tier_high_amount == Decimal(100000)
    assert settings.tier_low_amount == Decimal(5000)
    assert settings.tier_high_purchases == 6


def test_inactivity_rules_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """TELECRM_INACTIVITY_DAYS=off: no status has an inactivity rule."""
    monkeypatch.setenv("TELECRM_INACTIVITY_DAYS", "off")
    assert load_settings().inactivity_days == ()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TIER_LOW_AMOUNT": "200", "TIER_HIGH_AMOUNT": "100"}, "TELECRM_TIER_LOW_AMOUNT"),
        ({"TIER_RECENCY_DAYS": "400"}, "TELECRM_TIER_RECENCY_DAYS"),
    ],
)
def test_tier_thresholds_must_be_ordered(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    """A low threshold above the high one, or recency beyond the window, is refused."""
    assert _error(monkeypatch, **env).startswith(named)


@pytest.mark.parametrize("value", ["Europe", "America/Argentina", "x" * 300])
def test_timezone_directory_is_a_config_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """A time zone that names a tz database folder is refused like any unknown zone."""
    message = _error(monkeypatch, DEFAULT_TIMEZONE=value)
    assert message.startswith("TELECRM_DEFAULT_TIMEZONE: ")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOT_TOKEN", "s3cr3t-but-no-colon"),
        ("BOT_TOKEN", "123456:has spaces s3cr3t"),
        ("BOT_TOKEN", "abc:s3cr3tDEF"),
        ("WEBHOOK_SECRET", "s3cr3t with spaces"),
        ("WEBHOOK_SECRET", "s3cr3t!"),
        ("WEBHOOK_SECRET", "s" * 257),
        ("DATABASE_URL", "postgresql://crm:s3cr3t-pw@db/crm"),
    ],
)
def test_invalid_secret_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A malformed secret is refused by variable name, never by value (nor in the traceback)."""
    monkeypatch.setenv(f"TELECRM_{variable}", value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"TELECRM_{variable}: ")
    assert "\n" not in message
    assert value not in message
    assert "s3cr3t" not in message
    printed = "".join(traceback.format_exception(info.value))
    assert "s3cr3t" not in printed


def test_webhook_mode_requires_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook mode without TELECRM_WEBHOOK_URL is refused, naming that variable."""
    message = _error(monkeypatch, MODE="webhook", WEBHOOK_SECRET=SECRET)
    assert "TELECRM_WEBHOOK_URL" in message
    assert "required" in message
    assert SECRET not in message
    assert "\n" not in message


def test_webhook_mode_requires_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook mode without TELECRM_WEBHOOK_SECRET is refused, naming that variable."""
    message = _error(monkeypatch, MODE="webhook", WEBHOOK_URL="https://crm.example.com/hook")
    assert "TELECRM_WEBHOOK_SECRET" in message
    assert "required" in message
    assert "\n" not in message


def test_polling_mode_needs_no_webhook_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Polling mode (explicit) is valid without any webhook setting."""
    monkeypatch.setenv("TELECRM_MODE", "polling")
    settings = load_settings()
    assert settings.mode == "polling"
    assert settings.webhook_url is None


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    """Settings come from `.env` in the working directory."""
    (tmp_path / ".env").write_text(
        f"TELECRM_BOT_TOKEN={TOKEN}\nTELECRM_ADMIN_IDS=7, 8\nTELECRM_DEFAULT_LANGUAGE=zh\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.require_token() == TOKEN
    assert settings.admin_ids == (7, 8)
    assert settings.default_language == "zh"


def test_environment_overrides_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real environment variable wins over the same one in `.env`."""
    (tmp_path / ".env").write_text("TELECRM_DEFAULT_LANGUAGE=zh\n", encoding="utf-8")
    monkeypatch.setenv("TELECRM_DEFAULT_LANGUAGE", "en")
    assert load_settings().default_language == "en"


def test_dotenv_can_be_skipped(tmp_path: Path) -> None:
    """load_settings(None) ignores `.env`."""
    (tmp_path / ".env").write_text("TELECRM_DEFAULT_LANGUAGE=zh\n", encoding="utf-8")
    assert load_settings(None).default_language == "en"


def test_dotenv_error_names_the_variable(tmp_path: Path) -> None:
    """An invalid value in `.env` is reported like one from the environment."""
    (tmp_path / ".env").write_text("TELECRM_WEBHOOK_SECRET=bad secret\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^TELECRM_WEBHOOK_SECRET: ") as info:
        load_settings()
    assert "bad secret" not in str(info.value)


def test_explicit_env_file_path(tmp_path: Path) -> None:
    """load_settings reads the env file it is given, wherever it is."""
    other = tmp_path / "conf" / "prod.env"
    other.parent.mkdir()
    other.write_text("TELECRM_WEBHOOK_PORT=8080\n", encoding="utf-8")
    assert load_settings(other).webhook_port == 8080


def test_several_errors_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two invalid variables give two lines, one per variable."""
    message = _error(monkeypatch, DEFAULT_LANGUAGE="fr", WEBHOOK_PORT="0")
    lines = message.splitlines()
    assert len(lines) == 2
    assert sorted(line.split(":")[0] for line in lines) == [
        "TELECRM_DEFAULT_LANGUAGE",
        "TELECRM_WEBHOOK_PORT",
    ]


def test_require_token_returns_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """require_token gives back the configured token."""
    monkeypatch.setenv("TELECRM_BOT_TOKEN", TOKEN)
    assert load_settings().require_token() == TOKEN


def test_require_token_without_token_names_the_variable() -> None:
    """Without a token, require_token raises a ConfigError naming TELECRM_BOT_TOKEN."""
    settings = load_settings()
    with pytest.raises(ConfigError, match="TELECRM_BOT_TOKEN is required"):
        settings.require_token()


def test_empty_token_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """`TELECRM_BOT_TOKEN=` loads, and only require_token complains (naming the variable)."""
    monkeypatch.setenv("TELECRM_BOT_TOKEN", "")
    settings = load_settings()
    assert settings.bot_token is None
    with pytest.raises(ConfigError, match="TELECRM_BOT_TOKEN is required"):
        settings.require_token()


def test_empty_values_in_dotenv_mean_unset(tmp_path: Path) -> None:
    """`TELECRM_X=` lines (as in a copied .env.example) leave every setting at its default."""
    names = [
        "BOT_TOKEN",
        "API_BASE_URL",
        "API_BASE_FILE_URL",
        "DATABASE_URL",
        "ADMIN_IDS",
        "DEFAULT_LANGUAGE",
        "DEFAULT_TIMEZONE",
        "DEFAULT_PHONE_REGION",
        "DEFAULT_CURRENCY",
        "MODE",
        "WEBHOOK_URL",
        "WEBHOOK_LISTEN",
        "WEBHOOK_PORT",
        "WEBHOOK_SECRET",
        "LOG_LEVEL",
    ]
    (tmp_path / ".env").write_text("".join(f"TELECRM_{n}=\n" for n in names), encoding="utf-8")
    assert load_settings() == load_settings(None)
    assert load_settings().default_timezone == "UTC"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///./data/telecrm.db", Path("data/telecrm.db")),
        ("sqlite:////var/lib/telecrm/crm.db", Path("/var/lib/telecrm/crm.db")),
        ("sqlite:///crm.db", Path("crm.db")),
    ],
)
def test_database_path(monkeypatch: pytest.MonkeyPatch, url: str, expected: Path) -> None:
    """database_path is the file the sqlite:/// URL points at (relative or absolute)."""
    monkeypatch.setenv("TELECRM_DATABASE_URL", url)
    assert load_settings().database_path == expected


def test_secrets_lists_token_and_webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """secrets() holds every configured secret value."""
    monkeypatch.setenv("TELECRM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELECRM_WEBHOOK_SECRET", SECRET)
    assert sorted(load_settings().secrets()) == sorted([TOKEN, SECRET])


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, []),
        ({"TELECRM_BOT_TOKEN": TOKEN}, [TOKEN]),
        ({"TELECRM_WEBHOOK_SECRET": SECRET}, [SECRET]),
    ],
)
def test_secrets_only_configured_ones(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: list[str]
) -> None:
    """secrets() lists only the secrets that are set."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_settings().secrets() == expected


def test_settings_are_frozen() -> None:
    """Settings cannot be changed after loading."""
    settings = load_settings()
    field = "default_language"
    with pytest.raises(ValueError, match="frozen"):
        setattr(settings, field, "zh")
    assert settings.default_language == "en"


EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_env_example_documents_every_setting() -> None:
    """`.env.example` has a TELECRM_ line for every setting, and no unknown one."""
    text = EXAMPLE.read_text(encoding="utf-8")
    names = {
        line.split("=", 1)[0].lstrip("# ").removeprefix("TELECRM_").lower()
        for line in text.splitlines()
        if line.lstrip("# ").startswith("TELECRM_") and "=" in line
    }
    assert names == set(Settings.model_fields)


def test_env_example_copied_to_dotenv_loads(tmp_path: Path) -> None:
    """`cp .env.example .env` gives a configuration that loads (the token is only needed later)."""
    (tmp_path / ".env").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    settings = load_settings()
    assert settings.mode == "polling"
    with pytest.raises(ConfigError, match="TELECRM_BOT_TOKEN"):
        settings.require_token()
