"""What the dashboard looks like: deterministic data, frozen clock, fixed sizes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.config import load_settings
from tests.screens.dashboard_fixtures import frozen_clock, sample_store_sync

SnapCompare = Callable[..., bool]


def dashboard(theme: str = "textual-dark", mask_pii: bool = False, **state: Any) -> LeadSyncApp:
    return make_app(
        load_settings().settings,
        store=sample_store_sync(**state),
        clock=frozen_clock,
        theme=theme,
        mask_pii=mask_pii,
        live_timers=False,
    )


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_dashboard(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(dashboard(), terminal_size=size)


def test_dashboard_empty(snap_compare: SnapCompare) -> None:
    assert snap_compare(dashboard(empty=True), terminal_size=(80, 24))


def test_dashboard_filtering(snap_compare: SnapCompare) -> None:
    assert snap_compare(dashboard(), terminal_size=(80, 24), press=["slash", *"syncing"])


def test_dashboard_masked_light(snap_compare: SnapCompare) -> None:
    app = dashboard(theme="textual-light", mask_pii=True, conflicts=1)
    assert snap_compare(app, terminal_size=(160, 48))


def test_dashboard_help(snap_compare: SnapCompare) -> None:
    assert snap_compare(dashboard(), terminal_size=(160, 48), press=["question_mark"])


@pytest.mark.parametrize("count", [1, 5], ids=["one", "many"])
def test_dashboard_conflict_banner(snap_compare: SnapCompare, count: int) -> None:
    assert snap_compare(dashboard(conflicts=count), terminal_size=(80, 24))


def test_dashboard_disconnected(snap_compare: SnapCompare) -> None:
    assert snap_compare(dashboard(connected=False), terminal_size=(80, 24))


def test_dashboard_error_alert(snap_compare: SnapCompare) -> None:
    app = dashboard(error="ResMan: Transaction Source could not be found (prop_oakridge)")
    assert snap_compare(app, terminal_size=(160, 48))
