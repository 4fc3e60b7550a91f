"""`SyncMetricsWidget` (spec: `SyncMetricsWidget`): values, sparklines, loading, no layout."""

from __future__ import annotations

import html
import math
import re
from datetime import UTC, datetime

import pytest
from textual.app import App, ComposeResult
from textual.message import Message

from leadsync_tui.models import SyncMetrics
from leadsync_tui.store.metrics_history import MetricsHistory
from leadsync_tui.widgets.sync_metrics import BARS, SyncMetricsWidget, sparkline

METRICS = SyncMetrics(
    sync_success_rate=0.992,
    avg_sync_latency=142.4,
    p95_sync_latency=388.0,
    conflict_rate=0.014,
    failed_syncs=2,
    pending_queue=17,
)


def sample_history(count: int = 60) -> list[SyncMetrics]:
    """A deterministic minute of samples with visible trends in every metric."""
    return [
        SyncMetrics(
            sync_success_rate=0.9 + 0.1 * abs(math.sin(i / 5)),
            avg_sync_latency=100 + 80 * math.sin(i / 3) ** 2,
            p95_sync_latency=300 + 250 * math.sin(i / 4) ** 2,
            conflict_rate=0.03 * abs(math.cos(i / 6)),
            failed_syncs=i // 12,
            pending_queue=int(25 * abs(math.sin(i / 7))),
        )
        for i in range(count)
    ]


def screen_text(app: App[None]) -> str:
    """What the screen shows, as text (from the SVG screenshot)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


class MetricsApp(App[None]):
    def __init__(self, widget: SyncMetricsWidget) -> None:
        super().__init__()
        self.widget = widget
        self.requests: list[Message] = []

    def compose(self) -> ComposeResult:
        yield self.widget

    def on_sync_metrics_widget_refresh_requested(
        self, message: SyncMetricsWidget.RefreshRequested
    ) -> None:
        self.requests.append(message)


@pytest.mark.parametrize(
    ("values", "width", "expected"),
    [
        ([], 4, "    "),
        ([0, 0, 0], 3, "▁▁▁"),
        ([1, 2, 3, 4, 5, 6, 7, 8], 8, "▁▂▃▄▅▆▇█"),
        ([8, 1], 4, "  █▁"),
        ([1, 2, 3, 4, 5, 6, 7, 8], 3, "▁▅█"),  # only the newest fit, scaled to their range
        ([0.990, 0.991, 0.990], 3, "███"),  # noise under 10 % of the peak stays flat
        ([5, 5], 2, "██"),
        ([1, 2], 0, ""),
    ],
)
def test_sparkline(values: list[float], width: int, expected: str) -> None:
    assert sparkline(values, width) == expected


def test_sparkline_uses_only_block_characters() -> None:
    strip = sparkline([m.p95_sync_latency for m in sample_history()], 30)
    assert len(strip) == 30
    assert set(strip) <= set(BARS)


async def test_no_metrics_yet_and_loading_messages() -> None:
    widget = SyncMetricsWidget()
    async with MetricsApp(widget).run_test() as pilot:
        assert widget.lines[0] == "No sync metrics yet"
        widget.loading = True
        await pilot.pause()
        assert widget.lines[0] == "⟳ Loading sync metrics…"


async def test_shows_every_metric_in_two_lines_at_80_columns() -> None:
    widget = SyncMetricsWidget(METRICS)
    async with MetricsApp(widget).run_test(size=(80, 24)):
        first, second = widget.lines
        for text in ("success", "99.2%", "avg lat", "142ms", "p95 lat", "388ms"):
            assert text in first
        for text in ("conflict", "1.4%", "failed", "2", "pending", "17"):
            assert text in second
        assert widget.size.height == 2
        assert max(len(first), len(second)) <= widget.size.width


async def test_wider_terminal_gets_longer_sparklines() -> None:
    history = sample_history()
    narrow = SyncMetricsWidget(history[-1], history=history[:-1])
    async with MetricsApp(narrow).run_test(size=(80, 24)):
        narrow_lines = narrow.lines
    wide = SyncMetricsWidget(history[-1], history=history[:-1])
    async with MetricsApp(wide).run_test(size=(160, 48)):
        wide_lines = wide.lines
        assert wide.size.height == 2

    def bars(line: str) -> int:
        return sum(char in BARS for char in line)

    assert bars(wide_lines[0]) > 3 * bars(narrow_lines[0])
    assert max(map(len, wide_lines)) <= 158


async def test_push_updates_values_and_history() -> None:
    widget = SyncMetricsWidget(METRICS, history_size=5)
    async with MetricsApp(widget).run_test() as pilot:
        for sample in sample_history(7):
            widget.push(sample)
        await pilot.pause()
        assert len(widget.history) == 5
        assert widget.history[-1] == sample_history(7)[-1]
        assert "90.0%" not in widget.lines[0]
        widget.metrics = METRICS  # assigning is a sample too, even when equal
        widget.metrics = METRICS
        await pilot.pause()
        assert widget.history[-2:] == (METRICS, METRICS)
        assert "99.2%" in widget.lines[0]
        widget.clear_history()
        assert list(widget.history) == [METRICS]


async def test_failed_syncs_take_the_alert_style() -> None:
    widget = SyncMetricsWidget(METRICS.model_copy(update={"failed_syncs": 0}))
    async with MetricsApp(widget).run_test() as pilot:
        calm = {str(span.style) for span in widget.render().spans}
        widget.push(METRICS)
        await pilot.pause()
        alarmed = {str(span.style) for span in widget.render().spans}
        assert alarmed - calm  # a style appears that was not used before


async def cell_starts(metrics: SyncMetrics) -> list[int]:
    widget = SyncMetricsWidget(metrics)
    async with MetricsApp(widget).run_test(size=(80, 24)):
        first, second = widget.lines
        return [first.index(label) for label in ("avg lat", "p95 lat")] + [
            second.index(label) for label in ("failed", "pending")
        ]


async def test_large_values_keep_their_columns() -> None:
    huge = SyncMetrics(
        avg_sync_latency=123_456, p95_sync_latency=9_999_999, failed_syncs=12_345_678
    )
    widget = SyncMetricsWidget(huge)
    async with MetricsApp(widget).run_test(size=(80, 24)):
        first, second = widget.lines
        assert "123s" in first and "10,000s" in first
        assert "12.3M" in second
    assert await cell_starts(huge) == await cell_starts(METRICS)


async def test_loading_keeps_numbers_visible_and_marks_them() -> None:
    widget = SyncMetricsWidget(METRICS)
    app = MetricsApp(widget)
    async with app.run_test() as pilot:
        widget.loading = True
        await pilot.pause()
        assert "99.2%" in widget.lines[0]
        assert widget.lines[0].rstrip().endswith("⟳")
        assert "99.2%" in screen_text(app)  # not covered by a (blinking) loading indicator
        widget.loading = False
        await pilot.pause()
        assert "⟳" not in widget.lines[0]


async def test_r_posts_refresh_requested_but_not_while_loading() -> None:
    widget = SyncMetricsWidget(METRICS)
    app = MetricsApp(widget)
    async with app.run_test() as pilot:
        widget.focus()
        await pilot.press("r")
        await pilot.pause()
        assert [type(m) for m in app.requests] == [SyncMetricsWidget.RefreshRequested]
        assert app.requests[0].control is widget
        widget.loading = True
        await pilot.pause()
        widget.action_refresh()
        await pilot.pause()
        assert len(app.requests) == 1


async def test_updates_repaint_without_layout() -> None:
    """docs/perf.md §2.3: a metrics update must never trigger a layout pass."""
    widget = SyncMetricsWidget(METRICS)
    async with MetricsApp(widget).run_test() as pilot:
        calls: list[bool] = []
        original = widget.refresh

        def spy(*regions: object, **options: bool) -> SyncMetricsWidget:
            calls.append(bool(options.get("layout", False)))
            return original(**options)

        widget.refresh = spy  # type: ignore[method-assign]
        region = widget.region
        for sample in sample_history(10):
            widget.push(sample)
        widget.loading = True
        widget.loading = False
        await pilot.pause()
        assert calls and not any(calls)
        assert widget.region == region


async def test_every_sample_is_kept_for_the_session_with_when_it_arrived() -> None:
    at = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    session = MetricsHistory()

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield SyncMetricsWidget(
                SyncMetrics(pending_queue=1), session=session, clock=lambda: at, history_size=2
            )

    app = One()
    async with app.run_test() as pilot:
        widget = app.query_one(SyncMetricsWidget)
        for pending in (2, 3, 4):
            widget.metrics = SyncMetrics(pending_queue=pending)
        await pilot.pause()
        assert len(widget.history) == 2  # the sparklines keep their own few
        assert [p.metrics.pending_queue for p in session] == [1, 2, 3, 4]
        assert {p.at for p in session} == {at}
