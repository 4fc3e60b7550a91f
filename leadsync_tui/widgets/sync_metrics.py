"""`SyncMetricsWidget`: sync health in a fixed two-line panel, each number with its trend.

Spec: `SyncMetricsWidget { metrics, loading, onRefresh }`. `on_refresh` becomes the message
`SyncMetricsWidget.RefreshRequested` (key `r`, or the app calls `action_refresh`).

    success  99.2% ▇█████▇  avg lat   142ms ▂▃▃▂▅▃▂  p95 lat   388ms ▃▃▄▃█▄▃
    conflict  1.4% ▁▁▂▁▃▁▁  failed        2 ▁▁▁▁▂▂▂  pending      17 ▃▂▁▄█▅▃

Why it is built this way (`docs/perf.md` §2.3 and §7.3): a metrics panel that triggered a
layout pass on every update caused 40-70 ms frames. This one has a fixed height and a width
set by its container, and every update is a repaint only (`refresh(layout=False)`); the
caller publishes at most a few times a second (the store sends a sample when the metrics
change). Sparklines are hand-drawn block strips inside the same line of text, so there are
no child widgets to lay out. Each strip spans the range of the samples it shows (see
`sparkline`); the number beside it gives the scale.

`loading` is Textual's own `Widget.loading` (same meaning as the spec's), but instead of
covering the panel with a spinner the numbers stay on screen, dimmed, with a `⟳` marker:
operators watching a trend should not see it blink on every refresh.

Every sample is also recorded in `session_history` (a `MetricsHistory`, hours long): the
widget lives as long as the dashboard, so it sees every metrics change of the session,
and the metrics screen plots the same object at full size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from leadsync_tui.models import SyncMetrics, utc_now
from leadsync_tui.store.metrics_history import MetricsHistory

BARS = "▁▂▃▄▅▆▇█"
"""Sparkline levels, lowest to highest."""
HISTORY_SIZE = 60
"""Samples kept for the sparklines (a minute at one sample a second)."""
MIN_SPAN = 0.1
"""Smallest range a sparkline spans, as a fraction of its peak."""
_LABEL = 8
_VALUE = 8
_GAP = 2


def sparkline(values: Sequence[float], width: int) -> str:
    """The last `width` values as block characters, newest at the right.

    The strip spans the values' own range, so a trend is visible whatever the unit, but
    never less than `MIN_SPAN` of the peak: a 99.0 % / 99.1 % wobble stays a flat line
    instead of jumping from bottom to top. Missing samples are spaces on the left.
    """
    if width <= 0:
        return ""
    recent = [max(value, 0.0) for value in list(values)[-width:]]
    peak = max(recent, default=0.0)
    floor = min(min(recent, default=0.0), peak * (1 - MIN_SPAN))
    top = len(BARS) - 1
    if peak <= floor:
        bars = BARS[0] * len(recent)
    else:
        bars = "".join(BARS[round((value - floor) / (peak - floor) * top)] for value in recent)
    return " " * (width - len(recent)) + bars


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _millis(value: float) -> str:
    """Milliseconds; whole seconds past 100 s so the value stays within its 8 cells."""
    return f"{value:,.0f}ms" if value < 100_000 else f"{value / 1000:,.0f}s"


def _count(value: float) -> str:
    """A count; millions past 10 M so the value stays within its 8 cells."""
    return f"{value:,.0f}" if value < 10_000_000 else f"{value / 1_000_000:,.1f}M"


@dataclass(frozen=True)
class _Metric:
    """One cell of the panel: a label, how to read and format its value."""

    key: str
    label: str
    read: Callable[[SyncMetrics], float]
    show: Callable[[float], str]


METRICS: tuple[_Metric, ...] = (
    _Metric("success", "success", lambda m: m.sync_success_rate, _percent),
    _Metric("avg", "avg lat", lambda m: m.avg_sync_latency, _millis),
    _Metric("p95", "p95 lat", lambda m: m.p95_sync_latency, _millis),
    _Metric("conflicts", "conflict", lambda m: m.conflict_rate, _percent),
    _Metric("failed", "failed", lambda m: float(m.failed_syncs), _count),
    _Metric("pending", "pending", lambda m: float(m.pending_queue), _count),
)
"""The cells, in reading order: three per line."""
_PER_LINE = 3


class SyncMetricsWidget(Widget, can_focus=True):
    """Success rate, average and p95 latency, conflict rate, failed and pending, with trends.

    | Key | Action |
    | :- | :- |
    | r | Ask for fresh metrics |
    """

    BINDINGS = [Binding("r", "refresh", "Refresh metrics")]

    COMPONENT_CLASSES = {
        "sync-metrics--label",
        "sync-metrics--value",
        "sync-metrics--alert",
        "sync-metrics--spark",
        "sync-metrics--muted",
    }
    """
    | Class | Styles |
    | :- | :- |
    | `sync-metrics--label` | Metric names |
    | `sync-metrics--value` | Current values |
    | `sync-metrics--alert` | A value that needs someone (failed > 0) |
    | `sync-metrics--spark` | The sparklines |
    | `sync-metrics--muted` | Values while loading, and the empty / loading message |
    """

    DEFAULT_CSS = """
    SyncMetricsWidget {
        width: 1fr;
        height: 2;
        padding: 0 1;
        background: $panel;
        text-wrap: nowrap;
        text-overflow: clip;
        & > .sync-metrics--label { color: $text-muted; }
        & > .sync-metrics--value { color: $text; text-style: bold; }
        & > .sync-metrics--alert { color: $text-error; text-style: bold; }
        & > .sync-metrics--spark { color: $text-primary; }
        & > .sync-metrics--muted { color: $text-muted; }
        &:focus { background-tint: $foreground 5%; }
    }
    """

    metrics: reactive[SyncMetrics | None] = reactive(None, always_update=True, init=False)
    """The latest metrics (spec: `metrics`); each assignment is also a sparkline sample."""

    class RefreshRequested(Message):
        """The user asked for fresh metrics (spec: `onRefresh`)."""

        def __init__(self, widget: SyncMetricsWidget) -> None:
            super().__init__()
            self.widget = widget

        @property
        def control(self) -> SyncMetricsWidget:
            return self.widget

    def __init__(
        self,
        metrics: SyncMetrics | None = None,
        *,
        loading: bool = False,
        history: Sequence[SyncMetrics] = (),
        history_size: int = HISTORY_SIZE,
        session: MetricsHistory | None = None,
        clock: Callable[[], datetime] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`history` seeds the sparklines (oldest first); `metrics` is added as the newest.

        `session` is where every sample is also recorded (a new one by default); `clock`
        stamps them (default: the app's `clock` when it has one, else the wall clock).
        """
        super().__init__(name=name, id=id, classes=classes)
        self._history: deque[SyncMetrics] = deque(history, maxlen=history_size)
        self._clock = clock
        self.session_history = session if session is not None else MetricsHistory()
        """Every sample of the session, with when it arrived (see the module doc)."""
        if metrics is not None:
            self._history.append(metrics)
            self.session_history.record(metrics, self._now())
        self.set_reactive(SyncMetricsWidget.metrics, metrics)
        self.set_reactive(SyncMetricsWidget.loading, loading)

    @property
    def history(self) -> tuple[SyncMetrics, ...]:
        """The samples behind the sparklines, oldest first."""
        return tuple(self._history)

    def push(self, metrics: SyncMetrics) -> None:
        """Show `metrics` and add them to the sparklines (same as assigning `metrics`)."""
        self.metrics = metrics

    def clear_history(self) -> None:
        """Forget the sparkline samples (e.g. when the metrics window changes)."""
        self._history.clear()
        if self.metrics is not None:
            self._history.append(self.metrics)
        self.refresh(layout=False)

    def watch_metrics(self, metrics: SyncMetrics | None) -> None:
        if metrics is not None:
            self._history.append(metrics)
            self.session_history.record(metrics, self._now())
        self.refresh(layout=False)

    def _now(self) -> datetime:
        """The session's "now": tests freeze the app's clock, and samples follow it."""
        if self._clock is not None:
            return self._clock()
        try:
            clock = getattr(self.app, "clock", None)
        except RuntimeError:  # no app (a widget built outside one)
            clock = None
        now = clock() if callable(clock) else None
        return now if isinstance(now, datetime) else utc_now()

    def set_loading(self, loading: bool) -> None:
        """Mark the numbers as refreshing rather than covering them (see the module doc)."""
        self.refresh(layout=False)

    def action_refresh(self) -> None:
        """Ask the app for fresh metrics (ignored while loading)."""
        if not self.loading:
            self.post_message(self.RefreshRequested(self))

    @property
    def lines(self) -> list[str]:
        """The text shown, line by line, without styles."""
        return self._content(self.content_region.width).plain.split("\n")

    def render(self) -> Content:
        return self._content(self.content_region.width)

    def _content(self, width: int) -> Content:
        current = self.metrics
        muted = self._style("muted")
        if current is None:
            message = "⟳ Loading sync metrics…" if self.loading else "No sync metrics yet"
            return Content.styled(message, muted)
        cell_width = max(_LABEL + _VALUE + 2, (width - 2 - _GAP * (_PER_LINE - 1)) // _PER_LINE)
        lines: list[Content] = []
        for start in range(0, len(METRICS), _PER_LINE):
            cells = [
                self._cell(metric, current, cell_width)
                for metric in METRICS[start : start + _PER_LINE]
            ]
            lines.append(Content(" " * _GAP).join(cells))
        marker = Content.styled(" ⟳", muted) if self.loading else Content("  ")
        lines[0] = lines[0] + marker
        return Content("\n").join(lines)

    def _cell(self, metric: _Metric, current: SyncMetrics, width: int) -> Content:
        value = metric.read(current)
        if self.loading:
            value_style = self._style("muted")
        elif metric.key == "failed" and value > 0:
            value_style = self._style("alert")
        else:
            value_style = self._style("value")
        spark = sparkline(
            [metric.read(sample) for sample in self._history], width - _LABEL - _VALUE - 1
        )
        return Content.assemble(
            (metric.label.ljust(_LABEL), self._style("label")),
            (metric.show(value).rjust(_VALUE), value_style),
            " ",
            (spark, self._style("spark")),
        )

    def _style(self, component: str) -> Style:
        return self.get_visual_style(f"sync-metrics--{component}")
