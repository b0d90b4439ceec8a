"""Benchmark the rules pass over the seeded book (100k customers, 1M interactions).

The pass writes, so it runs on a copy of the benchmark database (the copy is deleted after).
Target (issue 4): one pass under 2 s. Printed: the first pass (many changes: a seeded book
has never been through the rules), a second pass at the same time (idempotent: must write
nothing), and an hourly pass an hour later (the steady state).

    .venv/bin/python -m bench.bench_rules [--path FILE] [--groups 2] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.seed import ADMIN_ID, DEFAULT_PATH, NOW, ensure
from bot.clock import FakeClock
from bot.config import Settings
from bot.services.rules import RulesReport, RulesService
from bot.storage.codec import ts
from bot.storage.db import Database

TARGET_SECONDS = 2.0


def _copy(source: Path, target: Path, groups: int) -> None:
    """A private copy of the seeded database, with `groups` bound team groups."""
    conn = sqlite3.connect(source)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    conn.close()
    shutil.copyfile(source, target)
    conn = sqlite3.connect(target)
    conn.executemany(
        "INSERT INTO group_chats (chat_id, title, bound_by, bound_at) VALUES (?, ?, ?, ?)",
        [(-100_000 - n, f"Sales {n}", ADMIN_ID, ts(NOW)) for n in range(groups)],
    )
    conn.commit()
    conn.close()


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("outbox", "status_history", "audit_log")
        }
    finally:
        conn.close()


def _line(label: str, seconds: float, report: RulesReport) -> str:
    verdict = "ok" if seconds < TARGET_SECONDS else "SLOW"
    return (
        f"{label:<28} {seconds * 1000:8.0f} ms  {verdict:<4}  nudges={report.nudges}"
        f" churn_warnings={report.churn_warnings} dormant={report.dormant}"
        f" tiers={report.tiers} tier_notices={report.tier_notices}"
        f" outbox_rows={report.messages}"
    )


async def _bench(path: Path) -> bool:
    clock = FakeClock(NOW)
    settings = Settings(_env_file=None, database_url=f"sqlite:///{path}",
                        default_currency="CNY")
    started = time.perf_counter()
    db = await Database.open(path, clock)  # migrates the seeded file (rules indexes: 0005)
    print(f"open + migrate (builds the new indexes): {time.perf_counter() - started:.2f} s")
    rules = RulesService(db, clock, settings)
    ok = True
    try:
        for label, advance in (("pass 1 (first, many changes)", None),
                               ("pass 2 (same time)", timedelta(0)),
                               ("pass 3 (an hour later)", timedelta(hours=1))):
            if advance is not None:
                clock.advance(advance)
            before = _counts(path)
            started = time.perf_counter()
            report = await rules.run()
            elapsed = time.perf_counter() - started
            after = _counts(path)
            print(_line(label, elapsed, report))
            ok &= elapsed < TARGET_SECONDS
            if label.startswith("pass 2"):
                if report.changed or before != after:
                    print("  NOT IDEMPOTENT: the second pass wrote", after, "vs", before)
                    ok = False
                else:
                    print("  idempotent: nothing written")
    finally:
        await db.close()
    return ok


def main(argv: list[str] | None = None) -> int:
    """Command line: seed (or reuse) the benchmark database, copy it, time the passes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--groups", type=int, default=2, help="bound team groups")
    parser.add_argument("--keep", action="store_true", help="keep the copy (path printed)")
    args = parser.parse_args(argv)
    source = ensure(args.path)
    workdir = Path(tempfile.mkdtemp(prefix="bench_rules_", dir=source.parent))
    copy = workdir / "rules.db"
    try:
        _copy(source, copy, args.groups)
        print(f"customers: {_scalar(copy, 'customers')}, interactions: "
              f"{_scalar(copy, 'interactions')}, bound groups: {args.groups}")
        ok = asyncio.run(_bench(copy))
    finally:
        if args.keep:
            print(f"kept {copy}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("all passes under 2 s" if ok else "TARGET MISSED")
    return 0 if ok else 1


def _scalar(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
