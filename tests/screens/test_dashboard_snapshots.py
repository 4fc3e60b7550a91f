"""What the dashboard looks like: deterministic data, frozen clock, fixed sizes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leadsync_tui.app import make_app
from leadsync_tui.config import load_settings
from tests.screens.dashboard_fixtures import frozen_clock, sample_store_sync

SnapCompare = Callable[..., bool]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_dashboard(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = make_app(load_settings().settings, store=sample_store_sync(), clock=frozen_clock)
    assert snap_compare(app, terminal_size=size)


def test_dashboard_empty(snap_compare: SnapCompare) -> None:
    store = sample_store_sync(empty=True)
    app = make_app(load_settings().settings, store=store, clock=frozen_clock)
    assert snap_compare(app, terminal_size=(80, 24))


def test_dashboard_filtering(snap_compare: SnapCompare) -> None:
    app = make_app(load_settings().settings, store=sample_store_sync(), clock=frozen_clock)
    assert snap_compare(app, terminal_size=(80, 24), press=["slash", *"syncing"])


def test_dashboard_masked_light(snap_compare: SnapCompare) -> None:
    app = make_app(
        load_settings().settings,
        store=sample_store_sync(),
        clock=frozen_clock,
        mask_pii=True,
        theme="textual-light",
    )
    assert snap_compare(app, terminal_size=(160, 48))


def test_dashboard_help(snap_compare: SnapCompare) -> None:
    app = make_app(load_settings().settings, store=sample_store_sync(), clock=frozen_clock)
    assert snap_compare(app, terminal_size=(160, 48), press=["question_mark"])
