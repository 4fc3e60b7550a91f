"""Every SQLite connection leadsync opens, so that none can keep the process alive.

aiosqlite (0.22 and later) runs each connection on a non-daemon thread that ends only
when the connection is closed: one connection left open by an error path makes the
process hang after its last line, with no message (the TUI's user sees a frozen
terminal; CI a job that never ends). Connections are opened and closed here, and the
CLI (and the test suite) stop whatever is still open on the way out.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from pathlib import Path

import aiosqlite

logger = logging.getLogger(__name__)

THREAD_END_POLLS = 500
"""At most 5 s (0.01 s a poll) for a failed connection's thread to end."""

_open: weakref.WeakSet[aiosqlite.Connection] = weakref.WeakSet()


async def connect(path: str | Path) -> aiosqlite.Connection:
    """An autocommit connection (`isolation_level=None`: transactions are explicit)."""
    conn = aiosqlite.connect(path, isolation_level=None)
    try:
        await conn
    except BaseException:
        await _thread_ended(conn)
        raise
    _open.add(conn)
    return conn


async def _thread_ended(conn: aiosqlite.Connection) -> None:
    """Wait for the worker thread of a connection that could not open. aiosqlite stops it
    itself, but its last reply is to this event loop: if the loop closed first (the
    command ends with its one-line message at once), the thread printed a traceback
    ("Event loop is closed") on the user's terminal."""
    thread = conn._thread  # aiosqlite keeps it private; there is no public way to wait
    for _ in range(THREAD_END_POLLS):
        if not thread.is_alive():
            return
        await asyncio.sleep(0.01)


async def close(conn: aiosqlite.Connection) -> None:
    _open.discard(conn)
    await conn.close()


def open_count() -> int:
    """Connections opened here and not closed yet (still referenced)."""
    return len(_open)


def open_now() -> frozenset[int]:
    """Which connections are open now (by identity), to tell later which ones are new."""
    return frozenset(id(conn) for conn in _open)


def stop_leaked(keep: frozenset[int] = frozenset(), *, quiet: bool = False) -> int:
    """Stop the thread of every connection still open but those in `keep` (SQLite rolls
    back what was not committed) and return how many there were. Safe without a running
    event loop."""
    leaked = [conn for conn in _open if id(conn) not in keep]
    for conn in leaked:
        _open.discard(conn)
        conn.stop()
    if leaked and not quiet:
        logger.warning("%d database connection(s) left open were closed at exit", len(leaked))
    return len(leaked)
