"""How the bot's requests to Telegram are paced and retried."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

SERVER_ERROR_RETRIES = 3
FIRST_BACKOFF_SECONDS = 0.5


class RetryingRateLimiter(AIORateLimiter):
    """PTB's limiter (Telegram's rate limits, obeying RetryAfter), plus bounded retries when
    Telegram answers 5xx or cannot be reached."""

    def __init__(self, *, backoff: float = FIRST_BACKOFF_SECONDS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._backoff = backoff

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send through the limiter; on a server error wait and try again, a few times."""
        delay = self._backoff
        for attempt in range(SERVER_ERROR_RETRIES + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except TimedOut:
                # The request may have reached Telegram: sending again could say it twice.
                raise
            except NetworkError as exc:
                if (endpoint == "getUpdates" or attempt == SERVER_ERROR_RETRIES
                        or not _unsent(exc)):
                    raise
                logger.warning(
                    "Telegram %s failed (%s); retry %d in %.1fs",
                    endpoint, type(exc).__name__, attempt + 1, delay,
                )
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def _unsent(error: NetworkError) -> bool:
    """Whether the failed request surely did not take effect: Telegram answered 5xx, or no
    connection was made. A connection dropped mid-request may have delivered the message, and
    sending it again could say it twice."""
    text = str(error)
    if not text.startswith("httpx."):
        return True  # PTB raises NetworkError with Telegram's own description for a 5xx
    return text.startswith(("httpx.ConnectError", "httpx.ConnectTimeout"))
