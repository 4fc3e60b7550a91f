"""Metrics math: rates, latencies and queue figures from the log and the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadsync_tui.models import AttemptStatus, SyncMetrics
from leadsync_tui.store.metrics import compute_metrics, percentile
from leadsync_tui.store.records import OutboxCounts
from tests.store.conftest import T0, make_log

WINDOW = timedelta(minutes=15)


def test_an_empty_window_is_healthy_and_still_shows_the_queue() -> None:
    stale = make_log("old", status=AttemptStatus.FAILED, at=T0 - timedelta(hours=2))

    metrics = compute_metrics([stale], OutboxCounts(pending=2, in_flight=1, failed=4), T0, WINDOW)

    assert metrics == SyncMetrics(
        sync_success_rate=1.0,
        avg_sync_latency=0.0,
        conflict_rate=0.0,
        failed_syncs=4,
        pending_queue=3,
        p95_sync_latency=0.0,
    )


def test_rates_and_latencies_over_the_window_only() -> None:
    logs = [
        make_log(f"ok{i}", at=T0 - timedelta(minutes=i), latency_ms=float(10 * (i + 1)))
        for i in range(16)  # 16 successes, 10..160 ms
    ]
    logs += [
        make_log("f1", status=AttemptStatus.FAILED, latency_ms=None),
        make_log("f2", status=AttemptStatus.FAILED, latency_ms=2000.0),
        make_log("c1", status=AttemptStatus.CONFLICT, latency_ms=40.0),
        make_log("c2", status=AttemptStatus.CONFLICT, latency_ms=40.0),
        make_log("edge", at=T0 - WINDOW, latency_ms=50.0),  # exactly at the window start: in
        make_log("before", at=T0 - WINDOW - timedelta(seconds=1), latency_ms=9999.0),
        make_log("future", at=T0 + timedelta(seconds=1), latency_ms=9999.0),
    ]

    metrics = compute_metrics(logs, OutboxCounts(), T0, WINDOW)

    # In the window: 16 ok + edge = 17 successes, 2 failed, 2 conflicts -> 21 attempts.
    assert metrics.sync_success_rate == pytest.approx(17 / 21)
    assert metrics.conflict_rate == pytest.approx(2 / 21)
    latencies = sorted([10.0 * (i + 1) for i in range(16)] + [2000.0, 40.0, 40.0, 50.0])
    assert metrics.avg_sync_latency == pytest.approx(sum(latencies) / 20)
    assert metrics.p95_sync_latency == 160.0  # 19th of 20 values, nearest rank


def test_p95_is_an_observed_value_by_nearest_rank() -> None:
    assert percentile([], 0.95) == 0.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([float(v) for v in range(1, 101)], 0.95) == 95.0
    assert percentile([1.0, 2.0, 3.0], 0.95) == 3.0
    assert percentile([1.0, 2.0, 3.0], 0.0) == 1.0
