"""Which engine runs on this store, as read from its `EngineRecord` (`leadsync status`,
the TUI's header, the lease itself).

The record is the sync lease (`sync.lease`): the engine that holds it writes it when it
starts (host, pid, a random token), renews its heartbeat every third of the expiry and
marks it stopped on a clean exit. A reader counts it alive while its expiry is ahead and,
on the same host, its pid exists: a SIGKILLed engine is "none" at once on its own host
and after the expiry from another.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from leadsync_tui.models import format_utc
from leadsync_tui.store.records import EngineRecord

logger = logging.getLogger(__name__)

EXPIRY = timedelta(seconds=15)
"""A heartbeat older than this means the engine is gone (three missed beats); the
default of `[sync] lease_expiry`."""


def this_host() -> str:
    return socket.gethostname()


def pid_exists(pid: int) -> bool:
    """True when a process with this pid exists on this host (whoever owns it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    except OSError:
        return False
    return True


def is_alive(record: EngineRecord, now: datetime, *, host: str | None = None) -> bool:
    """The engine of `record` is running: not stopped, heartbeat not expired, and (when
    it ran on this host) its process still exists."""
    if record.stopped_at is not None or record.expires_at <= now:
        return False
    return record.host != (host or this_host()) or pid_exists(record.pid)


def ago(span: timedelta) -> str:
    """`4s`, `12m`, `3h 05m`, `2d 4h`: how long ago, for one status line."""
    seconds = max(0, int(span.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"


def describe(record: EngineRecord | None, now: datetime, *, host: str | None = None) -> str:
    """The `engine` line of `leadsync status`: who runs it, or who ran it last."""
    if record is None:
        return "none (no engine has run on this database yet)"
    who = f"{record.host} pid {record.pid}"
    if is_alive(record, now, host=host):
        return (
            f"running: {who} ({record.mode}), since {format_utc(record.started_at)}, "
            f"heartbeat {ago(now - record.heartbeat_at)} ago"
        )
    if record.stopped_at is not None:
        return (
            f"none (last: {who}, stopped {format_utc(record.stopped_at)}, "
            f"{ago(now - record.stopped_at)} ago)"
        )
    return (
        f"none (last seen {who}, heartbeat {format_utc(record.heartbeat_at)}, "
        f"{ago(now - record.heartbeat_at)} ago; it did not stop cleanly)"
    )


HOLDER_LINE = ("this window runs the engine", "runs the engine")
"""What the header of the window holding the sync lease says (in full, and short)."""


def engine_line(
    record: EngineRecord | None,
    now: datetime,
    *,
    host: str | None = None,
    watch_only: bool,
    short: bool = False,
) -> str:
    """What a window that does not run the engine says about who does (its header);
    `short`: the same in fewer columns, for a narrow terminal."""
    if record is not None and is_alive(record, now, host=host):
        beat = ago(now - record.heartbeat_at)
        if short:
            return f"engine: {record.host[:20]} pid {record.pid}, {beat} ago"
        return f"engine: sync@{record.host} pid {record.pid}, heartbeat {beat} ago"
    if watch_only:
        return (
            "engine: none · ctrl+e takes over" if short else "engine: none — take over with ctrl+e"
        )
    return "engine: none, taking over"
