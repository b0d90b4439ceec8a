"""The outbox: dedupe, claims with leases, two dispatchers on one database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.storage.db import Database

LEASE = timedelta(seconds=60)


async def _queue(db: Database, clock: FakeClock, count: int, **extra: object) -> list[int]:
    ids = []
    async with db.transaction() as tx:
        for n in range(count):
            added = await tx.outbox.add(
                kind="test", chat_id=100 + n, due_at=clock.now(), at=clock.now(),
                payload={"n": n}, **extra,  # type: ignore[arg-type]
            )
            assert added is not None
            ids.append(added)
    return ids


async def test_dedupe_key_writes_once(db: Database, clock: FakeClock) -> None:
    """A second row with the same dedupe key is not written."""
    async with db.transaction() as tx:
        first = await tx.outbox.add(kind="nudge", chat_id=1, due_at=clock.now(), at=clock.now(),
                                    dedupe_key="nudge:1:x")
        second = await tx.outbox.add(kind="nudge", chat_id=1, due_at=clock.now(),
                                     at=clock.now(), dedupe_key="nudge:1:x")
    assert first is not None
    assert second is None


async def test_claim_only_due_and_unclaimed(db: Database, clock: FakeClock) -> None:
    """Future rows wait; a claimed row is not claimed again until its lease expires."""
    await _queue(db, clock, 2)
    async with db.transaction() as tx:
        await tx.outbox.add(kind="later", chat_id=9, due_at=clock.now() + timedelta(hours=1),
                            at=clock.now())
        first = await tx.outbox.claim(owner="a", now=clock.now(), lease=LEASE, limit=10)
        again = await tx.outbox.claim(owner="b", now=clock.now(), lease=LEASE, limit=10)
    assert [m.kind for m in first] == ["test", "test"]
    assert again == []
    clock.advance(LEASE + timedelta(seconds=1))
    async with db.transaction() as tx:
        stolen = await tx.outbox.claim(owner="b", now=clock.now(), lease=LEASE, limit=10)
        # The first holder lost its claim: its late mark is refused, nothing is sent twice.
        assert not await tx.outbox.mark_sent(outbox_id=first[0].id, owner="a", at=clock.now(),
                                             message_id=1)
        assert await tx.outbox.mark_sent(outbox_id=stolen[0].id, owner="b", at=clock.now(),
                                         message_id=2)
    assert len(stolen) == 2


async def test_release_fail_and_cancel(db: Database, clock: FakeClock) -> None:
    """Release puts a row back for later; fail and cancel end it."""
    ids = await _queue(db, clock, 2, customer_id=None)
    async with db.transaction() as tx:
        claimed = await tx.outbox.claim(owner="a", now=clock.now(), lease=LEASE, limit=10)
        later = clock.now() + timedelta(minutes=5)
        assert await tx.outbox.release(outbox_id=ids[0], owner="a", due_at=later,
                                       error="500", attempted=True)
        assert await tx.outbox.fail(outbox_id=ids[1], owner="a", error="403")
    assert len(claimed) == 2
    async with db.read() as repo:
        row = await repo.outbox.get(outbox_id=ids[0])
        failed = await repo.outbox.get(outbox_id=ids[1])
        assert await repo.outbox.next_due() == later
    assert row is not None
    assert row.attempts == 1
    assert row.last_error == "500"
    assert row.claimed_by is None
    assert failed is not None
    assert failed.state == "failed"


async def test_two_dispatchers_never_share_a_row(db_path: Path, clock: FakeClock) -> None:
    """Two processes' connections claiming concurrently split the rows without overlap."""
    first = await Database.open(db_path, clock)
    second = await Database.open(db_path, clock)
    try:
        ids = await _queue(first, clock, 300)

        async def drain(db: Database, owner: str) -> list[int]:
            taken: list[int] = []
            while True:
                async with db.transaction() as tx:
                    batch = await tx.outbox.claim(owner=owner, now=clock.now(), lease=LEASE,
                                                  limit=7)
                    for message in batch:
                        assert await tx.outbox.mark_sent(
                            outbox_id=message.id, owner=owner, at=clock.now(), message_id=1
                        )
                if not batch:
                    return taken
                taken += [m.id for m in batch]
                await asyncio.sleep(0)

        a, b = await asyncio.gather(drain(first, "a"), drain(second, "b"))
        # Each row delivered exactly once, whichever connection won each claim.
        assert not set(a) & set(b)
        assert sorted(a + b) == ids
    finally:
        await first.close()
        await second.close()


async def test_claim_spreads_a_batch_across_chats(db: Database, clock: FakeClock) -> None:
    """With many rows per chat due, one batch takes each chat's earliest row first."""
    async with db.transaction() as tx:
        for chat in (1, 2, 3):
            for n in range(5):
                await tx.outbox.add(kind="test", chat_id=chat, at=clock.now(),
                                    due_at=clock.now() - timedelta(minutes=10 - n))
        batch = await tx.outbox.claim(owner="a", now=clock.now(), lease=LEASE, limit=3)
    assert sorted(m.chat_id for m in batch) == [1, 2, 3]
