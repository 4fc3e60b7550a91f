"""The engine's state lines for `leadsync status`: its last pass and the live feed.

Split from `engine` so the two JSON cursors (their names, their fields, and that failing
to write the pass's line is never a failure of the pass) are one module; `status` reads
what is written here.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime

from leadsync_tui.models import format_utc
from leadsync_tui.store.changes import ConnectionStateChanged
from leadsync_tui.store.db import Database, DatabaseError

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (sqlite3.Error, DatabaseError)
"""Failures of the sync database itself: no pass can succeed until a person acts."""

ENGINE_CURSOR = "engine.state"
"""JSON `{at, mode, ok, error, left}` of the last reconcile pass (read by `leadsync
status`); `left` says what a `--once` run left in the outbox (it exited 1)."""
FEED_CURSOR = "engine.feed"
"""JSON `{at, connected, reconnect_attempts}` of the live feed (read by `leadsync status`)."""


async def record_state(
    db: Database,
    now: Callable[[], datetime],
    mode: str,
    error: str | None,
    *,
    left: str | None = None,
) -> None:
    """`ok` only when the pass could read both sides and (`once`) left nothing behind,
    so a `--once` run that exits 1 is never recorded as ok."""
    state = {
        "at": format_utc(now()),
        "mode": mode,
        "ok": error is None and left is None,
        "error": error,
        "left": left,
    }
    try:
        await db.set_cursor(ENGINE_CURSOR, json.dumps(state))
    except STORAGE_ERRORS as exc:  # the next real write says so, in one line
        logger.info("could not record the engine state: %s", exc)
    except Exception:  # the state line is a courtesy for `status`, never a failure
        logger.exception("could not record the engine state")


async def record_feed(db: Database, at: datetime, change: ConnectionStateChanged) -> None:
    """The live feed's state as of `at` (when it changed), for `status`."""
    state = {
        "at": format_utc(at),
        "connected": change.connected,
        "reconnect_attempts": change.reconnect_attempts,
    }
    await db.set_cursor(FEED_CURSOR, json.dumps(state))
