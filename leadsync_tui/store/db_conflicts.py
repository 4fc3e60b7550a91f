"""The conflicts table: detected conflicts, their status, resolution and who decided."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from leadsync_tui.models import (
    ConflictResolution,
    ConflictSeverity,
    ConflictType,
    LeadSyncConflict,
    ResolutionStatus,
)
from leadsync_tui.store.db_codec import _dt_or_none, _json_list, _to_json, _ts_or_none
from leadsync_tui.store.db_connection import DbConnection
from leadsync_tui.store.records import FeedKind

_OPEN_STATUSES = "('unresolved', 'manual_review', 'escalated')"
_CONFLICT_COLUMNS = (
    "id, conversation_id, field, resman_value, domiq_value, base_value, conflict_type,"
    " conflict_severity, resolution_status, detected_at, resolution"
)


def _conflict_row(conflict: LeadSyncConflict) -> tuple[Any, ...]:
    return (
        conflict.id,
        conflict.conversation_id,
        conflict.field,
        _to_json(conflict.resman_value),
        _to_json(conflict.domiq_value),
        _to_json(conflict.base_value),
        conflict.conflict_type.value,
        conflict.conflict_severity.value,
        conflict.resolution_status.value,
        _ts_or_none(conflict.detected_at),
        None if conflict.resolution is None else conflict.resolution.model_dump_json(),
    )


def _conflict(row: Sequence[Any]) -> LeadSyncConflict:
    return LeadSyncConflict(
        id=row[0],
        conversation_id=row[1],
        field=row[2],
        resman_value=json.loads(row[3]),
        domiq_value=json.loads(row[4]),
        base_value=json.loads(row[5]),
        conflict_type=ConflictType(row[6]),
        conflict_severity=ConflictSeverity(row[7]),
        resolution_status=ResolutionStatus(row[8]),
        detected_at=_dt_or_none(row[9]),
        resolution=None if row[10] is None else ConflictResolution.model_validate_json(row[10]),
    )


class ConflictRows(DbConnection):
    """Conflicts, by id and by lead; open ones are those still needing someone."""

    async def upsert_conflicts(self, conflicts: Sequence[LeadSyncConflict]) -> None:
        """Insert or replace conflicts by id."""
        if not conflicts:
            return
        rows = [_conflict_row(conflict) for conflict in conflicts]

        async def work() -> None:
            await self._conn.executemany(
                f"INSERT INTO conflicts ({_CONFLICT_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET"
                " conversation_id = excluded.conversation_id, field = excluded.field,"
                " resman_value = excluded.resman_value, domiq_value = excluded.domiq_value,"
                " base_value = excluded.base_value, conflict_type = excluded.conflict_type,"
                " conflict_severity = excluded.conflict_severity,"
                " resolution_status = excluded.resolution_status,"
                " detected_at = excluded.detected_at, resolution = excluded.resolution",
                rows,
            )
            await self._feed(FeedKind.CONFLICT, [conflict.id for conflict in conflicts])

        await self._write(work)

    async def update_conflict(
        self,
        conflict: LeadSyncConflict,
        *,
        resolved_by: str | None = None,
        resolved_at: datetime | None = None,
    ) -> bool:
        """Store a conflict's new status and resolution (and who decided, and when)."""

        async def work() -> bool:
            cursor = await self._conn.execute(
                "UPDATE conflicts SET resolution_status = ?, resolution = ?,"
                " resolved_by = ?, resolved_at = ? WHERE id = ?",
                (
                    conflict.resolution_status.value,
                    None if conflict.resolution is None else conflict.resolution.model_dump_json(),
                    resolved_by,
                    _ts_or_none(resolved_at),
                    conflict.id,
                ),
            )
            if cursor.rowcount <= 0:
                return False
            await self._feed(FeedKind.CONFLICT, [conflict.id])
            return True

        return await self._write(work)

    async def get_conflict(self, conflict_id: str) -> LeadSyncConflict | None:
        rows = await self._fetch(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE id = ?", (conflict_id,)
        )
        return _conflict(rows[0]) if rows else None

    async def get_conflicts(self, conflict_ids: Iterable[str]) -> list[LeadSyncConflict]:
        """The conflicts with these ids that exist, open or not."""
        rows = await self._fetch(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts"
            " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY detected_at NULLS FIRST, id",
            (_json_list(conflict_ids),),
        )
        return [_conflict(row) for row in rows]

    async def open_conflicts(self) -> list[LeadSyncConflict]:
        """Conflicts that still need someone, oldest first."""
        rows = await self._fetch(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts"
            f" WHERE resolution_status IN {_OPEN_STATUSES} ORDER BY detected_at NULLS FIRST, id"
        )
        return [_conflict(row) for row in rows]

    async def conflicts_for(self, conversation_id: str) -> list[LeadSyncConflict]:
        """Every conflict of one lead, open or not, oldest first."""
        rows = await self._fetch(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE conversation_id = ?"
            " ORDER BY detected_at NULLS FIRST, id",
            (conversation_id,),
        )
        return [_conflict(row) for row in rows]

    async def conflict_decision(self, conflict_id: str) -> tuple[str | None, datetime | None]:
        """Who resolved a conflict and when ((None, None) while it is open)."""
        rows = await self._fetch(
            "SELECT resolved_by, resolved_at FROM conflicts WHERE id = ?", (conflict_id,)
        )
        if not rows:
            return None, None
        return rows[0][0], _dt_or_none(rows[0][1])
