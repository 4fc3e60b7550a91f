"""The append-only history: the sync log (every attempt) and the audit log (every
person's action).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from leadsync_tui.models import AttemptStatus, LeadSyncLog, Resolution, SyncDirection, SyncType
from leadsync_tui.store.db_codec import _dt, _json_list, _to_json, _ts
from leadsync_tui.store.db_connection import DbConnection
from leadsync_tui.store.records import AuditEntry, FeedKind

_LOG_COLUMNS = (
    "id, conversation_id, sync_direction, sync_status, sync_type, created_at,"
    " error_message, conflict_resolution, latency_ms"
)
_AUDIT_COLUMNS = "id, at, actor, action, target, before, after, reason"


def _log_row(log: LeadSyncLog) -> tuple[Any, ...]:
    return (
        log.id,
        log.conversation_id,
        log.sync_direction.value,
        log.sync_status.value,
        log.sync_type.value,
        _ts(log.created_at),
        log.error_message,
        None if log.conflict_resolution is None else log.conflict_resolution.value,
        log.latency_ms,
    )


def _log(row: Sequence[Any]) -> LeadSyncLog:
    return LeadSyncLog(
        id=row[0],
        conversation_id=row[1],
        sync_direction=SyncDirection(row[2]),
        sync_status=AttemptStatus(row[3]),
        sync_type=SyncType(row[4]),
        created_at=_dt(row[5]),
        error_message=row[6],
        conflict_resolution=None if row[7] is None else Resolution(row[7]),
        latency_ms=row[8],
    )


def _audit(row: Sequence[Any]) -> AuditEntry:
    return AuditEntry(
        id=row[0],
        at=_dt(row[1]),
        actor=row[2],
        action=row[3],
        target=row[4],
        before=None if row[5] is None else json.loads(row[5]),
        after=None if row[6] is None else json.loads(row[6]),
        reason=row[7],
    )


class LogRows(DbConnection):
    """The sync log and the audit log: rows are appended, never changed."""

    # ----------------------------------------------------------------- sync log

    async def append_logs(self, logs: Sequence[LeadSyncLog]) -> None:
        """Append attempts; a log id already stored is kept as it was."""
        if not logs:
            return
        rows = [_log_row(log) for log in logs]

        async def work() -> None:
            await self._conn.executemany(
                f"INSERT INTO sync_log ({_LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                rows,
            )
            await self._feed(FeedKind.LOG, [log.id for log in logs])

        await self._write(work)

    async def logs_for(self, conversation_id: str, limit: int = 100) -> list[LeadSyncLog]:
        """The lead's `limit` most recent attempts, oldest first."""
        rows = await self._fetch(
            f"SELECT {_LOG_COLUMNS} FROM sync_log WHERE conversation_id = ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (conversation_id, limit),
        )
        return [_log(row) for row in reversed(rows)]

    async def get_logs(self, log_ids: Iterable[str]) -> list[LeadSyncLog]:
        """The sync-log entries with these ids, oldest first."""
        rows = await self._fetch(
            f"SELECT {_LOG_COLUMNS} FROM sync_log WHERE id IN (SELECT value FROM json_each(?))"
            " ORDER BY created_at, rowid",
            (_json_list(log_ids),),
        )
        return [_log(row) for row in rows]

    async def recent_logs(self, since: datetime) -> list[LeadSyncLog]:
        """Every attempt at or after `since`, oldest first (the metrics window)."""
        rows = await self._fetch(
            f"SELECT {_LOG_COLUMNS} FROM sync_log WHERE created_at >= ? ORDER BY created_at, rowid",
            (_ts(since),),
        )
        return [_log(row) for row in rows]

    # ----------------------------------------------------------------- audit

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append audit entries (their `id` is ignored; the database assigns one)."""
        if not entries:
            return
        rows = [
            (
                _ts(entry.at),
                entry.actor,
                entry.action,
                entry.target,
                None if entry.before is None else _to_json(entry.before),
                None if entry.after is None else _to_json(entry.after),
                entry.reason,
            )
            for entry in entries
        ]
        await self._write(
            lambda: self._conn.executemany(
                "INSERT INTO audit (at, actor, action, target, before, after, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        )

    async def audit_entries(
        self, since: datetime | None = None, *, target: str | None = None, limit: int = 1000
    ) -> list[AuditEntry]:
        """Entries at or after `since` (all if None), optionally about one target, oldest
        first, at most `limit` of the most recent."""
        sql = f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE TRUE"
        params: list[Any] = []
        if since is not None:
            sql += " AND at >= ?"
            params.append(_ts(since))
        if target is not None:
            sql += " AND target = ?"
            params.append(target)
        rows = await self._fetch(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
        return [_audit(row) for row in reversed(rows)]
