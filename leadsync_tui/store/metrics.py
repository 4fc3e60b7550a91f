"""Sync health computed from the log and the outbox, never counted by hand.

A pure function, so the dashboard, `leadsync status` and the tests all get the same
numbers from the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from leadsync_tui.models import AttemptStatus, LeadSyncLog, SyncMetrics
from leadsync_tui.store.records import OutboxCounts


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted `values` (0.0 when empty): an observed value,
    never an interpolation, so "p95 = 800 ms" means some attempt really took 800 ms."""
    if not values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(values)))
    return values[rank - 1]


def compute_metrics(
    logs: Iterable[LeadSyncLog],
    outbox_counts: OutboxCounts,
    now: datetime,
    window: timedelta,
) -> SyncMetrics:
    """Metrics over the attempts logged in `[now - window, now]` and the outbox as it is.

    Rates are over all attempts in the window (success rate 1.0 and conflict rate 0.0
    when there were none); latencies use only attempts that recorded one. `failed` is
    the parked outbox items, `pending` the queued plus in-flight ones.
    """
    since = now - window
    total = succeeded = conflicted = 0
    latencies: list[float] = []
    for log in logs:
        if not since <= log.created_at <= now:
            continue
        total += 1
        if log.sync_status is AttemptStatus.SUCCESS:
            succeeded += 1
        elif log.sync_status is AttemptStatus.CONFLICT:
            conflicted += 1
        if log.latency_ms is not None:
            latencies.append(log.latency_ms)
    latencies.sort()
    return SyncMetrics(
        sync_success_rate=succeeded / total if total else 1.0,
        avg_sync_latency=sum(latencies) / len(latencies) if latencies else 0.0,
        conflict_rate=conflicted / total if total else 0.0,
        failed_syncs=outbox_counts.failed,
        pending_queue=outbox_counts.pending + outbox_counts.in_flight,
        p95_sync_latency=percentile(latencies, 0.95),
    )
