"""The engine row: who runs the engine on this store, the sync lease's holder and token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadsync_tui.store.db_codec import _dt, _dt_or_none, _ts, _ts_or_none
from leadsync_tui.store.db_outbox import OutboxRows
from leadsync_tui.store.records import EngineRecord

_ENGINE_COLUMNS = (
    "slot, host, pid, token, mode, started_at, heartbeat_at, expires_at, stopped_at, generation"
)


def _engine_row(record: EngineRecord) -> tuple[Any, ...]:
    return (
        record.slot,
        record.host,
        record.pid,
        record.token,
        record.mode,
        _ts(record.started_at),
        _ts(record.heartbeat_at),
        _ts(record.expires_at),
        _ts_or_none(record.stopped_at),
        record.generation,
    )


def _engine(row: Sequence[Any]) -> EngineRecord:
    slot, host, pid, token, mode, started, beat, expires, stopped, generation = row
    return EngineRecord(
        slot=slot,
        host=host,
        pid=pid,
        token=token,
        mode=mode,
        started_at=_dt(started),
        heartbeat_at=_dt(beat),
        expires_at=_dt(expires),
        stopped_at=_dt_or_none(stopped),
        generation=generation,
    )


class EngineRows(OutboxRows):
    """The `engine` table (one row a slot); taking it over requeues the outbox."""

    async def engine_record(self, slot: str = "sync") -> EngineRecord | None:
        """Who runs (or last ran) the engine on this store; None if none ever did."""
        rows = await self._fetch(f"SELECT {_ENGINE_COLUMNS} FROM engine WHERE slot = ?", (slot,))
        return _engine(rows[0]) if rows else None

    async def swap_engine(self, record: EngineRecord, expected_token: str | None) -> bool:
        """Write `record` only if the slot still holds `expected_token` (None: is empty),
        atomically; False when another process changed it meanwhile."""
        row = _engine_row(record)

        async def swap() -> bool:
            if expected_token is None:
                cursor = await self._conn.execute(
                    f"INSERT INTO engine ({_ENGINE_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    row,
                )
            else:
                cursor = await self._conn.execute(
                    "UPDATE engine SET slot = ?, host = ?, pid = ?, token = ?, mode = ?,"
                    " started_at = ?, heartbeat_at = ?, expires_at = ?, stopped_at = ?,"
                    " generation = ? WHERE slot = ? AND token = ?",
                    (*row, record.slot, expected_token),
                )
            return cursor.rowcount == 1

        return await self._write(swap)

    async def take_engine(self, record: EngineRecord, expected_token: str | None) -> int | None:
        """Take the slot over for a new holder (`swap_engine`) and, in the same
        transaction, put every item the previous holder left `in_flight` back to
        `pending`: it is gone, so they would never finish. None when another process
        changed the slot meanwhile; else how many items were put back."""
        async with self.transaction():
            if not await self.swap_engine(record, expected_token):
                return None
            return await self.requeue_in_flight()
