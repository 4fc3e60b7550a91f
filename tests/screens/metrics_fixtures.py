"""Stores for the metrics screen: sample leads, a metrics history, and failed attempts
whose messages come from the real clients' own error builders (not retyped here)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from leadsync_tui.clients import domiq, resman_answers
from leadsync_tui.clients._http import Answer, load_json
from leadsync_tui.clients.errors import SyncError, rejected
from leadsync_tui.clients.resman import PropertyMapping
from leadsync_tui.config import ResmanProperty
from leadsync_tui.models import (
    AttemptStatus,
    LeadSyncLog,
    SyncDirection,
    SyncMetrics,
    SyncType,
)
from leadsync_tui.store.actions import ConnectionChanged, LogsAppended, MetricsUpdated
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import NewOutboxItem
from leadsync_tui.store.store import LeadSyncStore
from tests.widgets.sample_leads import NOW, frozen_clock, sample_leads

_opened: list[Database] = []


def close_opened() -> None:
    """Close what the fixtures opened, so no aiosqlite thread outlives its test."""
    while _opened:
        asyncio.run(_opened.pop().close())


def _raised(call: object) -> str:
    """The message of the error a client function raises or returns."""
    if isinstance(call, SyncError):
        return call.message
    raise AssertionError(f"expected an error, got {call!r}")


def rate_limited_message(cid: str) -> str:
    body = b'{"error": {"code": "rate_limited", "message": "slow down"}}'
    answer = Answer(429, httpx.Headers({"retry-after": "2"}), body, "Too Many Requests")
    return _raised(domiq.error_for(answer, f"PATCH /v1/leads/{cid}"))


def server_error_message() -> str:
    body = b"<html><title>Service Unavailable</title></html>"
    answer = Answer(503, httpx.Headers(), body, "Service Unavailable")
    return _raised(resman_answers.http_error(answer, "ResMan PostLead"))


def mapping_missing_message(prop: str = "prop_summit") -> str:
    mapping = PropertyMapping({prop: ResmanProperty(property_id="6f0c-0001", source_id="77")})
    try:
        mapping.for_create(prop)
    except SyncError as exc:
        return exc.message
    raise AssertionError("a property without an agent must be refused")


def source_refused_message() -> str:
    return rejected("Transaction Source could not be found", method="PostLead").message


def malformed_message(cid: str) -> str:
    try:
        load_json(b'{"conversation_id": "cut sh', f"GET /v1/leads/{cid}")
    except SyncError as exc:
        return exc.message
    raise AssertionError("a cut-off body must be refused")


FAILURES: dict[str, list[str]] = {
    "rate limited": ["conv_001", "conv_003", "conv_007", "conv_011", "conv_015"],
    "mapping missing": ["conv_002", "conv_006"],
    "server error": ["conv_010"],
    "malformed": ["conv_013", "conv_014"],
}
"""Which sample leads fail, by kind (conv_002 again through a parked item: see below)."""


def failure_logs() -> list[LeadSyncLog]:
    """Failed attempts of the session (at the frozen "now", when the session starts)."""
    logs: list[LeadSyncLog] = []

    def fail(cid: str, message: str, n: int) -> None:
        logs.append(
            LeadSyncLog(
                id=f"log_{len(logs):03d}",
                conversation_id=cid,
                sync_direction=SyncDirection.DOMIQ_TO_RESMAN,
                sync_status=AttemptStatus.FAILED,
                sync_type=SyncType.UPDATE,
                created_at=NOW,
                error_message=message,
                latency_ms=120.0 + n,
            )
        )

    for n, cid in enumerate(FAILURES["rate limited"]):
        for attempt in range(2 + n % 2):
            fail(cid, rate_limited_message(cid), n + attempt)
    for n, cid in enumerate(FAILURES["mapping missing"]):
        fail(cid, mapping_missing_message(), n)
    fail("conv_010", server_error_message(), 0)
    for n, cid in enumerate(FAILURES["malformed"]):
        fail(cid, malformed_message(cid), n)
    return logs


HISTORY: tuple[SyncMetrics, ...] = tuple(
    SyncMetrics(
        sync_success_rate=0.99 - 0.004 * (i % 7) - (0.05 if i in (9, 10) else 0.0),
        avg_sync_latency=140.0 + 9 * (i % 5) + (160 if i == 10 else 0),
        p95_sync_latency=380.0 + 30 * (i % 4) + (900 if i == 10 else 0),
        conflict_rate=0.01 + 0.002 * (i % 3),
        failed_syncs=min(i // 3, 6),
        pending_queue=(3 * i) % 17,
    )
    for i in range(16)
)
"""Samples the dashboard sees one after another (a spike at the 11th)."""


async def metrics_store(*, metrics: bool = True, failures: bool = False) -> LeadSyncStore:
    """The 30 sample leads; metrics (or none yet); and, with `failures`, the failed
    attempts above plus one parked outbox item (conv_002's, "source not found")."""
    db = await Database.open(":memory:", now=frozen_clock)
    _opened.append(db)
    store = LeadSyncStore(db, now=frozen_clock)
    await store.merge_leads(sample_leads())
    await store.dispatch(
        ConnectionChanged(
            connected=True, last_ping=NOW - timedelta(seconds=3), reconnect_attempts=0
        )
    )
    if metrics:
        await store.dispatch(MetricsUpdated(HISTORY[0]))
    if failures:
        await store.dispatch(LogsAppended(failure_logs()))
        [item] = await db.enqueue(
            [
                NewOutboxItem(
                    conversation_id="conv_002",
                    direction=SyncDirection.DOMIQ_TO_RESMAN,
                    sync_type=SyncType.CREATE,
                    dedupe_key="test:conv_002",
                )
            ]
        )
        await db.claim_due(NOW, 10)
        await db.fail(item, source_refused_message(), NOW, park=True)
    return store


def metrics_store_sync(*, metrics: bool = True, failures: bool = False) -> LeadSyncStore:
    """The same, built outside a running loop (for the synchronous `snap_compare`)."""
    return asyncio.run(metrics_store(metrics=metrics, failures=failures))


async def play_history(store: LeadSyncStore) -> None:
    """Publish the history samples one by one, as the store's refreshes would."""
    for sample in HISTORY[1:]:
        await store.dispatch(MetricsUpdated(sample))
