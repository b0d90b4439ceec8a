"""Secrets never reach a log line: the redacting formatter and the logging set-up."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.logs import REDACTED, RedactingFormatter, setup_logging

TOKEN = "123456:AAH-secret_Token"


def _record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = sys.exc_info() if exc else None
    return logging.LogRecord("telecrm.test", logging.INFO, __file__, 1, msg, args, exc_info)


def _format(record: logging.LogRecord, secrets: list[str] | None = None) -> str:
    formatter = RedactingFormatter(
        "%(levelname)s %(message)s", [TOKEN] if secrets is None else secrets
    )
    return formatter.format(record)


def test_secret_in_message() -> None:
    """A secret in the message is replaced."""
    text = _format(_record(f"token is {TOKEN}!"))
    assert TOKEN not in text
    assert text == f"INFO token is {REDACTED}!"


def test_secret_in_args() -> None:
    """A secret passed as a %-argument is replaced after formatting."""
    text = _format(_record("GET %s -> %d", f"https://api.telegram.org/bot{TOKEN}/getMe", 200))
    assert text == f"INFO GET https://api.telegram.org/bot{REDACTED}/getMe -> 200"


def test_secret_in_traceback() -> None:
    """A secret inside an exception's message is scrubbed from the traceback."""
    try:
        raise RuntimeError(f"could not reach https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        record = _record("request failed", exc=True)
    text = _format(record)
    assert "Traceback" in text
    assert "RuntimeError" in text
    assert TOKEN not in text
    assert f"bot{REDACTED}/getMe" in text


def test_url_quoted_secret() -> None:
    """The URL-quoted form of a secret (':' as '%3A') is scrubbed too."""
    quoted = TOKEN.replace(":", "%3A")
    text = _format(_record(f"POST https://api.telegram.org/bot{quoted}/sendMessage"))
    assert quoted not in text
    assert "123456" not in text
    assert f"bot{REDACTED}/sendMessage" in text


def test_longest_secret_first() -> None:
    """When one secret contains another, the longer one is replaced whole."""
    text = _format(_record("abc-def and abc"), ["abc", "abc-def"])
    assert text == f"INFO {REDACTED} and {REDACTED}"


def test_empty_secret_is_ignored() -> None:
    """An empty secret does not garble every line."""
    assert _format(_record("hello"), ["", TOKEN]) == "INFO hello"


def test_no_secrets_leaves_text_alone() -> None:
    """Without secrets, the formatter formats as usual."""
    assert _format(_record("a %s b", "x"), []) == "INFO a x b"


@given(
    secret=st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_-",
        min_size=6,
        max_size=40,
    ),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_secret_never_survives(secret: str, before: str, after: str) -> None:
    """Whatever surrounds it, neither the secret nor its quoted form is left in the line."""
    assume(secret not in REDACTED)
    formatter = RedactingFormatter("%(message)s", [secret])
    for form in (secret, quote(secret, safe="")):
        text = formatter.format(_record("%s", before + form + after))
        assert secret not in text
        assert quote(secret, safe="") not in text
        assert REDACTED in text


@contextmanager
def _restored_logging() -> Iterator[logging.Logger]:
    """Undo setup_logging's changes to the root logger and the library loggers."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = ("httpx", "httpcore", "apscheduler", "telegram.ext.ExtBot", "aiosqlite", "tornado")
    levels = {name: logging.getLogger(name).level for name in names}
    try:
        yield root
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


@pytest.mark.parametrize("level", ["INFO", "WARNING", "ERROR"])
def test_setup_logging_quiets_url_loggers(level: str) -> None:
    """Below DEBUG, httpx and friends (which log URLs with the token) stay at WARNING."""
    with _restored_logging() as root:
        setup_logging(level, [TOKEN])
        assert root.level == logging.getLevelName(level)
        for name in ("httpx", "httpcore", "telegram.ext.ExtBot"):
            assert logging.getLogger(name).level == logging.WARNING
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)


def test_setup_logging_debug_lets_libraries_talk() -> None:
    """At DEBUG the libraries log at DEBUG too (and the formatter still scrubs)."""
    with _restored_logging() as root:
        setup_logging("DEBUG", [TOKEN])
        assert root.level == logging.DEBUG
        assert logging.getLogger("httpx").level == logging.DEBUG
        assert logging.getLogger("httpx").isEnabledFor(logging.DEBUG)


def test_setup_logging_replaces_handlers_and_redacts(capsys: pytest.CaptureFixture[str]) -> None:
    """One stderr handler remains, and what it writes is scrubbed."""
    with _restored_logging() as root:
        root.addHandler(logging.NullHandler())
        setup_logging("INFO", [TOKEN])
        assert len(root.handlers) == 1
        assert isinstance(root.handlers[0].formatter, RedactingFormatter)
        logging.getLogger("telecrm.test").info("calling %s", f"https://x/bot{TOKEN}/getMe")
        logging.getLogger("httpx").info("HTTP Request: POST https://x/bot%s/getMe", TOKEN)
        err = capsys.readouterr().err
    assert f"calling https://x/bot{REDACTED}/getMe" in err
    assert "INFO telecrm.test:" in err
    assert "HTTP Request" not in err
    assert TOKEN not in err
