"""Time the reps' core flows on the seeded database: search, customer card, status change.

    .venv/bin/python -m bench.bench_core [--runs 200] [--path bench/.data/bench.db]

Builds the database first if needed (bench/seed.py). Each flow runs `--runs` times against
customers drawn at random; every figure is the wall time of the awaited repository calls
through aiosqlite, as a service would make them. Search rows also report recall: how often the
customer the query was made from is among the candidates (and, with rank(), among the ranked).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import seed
from bot.clock import FakeClock
from bot.domain.models import Customer, CustomerStatus
from bot.domain.search import classify_query, rank
from bot.storage import search_index
from bot.storage.db import Database

TARGETS_MS = {"search": 10.0, "card": 10.0, "status change": 5.0}



@dataclass
class Row:
    """The timings (ms) of one benchmarked operation."""

    label: str
    target_ms: float
    times: list[float]
    found: int = 0
    tried: int = 0

    def line(self) -> str:
        """One aligned line of the report."""
        ordered = sorted(self.times)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        verdict = "ok" if p95 < self.target_ms else "SLOW"
        recall = f"  recall {100 * self.found / self.tried:5.1f}%" if self.tried else ""
        return (
            f"{self.label:<44} p50 {statistics.median(ordered):6.2f}  p95 {p95:6.2f}"
            f"  max {ordered[-1]:7.2f} ms  [{verdict} < {self.target_ms:g}]{recall}"
        )


async def _timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await call()
    return (time.perf_counter() - started) * 1000, result


def _typo(word: str, rng: random.Random) -> str:
    """The word with one random edit (never the word itself)."""
    while True:
        i = rng.randrange(len(word))
        edit = rng.choice(("substitute", "transpose", "delete", "insert"))
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        if edit == "substitute":
            typo = word[:i] + letter + word[i + 1 :]
        elif edit == "transpose" and i < len(word) - 1:
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif edit == "delete":
            typo = word[:i] + word[i + 1 :]
        else:
            typo = word[:i] + letter + word[i:]
        if typo.lower() != word.lower():
            return typo


Query = tuple[str | None, str | None, Customer]  # text, digits, the customer it comes from


def _queries(customers: list[Customer], rng: random.Random) -> dict[str, list[Query]]:
    """Queries made from these customers, per kind of query."""
    latin = [c for c in customers if not search_index.is_cjk(c.name[0])]
    cjk = [c for c in customers if search_index.is_cjk(c.name[0])]
    queries: dict[str, list[Query]] = {
        "phone, last 4 digits": [], "phone, middle 6 digits": [], "name prefix, Latin": [],
        "name prefix, 2 汉字": [], "name with a typo": [],
    }
    for c in customers:
        digits = c.phones[0].lstrip("+")
        queries["phone, last 4 digits"].append((None, digits[-4:], c))
        start = rng.randrange(2, len(digits) - 6)
        queries["phone, middle 6 digits"].append((None, digits[start : start + 6], c))
    for c in latin:
        queries["name prefix, Latin"].append((c.name[: rng.randrange(3, 6)], None, c))
        words = c.name.split()
        i = rng.randrange(len(words))
        words[i] = _typo(words[i], rng) if len(words[i]) >= 3 else words[i]
        queries["name with a typo"].append((" ".join(words), None, c))
    for c in cjk:
        queries["name prefix, 2 汉字"].append((c.name[:2], None, c))
    return queries


async def _search_rows(
    db: Database, customers: list[Customer], runs: int, rng: random.Random
) -> list[Row]:
    rows: list[Row] = []
    for kind, all_made in _queries(customers, rng).items():
        made = all_made[:runs]
        # A prefix matches thousands of customers: whether one given customer is among them
        # says nothing. Elsewhere a hit is the customer itself or (typo) one of the same name.
        measured = not kind.startswith("name prefix")
        by_name = kind == "name with a typo"
        for scope in ("all", "owner"):
            row = Row(f"search_candidates: {kind} ({scope})", TARGETS_MS["search"], [])
            ranked_row = Row(f"  + classify + rank(10) ({scope})", TARGETS_MS["search"], [])
            for text, digits, target in made:
                owners = None if scope == "all" else {target.owner_id or 0}

                async def candidates(
                    text: str | None = text, digits: str | None = digits,
                    owners: set[int] | None = owners,
                ) -> Any:
                    async with db.read() as repo:
                        return await repo.customers.search_candidates(
                            text=text, digits=digits, owner_ids=owners
                        )

                elapsed, found = await _timed(candidates)
                row.times.append(elapsed)
                row.tried += measured
                row.found += measured and any(
                    _hit(c.customer_id, c.name, target, by_name) for c in found
                )
                # The whole search call, as CustomersService.find makes it.
                started = time.perf_counter()
                parsed = classify_query(text if text is not None else digits or "")
                async with db.read() as repo:
                    got = await repo.customers.search_candidates(
                        text=parsed.text if parsed.kind != "phone" else None,
                        digits=parsed.digits, owner_ids=owners,
                    )
                best = rank(parsed, got, limit=10)
                ranked_row.times.append((time.perf_counter() - started) * 1000)
                names = {c.customer_id: c.name for c in got}
                ranked_row.tried += measured
                ranked_row.found += measured and any(
                    _hit(cid, names[cid], target, by_name) for cid, _ in best
                )
            rows += [row, ranked_row]
    return rows


def _hit(customer_id: int, name: str, target: Customer, by_name: bool) -> bool:
    return customer_id == target.id or (by_name and name.casefold() == target.name.casefold())


async def _card_row(db: Database, customers: list[Customer]) -> Row:
    row = Row("card: get + recent(3) + status(1)", TARGETS_MS["card"], [])
    for c in customers:

        async def card(customer_id: int = c.id) -> Any:
            async with db.read() as repo:
                customer = await repo.customers.get(customer_id=customer_id)
                recent = await repo.interactions.recent(customer_id=customer_id, limit=3)
                last = await repo.status_history.for_customer(customer_id=customer_id, limit=1)
            return customer, recent, last

        row.times.append((await _timed(card))[0])
    return row


async def _status_row(db: Database, customers: list[Customer], rng: random.Random) -> Row:
    row = Row("status change: update + history + audit (tx)", TARGETS_MS["status change"], [])
    for c in customers:
        new = rng.choice([s for s in CustomerStatus if s is not c.status])

        async def change(c: Customer = c, new: CustomerStatus = new) -> Any:
            now = db.clock.now()
            async with db.transaction() as tx:
                await tx.customers.update(customer_id=c.id, at=now, status=new)
                await tx.status_history.add(
                    customer_id=c.id, changed_by=c.owner_id, from_status=c.status, to_status=new,
                    reason=None, reason_text=None, at=now,
                )
                await tx.audit.add(
                    actor_id=c.owner_id, action="customer.status", entity="customer",
                    entity_id=c.id, at=now, details={"from": c.status, "to": new},
                )

        row.times.append((await _timed(change))[0])
    return row


async def run(path: Path, runs: int) -> list[Row]:
    """Every benchmark row, against the database at `path`."""
    db = await Database.open(path, FakeClock(seed.NOW))
    try:
        rng = random.Random(7)
        async with db.read() as repo:
            count = sum((await repo.customers.count_by_status(owner_ids=None)).values())
            ids = rng.sample(range(1, count + 1), min(count, runs * 4))
            sample = [
                c for c in [await repo.customers.get(customer_id=i) for i in ids] if c
            ]
        # Warm the page cache once, as a running bot would be.
        await _search_rows(db, sample[:20], 20, random.Random(1))
        rows = await _search_rows(db, sample, runs, rng)
        rows.append(await _card_row(db, sample[:runs]))
        rows.append(await _status_row(db, sample[:runs], rng))
    finally:
        await db.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command line: seed if needed, run, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=seed.DEFAULT_PATH)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)
    seed.ensure(args.path)
    rows = asyncio.run(run(args.path, args.runs))
    print(f"\n{args.runs} runs each; times in ms (wall, through aiosqlite)")
    for row in rows:
        print(row.line())
    size = sum(
        Path(f"{args.path}{s}").stat().st_size
        for s in ("", "-wal")
        if Path(f"{args.path}{s}").exists()
    )
    print(f"database: {args.path} ({size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
