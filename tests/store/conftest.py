"""Shared fixtures for the store tests: a frozen clock, databases and model factories."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadsync_tui.models import (
    AttemptStatus,
    ConflictSeverity,
    ConflictType,
    Lead,
    LeadSyncConflict,
    LeadSyncLog,
    SyncDirection,
    SyncType,
)
from leadsync_tui.store.changes import Change
from leadsync_tui.store.db import Database
from leadsync_tui.store.payloads import FieldWrite, OutboxPayload
from leadsync_tui.store.records import NewOutboxItem
from leadsync_tui.store.store import LeadSyncStore

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
"""The frozen clock's start."""


class FrozenClock:
    """A clock that moves only when a test says so."""

    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


class Recorder:
    """A subscriber that keeps every batch of changes it was given."""

    def __init__(self) -> None:
        self.batches: list[Sequence[Change]] = []

    def __call__(self, changes: Sequence[Change]) -> None:
        self.batches.append(changes)

    @property
    def changes(self) -> list[Change]:
        return [change for batch in self.batches for change in batch]

    def clear(self) -> None:
        self.batches.clear()


def make_lead(conversation_id: str = "c1", **fields: Any) -> Lead:
    values: dict[str, Any] = {
        "conversation_id": conversation_id,
        "version": 1,
        "created_at": T0,
        "updated_at": T0,
        "property_id": "p1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
    }
    values.update(fields)
    return Lead.model_validate(values)


def make_conflict(
    conflict_id: str = "k1", conversation_id: str = "c1", **fields: Any
) -> LeadSyncConflict:
    values: dict[str, Any] = {
        "id": conflict_id,
        "conversation_id": conversation_id,
        "field": "phone",
        "resman_value": "+15125550100",
        "domiq_value": "+15125550199",
        "base_value": "+15125550000",
        "conflict_type": ConflictType.VALUE_MISMATCH,
        "conflict_severity": ConflictSeverity.HIGH,
        "detected_at": T0,
    }
    values.update(fields)
    return LeadSyncConflict.model_validate(values)


def make_log(
    log_id: str,
    conversation_id: str = "c1",
    *,
    status: AttemptStatus = AttemptStatus.SUCCESS,
    at: datetime = T0,
    latency_ms: float | None = 100.0,
) -> LeadSyncLog:
    return LeadSyncLog(
        id=log_id,
        conversation_id=conversation_id,
        sync_direction=SyncDirection.DOMIQ_TO_RESMAN,
        sync_status=status,
        sync_type=SyncType.UPDATE,
        created_at=at,
        latency_ms=latency_ms,
    )


def make_item(
    key: str,
    conversation_id: str = "c1",
    *,
    direction: SyncDirection = SyncDirection.DOMIQ_TO_RESMAN,
    due: datetime | None = None,
    payload: OutboxPayload | None = None,
) -> NewOutboxItem:
    return NewOutboxItem(
        conversation_id=conversation_id,
        direction=direction,
        sync_type=SyncType.UPDATE,
        payload=payload or FieldWrite(fields={"key": key}, version=1),
        dedupe_key=key,
        next_attempt_at=due,
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "leadsync.db"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def db(request: pytest.FixtureRequest, clock: FrozenClock) -> AsyncIterator[Database]:
    """Every store test runs on both databases: a SQLite file's and a team's PostgreSQL."""
    if request.param == "sqlite":
        opened = await Database.open(":memory:", now=clock)
    else:
        opened = await Database.open_postgresql(request.getfixturevalue("pg_url"), now=clock)
    async with opened as database:
        yield database


@pytest.fixture
async def store(db: Database, clock: FrozenClock) -> LeadSyncStore:
    return LeadSyncStore(db, now=clock, metrics_window=timedelta(minutes=15))


@pytest.fixture
def recorder(store: LeadSyncStore) -> Recorder:
    recorder = Recorder()
    store.subscribe(recorder)
    return recorder
