"""SQLitePersistence used directly: what one instance writes, a new one reads back."""

from __future__ import annotations

from typing import Any

from bot.storage.db import Database
from bot.storage.persistence import SQLitePersistence


def _persistence(db: Database, factory: Any = dict) -> SQLitePersistence:
    async def provide() -> Database:
        return db

    return SQLitePersistence(provide, factory)


async def test_conversation_survives_a_restart(db: Database) -> None:
    """A state written by one persistence is returned by a new one on the same database."""
    first = _persistence(db)
    assert await first.get_conversations("settings") == {}
    await first.update_conversation("settings", (10, 20), 3)
    await first.update_conversation("settings", (30,), "ASK")
    await first.update_conversation("other", (10, 20), 1)
    second = _persistence(db)
    assert await second.get_conversations("settings") == {(10, 20): 3, (30,): "ASK"}
    assert await second.get_conversations("other") == {(10, 20): 1}


async def test_conversation_state_changes(db: Database) -> None:
    """A later state replaces the earlier one."""
    first = _persistence(db)
    await first.get_conversations("settings")
    await first.update_conversation("settings", (1, 1), 1)
    await first.update_conversation("settings", (1, 1), 2)
    assert await _persistence(db).get_conversations("settings") == {(1, 1): 2}


async def test_conversation_none_removes_it(db: Database) -> None:
    """A None state ends the conversation, for this instance and after a restart."""
    first = _persistence(db)
    await first.get_conversations("settings")
    await first.update_conversation("settings", (1, 2), 3)
    await first.update_conversation("settings", (5, 6), 4)
    await first.update_conversation("settings", (1, 2), None)
    assert await first.get_conversations("settings") == {(5, 6): 4}
    second = _persistence(db)
    assert await second.get_conversations("settings") == {(5, 6): 4}
    await second.update_conversation("settings", (5, 6), None)
    assert await _persistence(db).get_conversations("settings") == {}


async def test_get_conversations_returns_a_copy(db: Database) -> None:
    """Changing the returned dict does not make the persistence skip a later write."""
    persistence = _persistence(db)
    await persistence.update_conversation("c", (1,), 1)
    states = await persistence.get_conversations("c")
    states[(2,)] = 2
    await persistence.update_conversation("c", (2,), 2)
    assert await _persistence(db).get_conversations("c") == {(1,): 1, (2,): 2}


async def test_user_data_round_trip_and_drop(db: Database) -> None:
    """User data is written through, read by a new instance, and dropped."""
    first = _persistence(db)
    assert await first.get_user_data() == {}
    await first.update_user_data(7, {"draft": {"name": "Zhang Wei"}, "step": 2})
    await first.update_user_data(8, {"x": 1})
    await first.update_user_data(8, {"x": 2})
    second = _persistence(db)
    assert await second.get_user_data() == {
        7: {"draft": {"name": "Zhang Wei"}, "step": 2},
        8: {"x": 2},
    }
    await second.drop_user_data(7)
    assert await _persistence(db).get_user_data() == {8: {"x": 2}}


async def test_chat_data_round_trip_and_drop(db: Database) -> None:
    """Chat data is written through, kept apart from user data, and dropped."""
    first = _persistence(db)
    await first.update_chat_data(-100123, {"bound": True})
    await first.update_user_data(5, {"u": 1})
    second = _persistence(db)
    assert await second.get_chat_data() == {-100123: {"bound": True}}
    await second.drop_chat_data(-100123)
    assert await _persistence(db).get_chat_data() == {}
    assert await _persistence(db).get_user_data() == {5: {"u": 1}}


async def test_bot_data_comes_from_the_factory(db: Database) -> None:
    """get_bot_data returns the factory's object; update_bot_data stores nothing."""
    made = {"settings": object()}
    persistence = _persistence(db, lambda: made)
    assert await persistence.get_bot_data() is made
    await persistence.update_bot_data({"stored": True})
    async with db.read() as repo:
        assert await repo.ptb.load(kind="bot") == {}


async def test_callback_data_round_trip(db: Database) -> None:
    """The arbitrary-callback-data cache is stored and read back; None before any."""
    first = _persistence(db)
    assert await first.get_callback_data() is None
    await first.update_callback_data(([("k1", 1234.5, {"b": "v"})], {"cq": "k1"}))
    assert await _persistence(db).get_callback_data() == (
        [("k1", 1234.5, {"b": "v"})],
        {"cq": "k1"},
    )


async def test_flush_is_harmless(db: Database) -> None:
    """flush (and the refresh hooks) neither fail nor lose written data."""
    persistence = _persistence(db)
    await persistence.update_user_data(1, {"a": 1})
    await persistence.update_conversation("c", (1,), 2)
    await persistence.refresh_user_data(1, {})
    await persistence.refresh_chat_data(1, {})
    await persistence.refresh_bot_data({})
    await persistence.flush()
    await persistence.flush()
    fresh = _persistence(db)
    assert await fresh.get_user_data() == {1: {"a": 1}}
    assert await fresh.get_conversations("c") == {(1,): 2}


def test_stores_user_and_chat_data_but_not_bot_data(db: Database) -> None:
    """The persistence declares what it stores: user, chat; not bot or callback data."""
    store = _persistence(db).store_data
    assert (store.user_data, store.chat_data) == (True, True)
    assert (store.bot_data, store.callback_data) == (False, False)
