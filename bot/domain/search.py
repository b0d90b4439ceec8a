"""Customer search: the candidates storage retrieves for a query."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """A customer as retrieved for a search, before ranking."""

    customer_id: int
    name: str
    company: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    username: str | None
    tags: tuple[str, ...]
