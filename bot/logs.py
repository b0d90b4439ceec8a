"""Logging set-up: one format, and secrets scrubbed from every line (tracebacks included)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from urllib.parse import quote

REDACTED = "[REDACTED]"
# Libraries that log URLs (with the token) or chatter at INFO: WARNING unless DEBUG.
_NOISY = ("httpx", "httpcore", "apscheduler", "tornado", "telegram.ext.ExtBot")
# Loggers whose DEBUG lines carry updates, message texts or SQL parameters, i.e. customer
# data: never below INFO, whatever the level.
_CONTENT = ("telegram.ext.ExtBot", "telegram.ext.Application", "telegram.ext.Updater",
            "telegram.Bot", "aiosqlite")


class QuietNetworkLoop(logging.Filter):
    """PTB's retry loop logs each failure with a traceback; the one-line reason is enough
    (the CLI reports start-up failures itself)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, without its traceback."""
        if record.name == "telegram.ext" and "Network Retry Loop" in record.getMessage():
            if record.exc_info and record.exc_info[1] is not None:
                record.msg = f"{record.getMessage()} ({type(record.exc_info[1]).__name__})"
                record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter that replaces each secret (e.g. the token inside a URL) after formatting."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        # Longest first, so a secret that contains another is replaced whole.
        # URL-quoted forms too: a token's colon becomes %3A in some URLs.
        variants = {v for s in secrets if s for v in (s, quote(s, safe=""))}
        self._secrets = sorted(variants, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        """Format as usual, then scrub."""
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr at `level`; libraries that log URLs stay at WARNING unless DEBUG."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler.addFilter(QuietNetworkLoop())
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(level if level == "DEBUG" else "WARNING")
    for name in _CONTENT:
        content = logging.getLogger(name)
        content.setLevel(max(logging.INFO, content.getEffectiveLevel()))
