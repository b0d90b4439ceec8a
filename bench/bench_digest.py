"""Benchmark the manager's digest over the seeded book (100k customers, 1M interactions) for a
team of 50 reps.

Runs on a private copy of the benchmark database (deleted after unless --keep): the copy gets
30 more reps (50 in all), the customers shared among them round-robin, and one bound group.
Target (issue 4): a digest for a team of 50 reps under 1 s. Printed per step: p50, p95, max
in milliseconds over the runs; the figure that counts is the whole digest as the dispatcher
renders it at send time (figures + text + chart).

    .venv/bin/python -m bench.bench_digest [--path FILE] [--runs 20] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.seed import ADMIN_ID, DEFAULT_PATH, MANAGER_IDS, NOW, REP_IDS, ensure
from bot.clock import FakeClock
from bot.config import Settings
from bot.domain.models import OutboxMessage
from bot.i18n import translator
from bot.reminders.render import render
from bot.services import CRM
from bot.services.digest import DIGEST, Period
from bot.storage.codec import ts
from bot.views.charts import pipeline_chart
from bot.views.digest import digest_text

TARGET_MS = 1000.0
TEAM = 50
GROUP = -100_001


def _copy(source: Path, target: Path) -> None:
    """A private copy of the seeded database with a team of 50 reps and a bound group."""
    conn = sqlite3.connect(source)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    conn.close()
    shutil.copyfile(source, target)
    conn = sqlite3.connect(target)
    extra = range(REP_IDS[-1] + 1, REP_IDS[0] + TEAM)
    conn.executemany(
        "INSERT INTO users (id, full_name, role, language, timezone, created_at, updated_at)"
        " VALUES (?, ?, 'rep', 'en', 'Asia/Shanghai', ?, ?)",
        [(uid, f"Rep {uid}", ts(NOW), ts(NOW)) for uid in extra],
    )
    conn.execute("UPDATE customers SET owner_id = ? + (id % ?)", (REP_IDS[0], TEAM))
    conn.execute(
        "INSERT INTO group_chats (chat_id, title, bound_by, bound_at) VALUES (?, ?, ?, ?)",
        (GROUP, "Sales", ADMIN_ID, ts(NOW)),
    )
    conn.commit()
    conn.close()


async def _timed(runs: int, step: Callable[[], Awaitable[Any]]) -> tuple[list[float], Any]:
    """Milliseconds of each run after one warm-up, and the last result."""
    result = await step()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await step()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def _line(label: str, times: list[float], target: float | None = None) -> str:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    verdict = "" if target is None else ("  ok" if p95 < target else "  SLOW")
    return (f"{label:<46} p50 {statistics.median(times):8.1f}  p95 {p95:8.1f}"
            f"  max {max(times):8.1f} ms{verdict}")


async def _bench(path: Path, runs: int) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{path}",
                        default_timezone="Asia/Shanghai")
    clock = FakeClock(NOW)
    started = time.perf_counter()
    crm = await CRM.open(settings, clock)  # applies the migrations the copy lacks
    print(f"opened and migrated in {time.perf_counter() - started:.1f} s")
    try:
        manager = await crm.team.get(user_id=MANAGER_IDS[0])
        assert manager is not None
        _ = translator(manager.language)
        daily_times, daily = await _timed(runs, lambda: crm.digest.report(actor=manager))
        weekly_times, weekly = await _timed(
            runs, lambda: crm.digest.report(actor=manager, period=Period.WEEKLY)
        )
        reps = len({o.member_id for o in daily.overdue})
        print(f"team: {reps} reps with overdue follow-ups, "
              f"{sum(daily.pipeline.values())} customers")
        for name, report in (("daily", daily), ("weekly", weekly)):
            print(f"{name}: {report.new_customers} new, {sum(report.moves.values())} moves, "
                  f"{len(report.wins)} won ({sum(1 for w in report.wins if w.amount)} with a "
                  f"value), {report.churn_warnings} churn warnings, "
                  f"{sum(o.count for o in report.overdue)} overdue, "
                  f"{len(report.at_risk)} at risk")

        async def text() -> str:
            return digest_text(weekly, manager, _)

        async def chart() -> bytes:
            return pipeline_chart(weekly.pipeline, _)

        text_times, rendered_text = await _timed(runs, text)
        chart_times, png = await _timed(runs, chart)

        def row(period: Period) -> OutboxMessage:
            since = NOW - period.length
            return OutboxMessage(
                id=0, kind=DIGEST, chat_id=manager.id, user_id=manager.id,
                payload={"period": period.value, "since": since.isoformat(),
                         "until": NOW.isoformat()},
                due_at=NOW, created_at=NOW,
            )

        whole_daily, _r = await _timed(runs, lambda: render(crm, row(Period.DAILY), manager))
        whole_weekly, _r = await _timed(runs, lambda: render(crm, row(Period.WEEKLY), manager))

        schedule_times, _q = await _timed(runs, crm.digest.schedule_due)

        async def overdue_check() -> int:
            clock.advance(timedelta(days=1))  # a new day: the check runs again
            return await crm.groups.check_overdue()

        check_times, alerts = await _timed(runs, overdue_check)

        print()
        print(_line("report (figures, daily)", daily_times))
        print(_line("report (figures, weekly)", weekly_times))
        print(_line(f"text ({len(rendered_text)} chars)", text_times))
        print(_line(f"chart ({len(png) // 1024} KiB PNG)", chart_times))
        print(_line("whole digest as sent, daily", whole_daily, TARGET_MS))
        print(_line("whole digest as sent, weekly", whole_weekly, TARGET_MS))
        print(_line("digest job: queue today's digests", schedule_times))
        print(_line(f"daily overdue check ({alerts} group alerts)", check_times))
    finally:
        await crm.close()


def main(argv: list[str] | None = None) -> int:
    """Command line: copy the seeded database, measure, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the copy (printed)")
    args = parser.parse_args(argv)
    source = ensure(args.path)
    folder = Path(tempfile.mkdtemp(prefix="telecrm-digest-", dir=source.parent))
    copy = folder / "digest.db"
    try:
        started = time.perf_counter()
        _copy(source, copy)
        print(f"copied to {copy} with {TEAM} reps in {time.perf_counter() - started:.1f} s")
        asyncio.run(_bench(copy, args.runs))
    finally:
        if args.keep:
            print(f"kept {copy}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
