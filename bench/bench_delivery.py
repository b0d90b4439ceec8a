"""Deliver N due follow-up reminders to 1,000 chats through the real dispatcher and limiter.

    .venv/bin/python -m bench.bench_delivery [--count 10000] [--chats 1000] [--concurrency 32]
                                             [--layout spread|clustered] [--unlimited]

The fake Bot API (tests/fakebotapi.py) and the application (`build_application`, so the
production `RetryingRateLimiter`: 30 messages/s overall) run in this process. Members,
customers (next follow-up set), one interaction each (the reminder's "why") and the
`followup_due` outbox rows, all due now, are written in bulk with sqlite3; then
`Dispatcher(crm, app.bot).tick()` runs until nothing is pending. Prints the throughput against
the limit (target: at least 90 %), duplicates and lost rows (both must be 0), and timings.
Also prints how many messages one chat got within one second (Telegram allows about 1/s per
chat). `--unlimited` switches the overall limit off to show how fast the rest of the pipeline
is; `--layout clustered` puts each chat's rows next to each other (one rep's many follow-ups
due at the same minute) instead of round robin.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# RetryAfter.retry_after as a timedelta (PTB 22), as in the tests.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bot.app import build_application, running
from bot.config import Settings
from bot.reminders.dispatch import BATCH, Dispatcher
from bot.storage.codec import ts
from tests.fakebotapi import FakeBotAPI

ADMIN_ID = 1000
FIRST_REP_ID = 100_001
GLOBAL_LIMIT = 30.0  # AIORateLimiter's default overall_max_rate per second
TARGET_SHARE = 0.9
REMINDER_RE = re.compile(r"Time to follow up with #(\d+) ")
DEADLINE_SECONDS = 3600.0


def seed(path: Path, count: int, chats: int, layout: str) -> None:
    """Members, customers with a due follow-up, their last interaction, the outbox rows.

    "spread": consecutive rows go to different chats (round robin); "clustered": each chat's
    rows are consecutive (a rep whose ten follow-ups are all due at 09:00).
    """
    now = datetime.now(UTC)
    due = ts(now - timedelta(minutes=1))
    at = ts(now)
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    try:
        conn.execute("BEGIN")
        reps = [FIRST_REP_ID + i for i in range(chats)]
        conn.executemany(
            "INSERT INTO users (id, full_name, role, language, timezone, created_at, updated_at)"
            " VALUES (?, ?, 'rep', 'en', 'UTC', ?, ?)",
            [(rep, f"Rep {rep}", at, at) for rep in reps],
        )
        per_chat = -(-count // chats)
        customers = [
            (i, reps[(i - 1) % chats] if layout == "spread" else reps[(i - 1) // per_chat])
            for i in range(1, count + 1)
        ]
        conn.executemany(
            "INSERT INTO customers (id, name, company, kind, owner_id, next_followup_at,"
            " last_contact_at, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, 'b2b', ?, ?, ?, ?, ?, ?)",
            [
                (cid, f"Customer {cid}", f"Company {cid % 997}", owner, due, at, owner, at, at)
                for cid, owner in customers
            ],
        )
        conn.executemany(
            "INSERT INTO interactions (customer_id, author_id, kind, text, occurred_at,"
            " created_at) VALUES (?, ?, 'call', 'sent the quote', ?, ?)",
            [(cid, owner, at, at) for cid, owner in customers],
        )
        conn.executemany(
            "INSERT INTO outbox (kind, chat_id, user_id, customer_id, payload, due_at,"
            " created_at) VALUES ('followup_due', ?, ?, ?, ?, ?, ?)",
            [
                (owner, owner, cid, json.dumps({"due_at": due}), due, at)
                for cid, owner in customers
            ],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def counts(path: Path) -> dict[str, int]:
    """Follow-up outbox rows per state."""
    conn = sqlite3.connect(path, timeout=30.0)
    try:
        rows = conn.execute(
            "SELECT state, COUNT(*) FROM outbox WHERE kind = 'followup_due' GROUP BY state"
        ).fetchall()
        return {str(state): int(n) for state, n in rows}
    finally:
        conn.close()


def attempts(path: Path) -> dict[int, int]:
    """How many follow-up rows took how many attempts."""
    conn = sqlite3.connect(path, timeout=30.0)
    try:
        rows = conn.execute(
            "SELECT attempts, COUNT(*) FROM outbox WHERE kind = 'followup_due' GROUP BY attempts"
        ).fetchall()
        return {int(a): int(n) for a, n in rows}
    finally:
        conn.close()


async def progress(server: FakeBotAPI, started: float, total: int) -> None:
    """Print the delivered count and rate every 10 s."""
    while True:
        await asyncio.sleep(10)
        done = len(server.sent_messages())
        elapsed = time.perf_counter() - started
        print(
            f"  {elapsed:6.1f} s  {done:>6}/{total} delivered  {done / elapsed:5.1f}/s", flush=True
        )


async def run(count: int, chats: int, concurrency: int, unlimited: bool, layout: str) -> int:
    """Seed, deliver everything, print the figures; non-zero if a target was missed."""
    with tempfile.TemporaryDirectory(prefix="telecrm-bench-") as tmp:
        path = Path(tmp) / "delivery.db"
        async with FakeBotAPI() as server:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                bot_token=server.token,
                api_base_url=server.base_url,
                api_base_file_url=server.base_file_url,
                database_url=f"sqlite:///{path}",
                admin_ids=(ADMIN_ID,),
            )
            app = build_application(settings)
            async with running(app):
                # Only this benchmark's dispatcher delivers (the app's tick job would compete).
                assert app.job_queue is not None
                for job in app.job_queue.jobs():
                    job.schedule_removal()
                limiter: Any = app.bot.rate_limiter
                if unlimited:
                    limiter._base_limiter = None
                seeded = time.perf_counter()
                seed(path, count, chats, layout)
                print(
                    f"seeded {count} due reminders for {chats} chats ({layout}) in "
                    f"{time.perf_counter() - seeded:.1f} s; concurrency {concurrency}, "
                    f"claim batch {BATCH}, limit "
                    f"{'off' if unlimited else f'{GLOBAL_LIMIT:g}/s'}",
                    flush=True,
                )
                base = len(server.calls)
                dispatcher = Dispatcher(app.bot_data.crm, app.bot, concurrency=concurrency)
                started = time.perf_counter()
                reporter = asyncio.create_task(progress(server, started, count))
                ticks = 0
                try:
                    while counts(path).get("pending", 0):
                        if time.perf_counter() - started > DEADLINE_SECONDS:
                            print("gave up: still pending after the deadline")
                            break
                        ticks += 1
                        if not await dispatcher.tick():
                            await asyncio.sleep(0.1)  # released rows become due again later
                finally:
                    reporter.cancel()
                total = time.perf_counter() - started
                return report(server, path, base, count, total, ticks, unlimited)


def report(
    server: FakeBotAPI,
    path: Path,
    base: int,
    count: int,
    total: float,
    ticks: int,
    unlimited: bool,
) -> int:
    """Print the figures; 1 if throughput, duplicates or losses miss their target."""
    calls = [c for c in server.calls[base:] if c.method == "sendMessage"]
    ok = [c for c in calls if c.response_status == 200]
    per_row = collections.Counter[int]()
    for message in server.sent_messages():
        found = REMINDER_RE.search(str(message.get("plain_text", "")))
        if found:
            per_row[int(found.group(1))] += 1
    duplicates = sum(n - 1 for n in per_row.values() if n > 1)
    states = counts(path)
    missing = count - len(per_row)
    lost = max(missing, count - states.get("sent", 0))
    span = ok[-1].at - ok[0].at if len(ok) > 1 else 0.0
    rate = (len(ok) - 1) / span if span else 0.0
    # The limiter lets a first burst of 30 through at once; the rest is the steady rate.
    steady = [c.at for c in ok[int(GLOBAL_LIMIT) :]]
    steady_rate = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else 0.0
    seconds = collections.Counter(int(c.at - ok[0].at) for c in ok)
    full = [seconds[s] for s in range(int(span))] if span >= 1 else []
    gaps = [b.at - a.at for a, b in itertools.pairwise(ok)]
    by_chat: dict[Any, list[float]] = collections.defaultdict(list)
    for call in ok:
        by_chat[call.chat_id].append(call.at)
    # Telegram allows about one message per second in a chat: the most any chat got in 1 s.
    per_chat_peak = max((_peak(times, 1.0) for times in by_chat.values()), default=0)
    fast_chats = sum(1 for times in by_chat.values() if _peak(times, 1.0) > 1)
    target = TARGET_SHARE * GLOBAL_LIMIT
    print()
    print(
        f"delivered         {len(ok)} of {count} (sendMessage calls: {len(calls)}, "
        f"non-200: {len(calls) - len(ok)})"
    )
    print(f"total time        {total:.1f} s  ({ticks} dispatcher ticks)")
    print(
        f"throughput        {len(ok) / total:.2f} msg/s overall, {rate:.2f} msg/s first to "
        f"last send, {steady_rate:.2f} msg/s after the first burst of {GLOBAL_LIMIT:g}"
    )
    if not unlimited:
        print(
            f"vs the limit      {100 * rate / GLOBAL_LIMIT:.1f} % of {GLOBAL_LIMIT:g}/s "
            f"(target >= {100 * TARGET_SHARE:g} %: {'ok' if rate >= target else 'MISSED'})"
        )
    if full:
        print(
            f"per second        min {min(full)}  median {statistics.median(full):g}  "
            f"max {max(full)}  (whole seconds only)"
        )
    if gaps:
        ordered = sorted(gaps)
        print(
            f"gap between sends p50 {1000 * statistics.median(ordered):.1f} ms  "
            f"p99 {1000 * ordered[int(0.99 * (len(ordered) - 1))]:.1f} ms  "
            f"max {1000 * ordered[-1]:.1f} ms"
        )
    print(
        f"per chat          at most {per_chat_peak} message(s) in 1 s to one chat; "
        f"{fast_chats} of {len(by_chat)} chats got more than 1 within 1 s "
        f"(Telegram: ~1/s per chat)"
    )
    print(f"duplicates        {duplicates} (target 0)")
    print(f"lost              {lost} (target 0; rows by state: {states})")
    print(f"attempts per row  {attempts(path)}")
    missed = duplicates or lost or (not unlimited and rate < target)
    return 1 if missed else 0


def _peak(times: list[float], window: float) -> int:
    """The most of these (sorted) instants within any `window` seconds."""
    best = start = 0
    for end, instant in enumerate(times):
        while instant - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def main(argv: list[str] | None = None) -> int:
    """Command line: run the delivery benchmark once."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="due reminders")
    parser.add_argument("--chats", type=int, default=1_000, help="distinct member chats")
    parser.add_argument("--concurrency", type=int, default=32, help="dispatcher's slots")
    parser.add_argument(
        "--unlimited",
        action="store_true",
        help="switch the 30/s overall limit off (pipeline headroom)",
    )
    parser.add_argument(
        "--layout",
        choices=("spread", "clustered"),
        default="spread",
        help="rows round robin over the chats, or each chat's rows together",
    )
    args = parser.parse_args(argv)
    if args.count < 1 or args.chats < 1:
        parser.error("--count and --chats must be positive")
    return asyncio.run(run(args.count, args.chats, args.concurrency, args.unlimited, args.layout))


if __name__ == "__main__":
    sys.exit(main())
