"""python-telegram-bot persistence kept in the SQLite database (JSON, no pickle)."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.storage.db import Database

UserData = dict[str, Any]
ChatData = dict[str, Any]


class SQLitePersistence(BasePersistence[UserData, ChatData, Any]):
    """Conversations, user data and chat data, written through to the database.

    The application flushes after every update (see `bot.app.TelecrmApplication`), so what a
    user was told is saved even if the process is killed right after.
    """

    def __init__(
        self,
        database: Callable[[], Awaitable[Database]],
        bot_data_factory: Callable[[], Any],
        update_interval: float = 60,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._database = database
        self._bot_data_factory = bot_data_factory
        self._conversations: dict[str, ConversationDict] = {}

    async def _db(self) -> Database:
        return await self._database()

    async def get_user_data(self) -> dict[int, UserData]:
        """All users' data."""
        async with (await self._db()).read() as repo:
            return await repo.ptb.load(kind="user")

    async def get_chat_data(self) -> dict[int, ChatData]:
        """All chats' data."""
        async with (await self._db()).read() as repo:
            return await repo.ptb.load(kind="chat")

    async def get_bot_data(self) -> Any:
        """Bot data is application state, rebuilt at start; nothing is stored."""
        return self._bot_data_factory()

    async def get_callback_data(self) -> CDCData | None:
        """Stored arbitrary-callback-data cache, if any."""
        async with (await self._db()).read() as repo:
            stored = await repo.ptb.load(kind="callback")
        if 0 not in stored:
            return None
        buttons, mapping = stored[0]
        return [(key, when, data) for key, when, data in buttons], dict(mapping)

    async def get_conversations(self, name: str) -> ConversationDict:
        """The states of a named conversation."""
        async with (await self._db()).read() as repo:
            found = await repo.ptb.conversations(name=name)
        self._conversations[name] = dict(found)
        return copy.copy(self._conversations[name])

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Write one conversation's state through to the database."""
        known = self._conversations.setdefault(name, {})
        if new_state is None:
            if key not in known:
                return
            del known[key]
        else:
            if key in known and known[key] == new_state:
                return
            known[key] = new_state
        async with (await self._db()).transaction() as tx:
            await tx.ptb.save_conversation(name=name, key=key, state=new_state)

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        """Write one user's data."""
        async with (await self._db()).transaction() as tx:
            await tx.ptb.save(kind="user", key=user_id, data=data)

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        """Write one chat's data."""
        async with (await self._db()).transaction() as tx:
            await tx.ptb.save(kind="chat", key=chat_id, data=data)

    async def update_bot_data(self, data: Any) -> None:
        """Bot data is not stored (see get_bot_data)."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Store the arbitrary-callback-data cache."""
        buttons, mapping = data
        async with (await self._db()).transaction() as tx:
            await tx.ptb.save(kind="callback", key=0, data=[list(buttons), mapping])

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget a chat's data."""
        async with (await self._db()).transaction() as tx:
            await tx.ptb.delete(kind="chat", key=chat_id)

    async def drop_user_data(self, user_id: int) -> None:
        """Forget a user's data."""
        async with (await self._db()).transaction() as tx:
            await tx.ptb.delete(kind="user", key=user_id)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_bot_data(self, bot_data: Any) -> None:
        """Nothing to refresh: bot data is not stored."""

    async def flush(self) -> None:
        """Everything is written through already."""
