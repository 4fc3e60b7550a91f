"""What the dashboard looks like: deterministic data, frozen clock, fixed sizes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.config import RolesSettings, load_settings
from leadsync_tui.roles import Role
from tests.screens.dashboard_fixtures import frozen_clock, sample_store_sync

SnapCompare = Callable[..., bool]


def dashboard(
    theme: str = "textual-dark",
    mask_pii: bool = False,
    role: Role | None = None,
    **state: Any,
) -> LeadSyncApp:
    settings = load_settings().settings
    if role is not None:
        settings = settings.model_copy(update={"roles": RolesSettings(default=role)})
    return make_app(
        settings,
        store=sample_store_sync(**state),
        clock=frozen_clock,
        theme=theme,
        mask_pii=mask_pii,
        live_timers=False,
        actor="dana",
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


def test_dashboard_help(snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key help, and where the log is (`~/...`: the same on every machine)."""
    monkeypatch.setenv("HOME", "/home/operator")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert snap_compare(dashboard(), terminal_size=(160, 48), press=["question_mark"])


@pytest.mark.parametrize("count", [1, 5], ids=["one", "many"])
def test_dashboard_conflict_banner(snap_compare: SnapCompare, count: int) -> None:
    assert snap_compare(dashboard(conflicts=count), terminal_size=(80, 24))


def test_dashboard_disconnected(snap_compare: SnapCompare) -> None:
    assert snap_compare(dashboard(connected=False), terminal_size=(80, 24))


def test_dashboard_error_alert(snap_compare: SnapCompare) -> None:
    app = dashboard(error="ResMan: Transaction Source could not be found (prop_oakridge)")
    assert snap_compare(app, terminal_size=(160, 48))


def test_dashboard_viewer(snap_compare: SnapCompare) -> None:
    """A viewer's footer offers no retry, new lead or bulk resolve."""
    assert snap_compare(dashboard(role=Role.VIEWER), terminal_size=(160, 48))


def test_dashboard_paused(snap_compare: SnapCompare) -> None:
    assert snap_compare(dashboard(), terminal_size=(80, 24), press=["p"])


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_dashboard_jump_unknown_id(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(dashboard(), terminal_size=size, press=["g", *"cnv_nope", "enter"])


def test_dashboard_bulk_retry_confirmation(snap_compare: SnapCompare) -> None:
    press = ["space", "down", "space", "down", "space", "r"]
    assert snap_compare(dashboard(), terminal_size=(80, 24), press=press)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_dashboard_bulk_resolve_missing_reason(
    snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    press = ["slash", *"conflict", "enter", "b", "ctrl+s"]
    assert snap_compare(dashboard(conflicts=3), terminal_size=size, press=press)


def test_dashboard_operator_high_severity_conflict(snap_compare: SnapCompare) -> None:
    """An operator sees a high-severity conflict but may not decide it: it says why."""
    app = dashboard(conflicts=1, role=Role.OPERATOR)
    assert snap_compare(app, terminal_size=(80, 24), press=["c"])
