"""The DomIQ live feed as the engine sees it, shared through the store with the windows
that watch (they run no engine, so no feed of their own).

Without this a watching window said "○ offline · last ping never" while the engine's feed
was live: a stale fact shown as current. The engine writes its feed state (connected,
last ping, reconnects) to one cursor every metrics tick when it moved; a watching window
reads it each watch poll and shows it, or shows the feed offline (with its last ping)
when no engine is alive to keep it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from leadsync_tui.models import format_utc
from leadsync_tui.store.actions import ConnectionChanged
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore

FEED_SEEN_CURSOR = "engine.feed_seen"


def _state_of(store: LeadSyncStore) -> dict[str, Any]:
    state = store.state
    return {
        "connected": state.real_time_connected,
        "last_ping": format_utc(state.last_ping) if state.last_ping else None,
        "reconnect_attempts": state.reconnect_attempts,
    }


class FeedPublisher:
    """The engine's side: one small write when the feed's state moved."""

    def __init__(self, db: Database, store: LeadSyncStore) -> None:
        self._db = db
        self._store = store
        self._last: dict[str, Any] | None = None

    async def publish(self) -> None:
        state = _state_of(self._store)
        if state != self._last:
            await self._db.set_cursor(FEED_SEEN_CURSOR, json.dumps(state))
            self._last = state


async def mirror_feed(db: Database, store: LeadSyncStore, *, engine_alive: bool) -> None:
    """A watching window's side: show the engine's feed, or offline when no engine runs."""
    seen = await db.get_json_cursor(FEED_SEEN_CURSOR) or {}
    ping = seen.get("last_ping")
    last_ping = datetime.fromisoformat(ping) if isinstance(ping, str) else None
    attempts = seen.get("reconnect_attempts")
    await store.dispatch(
        ConnectionChanged(
            connected=engine_alive and bool(seen.get("connected")),
            last_ping=last_ping,
            reconnect_attempts=attempts if isinstance(attempts, int) else 0,
        )
    )
