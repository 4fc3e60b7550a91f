"""Snapshots of the spec's status widgets: indicator, banner, metrics, alert and sync log.

Deterministic by construction: fixed data from the widgets' own test modules, a frozen
clock, the indicator's ticking timer off, the loading cover static (no animated dots), no
cursor blink, and the theme set explicitly. Regenerate with
`pytest tests/widgets/test_snapshots_spec_widgets.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from leadsync_tui.widgets.conflict_banner import ConflictNotificationBanner
from leadsync_tui.widgets.realtime_indicator import RealTimeSyncIndicator
from leadsync_tui.widgets.sync_error_alert import SyncErrorAlert
from leadsync_tui.widgets.sync_log_viewer import LeadSyncLogViewer
from leadsync_tui.widgets.sync_metrics import SyncMetricsWidget
from tests.widgets.test_conflict_banner import LEAD_NAMES, conflict, sample_conflicts
from tests.widgets.test_realtime_indicator import NOW, frozen_clock
from tests.widgets.test_sync_error_alert import ERROR, hostile_error
from tests.widgets.test_sync_log_viewer import CONVERSATION, sample_logs
from tests.widgets.test_sync_metrics import METRICS, sample_history

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}

RunBefore = Callable[[Pilot[None]], Awaitable[None]]


class SnapCompare(Protocol):
    def __call__(
        self,
        app: App[None],
        *,
        terminal_size: tuple[int, int] = ...,
        run_before: RunBefore | None = ...,
    ) -> bool: ...


class HostApp(App[None]):
    """A header line (title + live indicator), the widgets under test, then a stand-in body.

    The header and body are there so a snapshot shows how much room a widget takes, and
    that a hidden banner gives its line back.
    """

    CSS = """
    #header { height: 1; background: $panel; }
    #title { width: 1fr; padding: 0 1; text-style: bold; }
    #body { height: 1fr; padding: 1 2; color: $text-muted; background: $surface; }
    """

    def __init__(
        self,
        *widgets: Widget,
        indicator: RealTimeSyncIndicator | None = None,
        focus: str | None = None,
        body: bool = True,
    ) -> None:
        super().__init__()
        self.widgets = widgets
        self.indicator = indicator or indicator_for("connected")
        self.focus_selector = focus
        self.with_body = body

    def compose(self) -> ComposeResult:
        with Horizontal(id="header"):
            yield Static("leadsync · DomIQ ⇄ ResMan", id="title")
            yield self.indicator
        yield from self.widgets
        if self.with_body:
            yield Static("(the leads table)", id="body")

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        if self.focus_selector is not None:
            self.query_one(self.focus_selector).focus()
        else:
            self.set_focus(None)


def indicator_for(state: str) -> RealTimeSyncIndicator:
    """The indicator in one of its states, with a frozen clock and no ticking timer."""
    if state == "offline":
        return RealTimeSyncIndicator(
            False,
            NOW - timedelta(minutes=1, seconds=10),
            reconnect_attempts=2,
            clock=frozen_clock,
            clock_running=False,
        )
    age = timedelta(seconds=42 if state == "stale" else 3)
    return RealTimeSyncIndicator(True, NOW - age, clock=frozen_clock, clock_running=False)


# --------------------------------------------------------------------------- indicator


@pytest.mark.parametrize("state", ["connected", "stale", "offline"])
def test_realtime_indicator(snap_compare: SnapCompare, state: str) -> None:
    app = HostApp(indicator=indicator_for(state))
    assert snap_compare(app, terminal_size=SIZES["80x24"])


# --------------------------------------------------------------------------- banner


@pytest.mark.parametrize(
    ("state", "size"),
    [("one", "80x24"), ("many", "80x24"), ("many", "160x48"), ("hidden", "80x24")],
)
def test_conflict_banner(snap_compare: SnapCompare, state: str, size: str) -> None:
    conflicts = {"one": [conflict("cf_1")], "many": sample_conflicts(), "hidden": []}[state]
    app = HostApp(ConflictNotificationBanner(conflicts, lead_names=LEAD_NAMES))
    assert snap_compare(app, terminal_size=SIZES[size])


# --------------------------------------------------------------------------- metrics


def metrics_widget(state: str) -> SyncMetricsWidget:
    history = sample_history()
    return {
        "normal": lambda: SyncMetricsWidget(METRICS),
        "history": lambda: SyncMetricsWidget(history[-1], history=history[:-1]),
        "loading": lambda: SyncMetricsWidget(history[-1], history=history[:-1], loading=True),
        "first_load": lambda: SyncMetricsWidget(loading=True),
    }[state]()


@pytest.mark.parametrize(
    ("state", "size"),
    [
        ("normal", "80x24"),
        ("history", "80x24"),
        ("history", "160x48"),
        ("loading", "80x24"),
        ("first_load", "80x24"),
    ],
)
def test_sync_metrics(snap_compare: SnapCompare, state: str, size: str) -> None:
    app = HostApp(metrics_widget(state), focus="SyncMetricsWidget" if state == "normal" else None)
    assert snap_compare(app, terminal_size=SIZES[size])


# --------------------------------------------------------------------------- alert


@pytest.mark.parametrize(
    ("state", "size"),
    [("no_retry", "80x24"), ("retry", "80x24"), ("hostile", "80x24"), ("hostile", "160x48")],
)
def test_sync_error_alert(snap_compare: SnapCompare, state: str, size: str) -> None:
    alert = {
        "no_retry": lambda: SyncErrorAlert("DomIQ returned 503 Service Unavailable"),
        "retry": lambda: SyncErrorAlert(ERROR, retryable=True),
        "hostile": lambda: SyncErrorAlert(hostile_error(), retryable=True),
    }[state]()
    app = HostApp(alert, focus="SyncErrorAlert" if state == "retry" else None)
    assert snap_compare(app, terminal_size=SIZES[size])


# --------------------------------------------------------------------------- sync log


async def highlight_failed(pilot: Pilot[None]) -> None:
    """Move to the failed attempt so the detail line shows its whole error."""
    await pilot.press("down", "down", "down")


@pytest.mark.parametrize(
    ("state", "size"),
    [("rows", "80x24"), ("rows", "160x48"), ("empty", "80x24"), ("loading", "80x24")],
)
def test_sync_log_viewer(snap_compare: SnapCompare, state: str, size: str) -> None:
    viewer = LeadSyncLogViewer(
        CONVERSATION,
        [] if state == "empty" else sample_logs(),
        loading=state == "loading",
        clock=frozen_clock,
    )
    app = HostApp(viewer, focus="#log-table", body=False)
    run_before = highlight_failed if state == "rows" else None
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
