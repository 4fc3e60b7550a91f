"""The outbox: queued writes, claimed lane by lane, fenced by the sync lease."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from leadsync_tui.models import SyncDirection, SyncType
from leadsync_tui.store.db_codec import _dt, _json_list, _to_json, _ts
from leadsync_tui.store.db_connection import DbConnection
from leadsync_tui.store.payloads import PAYLOAD
from leadsync_tui.store.records import NewOutboxItem, OutboxCounts, OutboxItem, OutboxStatus

_OUTBOX_COLUMNS = (
    "id, conversation_id, direction, sync_type, payload, dedupe_key, status, attempts,"
    " next_attempt_at, last_error, created_at, updated_at"
)
_HOLDS_LEASE = "EXISTS (SELECT 1 FROM engine WHERE slot = 'sync' AND token = :lease)"
"""True while the token bound as `:lease` holds the sync lease (one primary-key read)."""

CLOCK_STEP = timedelta(seconds=5)
"""An outbox item stamped more than this in our future was scheduled before our clock
stepped back (NTP): its wait no longer means anything, so it is due at once."""


def _outbox_item(row: Sequence[Any]) -> OutboxItem:
    return OutboxItem(
        id=row[0],
        conversation_id=row[1],
        direction=SyncDirection(row[2]),
        sync_type=SyncType(row[3]),
        payload=PAYLOAD.validate_json(row[4]),
        dedupe_key=row[5],
        status=OutboxStatus(row[6]),
        attempts=row[7],
        next_attempt_at=_dt(row[8]),
        last_error=row[9],
        created_at=_dt(row[10]),
        updated_at=_dt(row[11]),
    )


class OutboxRows(DbConnection):
    """Outbox items: every outgoing change waits here until the other side confirms it."""

    async def enqueue(self, items: Sequence[NewOutboxItem]) -> list[int]:
        """Add items; one whose `dedupe_key` is already queued is not added twice.

        Returns the id of each item, in order, whether new or already there.
        """
        if not items:
            return []
        now = _ts(self._now())
        rows = [
            (
                item.conversation_id,
                item.direction.value,
                item.sync_type.value,
                _to_json(item.payload),
                item.dedupe_key,
                _ts(item.next_attempt_at) if item.next_attempt_at else now,
                now,
                now,
            )
            for item in items
        ]

        async def work() -> list[int]:
            await self._conn.executemany(
                "INSERT INTO outbox (conversation_id, direction, sync_type, payload,"
                " dedupe_key, status, attempts, next_attempt_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)"
                " ON CONFLICT (dedupe_key) DO NOTHING",
                rows,
            )
            found = await self._conn.execute_fetchall(
                "SELECT dedupe_key, id FROM outbox"
                " WHERE dedupe_key IN (SELECT value FROM json_each(?))",
                (_json_list(item.dedupe_key for item in items),),
            )
            ids: dict[str, int] = {key: item_id for key, item_id in found}
            return [ids[item.dedupe_key] for item in items]

        return await self._write(work)

    async def claim_due(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Mark up to `limit` due items `in_flight` and return them, oldest due first.

        Only the head of each lane (conversation, direction) is due: while an earlier
        item of the lane is pending, in flight or parked, later ones wait, so two changes
        to one lead never race or overtake each other. An item last touched in our
        future was scheduled before our clock stepped back (`CLOCK_STEP`): it is due
        now, not after the length of the step.
        """

        async def work() -> list[OutboxItem]:
            rows = await self._conn.execute_fetchall(
                "UPDATE outbox SET status = 'in_flight', attempts = attempts + 1,"
                " updated_at = :now WHERE id IN ("
                "  SELECT o.id FROM outbox o"
                "  WHERE o.status = 'pending'"
                "  AND (o.next_attempt_at <= :now OR o.updated_at > :stepped_back)"
                "  AND NOT EXISTS (SELECT 1 FROM outbox e"
                "   WHERE e.conversation_id = o.conversation_id"
                "   AND e.direction = o.direction AND e.id < o.id)"
                "  ORDER BY o.next_attempt_at, o.id LIMIT :limit)"
                f"{self._fenced()} RETURNING {_OUTBOX_COLUMNS}",
                {
                    "now": _ts(now),
                    "stepped_back": _ts(now + CLOCK_STEP),
                    "limit": limit,
                    "lease": self.lease_token,
                },
            )
            items = [_outbox_item(row) for row in rows]
            items.sort(key=lambda item: (item.next_attempt_at, item.id))
            return items

        return await self._write(work)

    async def complete(self, item_id: int) -> bool:
        """The other side confirmed: the item leaves the outbox. False if it was gone."""
        cursor = await self._write(
            lambda: self._conn.execute(
                f"DELETE FROM outbox WHERE id = :id{self._fenced()}",
                {"id": item_id, "lease": self.lease_token},
            )
        )
        return cursor.rowcount > 0

    async def fail(
        self, item_id: int, error: str, next_attempt_at: datetime, *, park: bool = False
    ) -> bool:
        """Record a failed attempt: retry from `next_attempt_at`, or park it (`failed`)."""
        status = OutboxStatus.FAILED if park else OutboxStatus.PENDING
        cursor = await self._write(
            lambda: self._conn.execute(
                "UPDATE outbox SET status = :status, last_error = :error,"
                " next_attempt_at = :next, updated_at = :now"
                f" WHERE id = :id{self._fenced()}",
                {
                    "status": status.value,
                    "error": error,
                    "next": _ts(next_attempt_at),
                    "now": _ts(self._now()),
                    "id": item_id,
                    "lease": self.lease_token,
                },
            )
        )
        return cursor.rowcount > 0

    async def retry_failed(self, ids: Iterable[int] | None = None) -> list[OutboxItem]:
        """Put parked items (all, or those of `ids`) back in the queue, due now, with their
        attempts reset. Returns the items re-armed; ids not parked are left alone."""
        sql = (
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = :now,"
            " updated_at = :now WHERE status = 'failed'"
        )
        params: dict[str, Any] = {"now": _ts(self._now())}
        if ids is not None:
            sql += " AND id IN (SELECT CAST(value AS INTEGER) FROM json_each(:ids))"
            params["ids"] = _json_list(ids)
        rows = await self._write(
            lambda: self._conn.execute_fetchall(f"{sql} RETURNING {_OUTBOX_COLUMNS}", params)
        )
        return sorted((_outbox_item(row) for row in rows), key=lambda item: item.id)

    async def requeue_in_flight(self) -> int:
        """Put items a dead run left `in_flight` back to `pending`, due now.

        Only safe when no other engine may be sending them: `take_engine` calls it in
        the transaction that takes the lease over from a gone holder."""
        now = _ts(self._now())
        cursor = await self._write(
            lambda: self._conn.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?, updated_at = ?"
                " WHERE status = 'in_flight'",
                (now, now),
            )
        )
        return cursor.rowcount

    def _fenced(self) -> str:
        """` AND <this engine holds the lease>` once an engine holds it, else nothing."""
        return "" if self.lease_token is None else f" AND {_HOLDS_LEASE}"

    async def outbox_counts(self) -> OutboxCounts:
        rows = await self._fetch("SELECT status, count(*) FROM outbox GROUP BY status")
        return OutboxCounts(**{status: count for status, count in rows})

    async def outbox_items(
        self,
        *,
        conversation_id: str | None = None,
        status: OutboxStatus | None = None,
        limit: int = 1000,
    ) -> list[OutboxItem]:
        """Items in queue order, optionally for one lead and/or in one status."""
        sql = f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE TRUE"
        params: list[Any] = []
        if conversation_id is not None:
            sql += " AND conversation_id = ?"
            params.append(conversation_id)
        if status is not None:
            sql += " AND status = ?"
            params.append(status.value)
        rows = await self._fetch(sql + " ORDER BY id LIMIT ?", [*params, limit])
        return [_outbox_item(row) for row in rows]
