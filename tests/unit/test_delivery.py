"""Which failed sends the rate limiter may repeat without risking a double message."""

from __future__ import annotations

import pytest
from telegram.error import NetworkError

from bot.delivery import _unsent


@pytest.mark.parametrize(
    ("message", "unsent"),
    [
        ("Internal Server Error", True),  # Telegram answered 5xx
        ("Bad Gateway", True),
        ("httpx.ConnectError: All connection attempts failed", True),
        ("httpx.RemoteProtocolError: Server disconnected without sending a response.", False),
        ("httpx.ReadError: ", False),
    ],
)
def test_only_surely_unsent_requests_are_repeated(message: str, unsent: bool) -> None:
    """5xx answers and refused connections are safe to repeat; a dropped request is not."""
    assert _unsent(NetworkError(message)) is unsent
