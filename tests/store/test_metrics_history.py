"""The session's metrics history: one sample per published change, bounded in count and age."""

from __future__ import annotations

from datetime import timedelta

from leadsync_tui.models import SyncMetrics
from leadsync_tui.store.metrics_history import MetricsHistory
from tests.store.conftest import T0


def test_each_published_change_is_one_sample_even_when_two_screens_record_it() -> None:
    history = MetricsHistory()
    first, second = SyncMetrics(pending_queue=1), SyncMetrics(pending_queue=2)
    assert history.record(first, T0)
    assert not history.record(first, T0 + timedelta(seconds=1))  # the same change again
    assert history.record(second, T0 + timedelta(seconds=2))
    assert history.values(lambda m: float(m.pending_queue)) == [1.0, 2.0]
    assert history.values(lambda m: float(m.pending_queue), last=1) == [2.0]
    assert history.span() == timedelta(seconds=2)
    assert history.latest is not None and history.latest.metrics is second


def test_old_and_surplus_samples_are_dropped_but_the_session_start_is_kept() -> None:
    history = MetricsHistory(max_points=3, max_age=timedelta(minutes=10))
    for minute in range(6):
        history.record(SyncMetrics(failed_syncs=minute), T0 + timedelta(minutes=minute))
    assert [p.metrics.failed_syncs for p in history] == [3, 4, 5]
    history.record(SyncMetrics(failed_syncs=99), T0 + timedelta(minutes=15))
    assert [p.metrics.failed_syncs for p in history] == [5, 99]  # older than 10 min: gone
    assert history.started_at == T0
