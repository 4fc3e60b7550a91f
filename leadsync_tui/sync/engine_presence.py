"""Which engine runs on this store: recorded by the engine, read by `leadsync status`.

A running engine (the TUI's or `sync --headless`) writes an `EngineRecord` when it starts
(host, pid, a random token), renews its heartbeat every `HEARTBEAT_EVERY` seconds and
marks it stopped on a clean exit. A reader counts it alive while the heartbeat is younger
than `EXPIRY` and, on the same host, its pid exists: a SIGKILLed engine is "none" at once
on its own host and after `EXPIRY` from another.

The slot is taken only when it is free (empty, stopped, expired or dead), by a compare-
and-swap on the token: the shape of the single-writer lease issue #14 asks for. Today a
second engine on the same store still runs (it says so in its journal); the lease will
make it wait instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from leadsync_tui.models import format_utc
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import EngineRecord
from leadsync_tui.sync.journal import Journal

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0
"""Seconds between two heartbeats."""
EXPIRY = timedelta(seconds=15)
"""A heartbeat older than this means the engine is gone (three missed beats)."""


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


class EnginePresence:
    """This process's engine record: taken on start, renewed, released on a clean exit."""

    def __init__(
        self,
        db: Database,
        journal: Journal,
        now: Callable[[], datetime],
        *,
        mode: str,
        host: str | None = None,
        pid: int | None = None,
    ) -> None:
        self._db = db
        self._journal = journal
        self._now = now
        self.mode = mode
        self.host = host or this_host()
        self.pid = pid or os.getpid()
        self.token = secrets.token_hex(16)
        self._started: datetime | None = None
        self._other: str | None = None
        """The token of another live engine already reported (said once, not per beat)."""

    async def beat(self) -> bool:
        """Take or renew the record; False while another live engine holds it."""
        now = self._now()
        for _ in range(3):  # a lost compare-and-swap means someone else wrote: look again
            current = await self._db.engine_record()
            mine = current is not None and current.token == self.token
            if current is not None and not mine and is_alive(current, now, host=self.host):
                self._say_other(current)
                return False
            if not mine:
                self._started = now
            record = EngineRecord(
                host=self.host,
                pid=self.pid,
                token=self.token,
                mode=self.mode,
                started_at=self._started or now,
                heartbeat_at=now,
                expires_at=now + EXPIRY,
                generation=(current.generation if mine else current.generation + 1)
                if current is not None
                else 1,
            )
            if await self._db.swap_engine(record, None if current is None else current.token):
                return True
        return False

    async def release(self) -> None:
        """Mark the record stopped (only if it is still ours)."""
        current = await self._db.engine_record()
        if current is None or current.token != self.token:
            return
        now = self._now()
        stopped = current.model_copy(update={"stopped_at": now, "expires_at": now})
        await self._db.swap_engine(stopped, self.token)

    def _say_other(self, other: EngineRecord) -> None:
        if self._other == other.token:
            return
        self._other = other.token
        self._journal.emit(
            "engine_elsewhere",
            host=other.host,
            pid=other.pid,
            since=format_utc(other.started_at),
            note="another engine is running on this database; both send the outbox",
        )

    async def _keep_beating(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY)
            try:
                await self.beat()
            except Exception as exc:  # a busy or locked store: try again next beat
                logger.warning("could not renew the engine heartbeat: %s", exc)

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Recorded while the block runs; released when it ends (any way but a kill)."""
        try:
            await self.beat()
        except Exception as exc:  # the record is for `status`; the engine runs regardless
            logger.warning("could not record the running engine: %s", exc)
        task = asyncio.create_task(self._keep_beating())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            try:
                await self.release()
            except Exception as exc:  # full disk, lost store: status says so
                logger.warning("could not mark the engine stopped: %s", exc)
