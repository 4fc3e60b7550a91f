"""The session's metrics, sample by sample: what the sparklines and the metrics screen plot.

The store only holds the latest `SyncMetrics`; a trend needs the earlier ones too. Each
`MetricsChanged` the store sends is recorded once here (with when it arrived), bounded
both in count and in age, so a session left open for days keeps a few hours of history
in a few hundred kilobytes. No Textual: the dashboard widget and the metrics screen both
read the same object, and tests drive it without a UI.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadsync_tui.models import SyncMetrics

MAX_POINTS = 7_200
"""Samples kept: four hours at one every two seconds (the dashboard's refresh)."""
MAX_AGE = timedelta(hours=4)
"""Samples older than this (relative to the newest) are dropped."""


@dataclass(frozen=True, slots=True)
class MetricsPoint:
    """One sample: the metrics as the store published them, and when they arrived."""

    at: datetime
    metrics: SyncMetrics


class MetricsHistory:
    """Metrics samples of this session, oldest first, bounded by `max_points` and `max_age`.

    Recording the same `SyncMetrics` object twice in a row keeps one sample: every screen
    on the stack receives the store's change and may record it, whichever comes first.
    """

    def __init__(self, *, max_points: int = MAX_POINTS, max_age: timedelta = MAX_AGE) -> None:
        self._points: deque[MetricsPoint] = deque(maxlen=max_points)
        self._max_age = max_age
        self._started_at: datetime | None = None

    def record(self, metrics: SyncMetrics, at: datetime) -> bool:
        """Add a sample; False when `metrics` is the very object recorded last."""
        points = self._points
        if points and points[-1].metrics is metrics:
            return False
        if self._started_at is None:
            self._started_at = at
        points.append(MetricsPoint(at, metrics))
        oldest = at - self._max_age
        while points[0].at < oldest:
            points.popleft()
        return True

    def __len__(self) -> int:
        return len(self._points)

    def __iter__(self) -> Iterator[MetricsPoint]:
        return iter(self._points)

    @property
    def started_at(self) -> datetime | None:
        """When the first sample of the session arrived (kept after it is dropped)."""
        return self._started_at

    @property
    def latest(self) -> MetricsPoint | None:
        return self._points[-1] if self._points else None

    def values(self, read: Callable[[SyncMetrics], float], last: int | None = None) -> list[float]:
        """One number per sample (the newest `last` only, when given), oldest first."""
        points = self._points
        if last is not None and last < len(points):
            points = deque(points, maxlen=max(last, 0))
        return [read(point.metrics) for point in points]

    def span(self) -> timedelta:
        """Time between the oldest and the newest sample kept."""
        if not self._points:
            return timedelta(0)
        return self._points[-1].at - self._points[0].at
