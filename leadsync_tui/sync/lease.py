"""The sync lease: exactly one engine per store sends to DomIQ and ResMan (issue #14).

The lease is the store's `engine` row (`EngineRecord`): holder host, pid and a random
token, a heartbeat and an expiry (`[sync] lease_expiry`, 15 s). An engine takes it only
when it is free (never taken, released, expired, or its process is gone on this host),
by a compare-and-swap on the token; taking it over also puts back what the previous
holder left in flight (`Database.take_engine`), in the same transaction. The holder
renews it every third of the expiry.

Fencing: while it holds the lease, the engine's outbox claims and results apply only
under its token (`Database.lease_token`), and every write request to DomIQ or ResMan
first calls `check` (`clients.fence`): one primary-key read. A holder that finds another
token there (it was stopped past its expiry and someone took over) sends nothing more,
marks the lease `lost` and the engine steps down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from leadsync_tui.clients.fence import WriteFenced
from leadsync_tui.event_wait import wait_for_event
from leadsync_tui.models import format_utc
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import EngineRecord
from leadsync_tui.sync.engine_presence import EXPIRY, ago, is_alive, this_host
from leadsync_tui.sync.journal import Journal

logger = logging.getLogger(__name__)


class LeaseHeld(Exception):
    """Another live engine holds the sync lease."""

    def __init__(self, holder: EngineRecord) -> None:
        super().__init__(f"the sync lease is held by {holder.host} pid {holder.pid}")
        self.holder = holder


class LeaseLost(WriteFenced):
    """This engine held the lease and another one took it over: it must send nothing."""


class SyncLease:
    """This process's claim on the sync lease of one store."""

    def __init__(
        self,
        db: Database,
        journal: Journal,
        now: Callable[[], datetime],
        *,
        expiry: timedelta = EXPIRY,
        host: str | None = None,
        pid: int | None = None,
    ) -> None:
        self._db = db
        self._journal = journal
        self._now = now
        self.expiry = expiry
        self.host = host or this_host()
        self.pid = pid or os.getpid()
        self.token = secrets.token_hex(16)
        self.mode = "run"
        self.generation: int | None = None
        """The generation this process holds; None while it holds none."""
        self.lost = asyncio.Event()
        """Set when another engine took the lease over from this one."""
        self._started: datetime | None = None
        self._said: str | None = None
        self.renewed_at: float | None = None
        """When (monotonic) this process last took or renewed the lease: a window that
        runs the engine tells a store that stopped answering by it (`engine_seat`)."""
        """The holder's token already reported (said once, not per try)."""

    @property
    def beat_every(self) -> float:
        """Seconds between two heartbeats: three fit in one expiry."""
        return self.expiry.total_seconds() / 3

    @property
    def held(self) -> bool:
        return self.generation is not None

    async def holder(self) -> EngineRecord | None:
        """The live engine holding the lease, if it is another one."""
        current = await self._db.engine_record()
        if current is None or current.token == self.token:
            return None
        return current if is_alive(current, self._now(), host=self.host) else None

    async def take(self, mode: str | None = None) -> bool:
        """Take the lease if free, or renew it if ours; False while another holds it.
        Raises `LeaseLost` when this process held it and another took it over."""
        if mode is not None:
            self.mode = mode
        for _ in range(3):  # a lost compare-and-swap means someone else wrote: look again
            now = self._now()
            current = await self._db.engine_record()
            mine = current is not None and current.token == self.token
            # Renewed only while held: a row still ours that this process let go of (its
            # release could not be written: the store was down) is taken over afresh, a
            # new generation that puts back what the last run left in flight. Renewed,
            # it left this process fenced, and the engine stopped at its first send.
            if mine and current is not None and current.stopped_at is None and self.held:
                if await self._db.swap_engine(self._record(now, current.generation), self.token):
                    self.renewed_at = time.monotonic()
                    return True
                continue
            if self.held:
                self._lose(current)
            if current is not None and not mine and is_alive(current, now, host=self.host):
                self._say_held(current, now)
                return False
            if await self._take_over(now, current):
                return True
        return False

    async def check(self) -> None:
        """The write fence: returns when this engine still holds the lease, renewing it
        first if it expired unnoticed (a pause nobody used); raises `LeaseLost` else."""
        if not self.held:
            raise LeaseLost("this engine does not hold the sync lease")
        current = await self._db.engine_record()
        if current is None or current.token != self.token or current.stopped_at is not None:
            self._lose(current)
        expired = current is not None and current.expires_at <= self._now()
        if expired and not await self.take():
            self._lose(await self._db.engine_record())

    async def release(self) -> None:
        """Mark the lease free (only if it is still ours); nothing in flight is ours then."""
        held, self.generation = self.held, None
        if not held:
            return  # never held, or lost: the store stays fenced against this token
        self._db.lease_token = None
        current = await self._db.engine_record()
        if current is None or current.token != self.token:
            return
        now = self._now()
        stopped = current.model_copy(update={"stopped_at": now, "expires_at": now})
        await self._db.swap_engine(stopped, self.token)

    @contextlib.asynccontextmanager
    async def holding(self, mode: str) -> AsyncIterator[None]:
        """Hold the lease (taken now, or `LeaseHeld`) and keep it renewed while the block
        runs; released when it ends any way but a kill."""
        if not await self.take(mode):
            raise LeaseHeld(await self._db.engine_record() or self._record(self._now(), 0))
        keeper = asyncio.create_task(self._keep())
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            try:
                await self.release()
            except Exception as exc:  # full disk, lost store: the expiry frees it anyway
                logger.warning("could not release the sync lease: %s", exc)

    async def wait(self, mode: str, stop: asyncio.Event) -> bool:
        """Try to take the lease until it is ours (True) or `stop` is set (False)."""
        poll = min(1.0, self.beat_every)
        while not stop.is_set():
            if await self.take(mode):
                return True
            await wait_for_event(stop, poll)
        return False

    # ----------------------------------------------------------------- inside

    def _record(self, now: datetime, generation: int) -> EngineRecord:
        return EngineRecord(
            host=self.host,
            pid=self.pid,
            token=self.token,
            mode=self.mode,
            started_at=self._started or now,
            heartbeat_at=now,
            expires_at=now + self.expiry,
            generation=generation,
        )

    async def _take_over(self, now: datetime, current: EngineRecord | None) -> bool:
        self._started = now
        record = self._record(now, 1 if current is None else current.generation + 1)
        expected = None if current is None else current.token
        reclaimed = await self._db.take_engine(record, expected)
        if reclaimed is None:
            return False
        self.generation = record.generation
        self.renewed_at = time.monotonic()
        self._db.lease_token = self.token
        self.lost.clear()
        self._said = None
        self._journal.emit(
            "lease_taken",
            host=self.host,
            pid=self.pid,
            generation=record.generation,
            reclaimed=reclaimed,
            previous=None if current is None else f"{current.host} pid {current.pid}",
        )
        return True

    def _lose(self, current: EngineRecord | None) -> None:
        """Another engine has the lease now: stop writing, say so once, raise."""
        if self.held:
            self.generation = None
            self._db.lease_token = self.token  # keep the store fenced against this token
            self.lost.set()
            self._journal.emit(
                "lease_lost",
                holder=None if current is None else f"{current.host} pid {current.pid}",
                note="another engine took the sync lease over; this one sends nothing more"
                " and stops",
            )
            logger.warning("sync lease lost to another engine; stepping down")
        raise LeaseLost("another engine holds the sync lease now")

    def _say_held(self, holder: EngineRecord, now: datetime) -> None:
        if self._said == holder.token:
            return
        self._said = holder.token
        self._journal.emit(
            "lease_held",
            host=holder.host,
            pid=holder.pid,
            mode=holder.mode,
            since=format_utc(holder.started_at),
            heartbeat_age_s=round(max(0.0, (now - holder.heartbeat_at).total_seconds()), 1),
            heartbeat=f"{ago(now - holder.heartbeat_at)} ago",
            note="another engine holds the sync lease; waiting for it",
        )

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.beat_every)
            try:
                await self.take()
            except LeaseLost:
                return
            except Exception as exc:  # a busy or locked store: try again next beat
                logger.warning("could not renew the sync lease: %s", exc)
