"""One outbox item per lead at a time, whichever direction it goes.

`claim_due` already hands out one item per lead *and direction*; the two directions of
one lead take turns here, from the send to the commit: a write to DomIQ reads ResMan
first (`send_domiq`), and a write to ResMan landing between that read and the commit
would make the read stale. A lead's lock lives only while someone uses it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator


class LeadTurns:
    """A lock per lead, made on first use and dropped after the last."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: Counter[str] = Counter()

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str) -> AsyncIterator[None]:
        """Hold `conversation_id`'s turn for the block."""
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        self._users[conversation_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[conversation_id] -= 1
            if not self._users[conversation_id]:
                del self._users[conversation_id]
                del self._locks[conversation_id]
