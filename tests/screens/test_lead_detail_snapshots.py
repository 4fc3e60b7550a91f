"""What the lead detail screen looks like in each state, at 80x24 (SSH) and 160x48.

The screen is opened from the dashboard as in use (cursor to the lead, `enter`), over a
fixed store and in-process simulators (`lead_screen_fixtures`); the clock is frozen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.screens.lead_screen_fixtures import (
    DETAIL_ID,
    GONE_ID,
    NEW_ID,
    RESMAN_READ,
    Bench,
    bench,
    open_lead,
)

SnapCompare = Callable[..., bool]
MakeBench = Callable[..., Bench]
SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


@pytest.fixture
def benches() -> Iterator[MakeBench]:
    """Builds benches outside any running loop (for the synchronous `snap_compare`) and
    closes them after the test."""
    made: list[Bench] = []

    def make(**options: Any) -> Bench:
        made.append(asyncio.run(bench(**options)))
        return made[-1]

    yield make
    for item in made:
        asyncio.run(item.close())


@SIZES
def test_lead_detail(snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]) -> None:
    """Both sides read: the conflict (▲) and the ResMan-only notes change (≠), the sync
    log, the audit trail."""
    assert snap_compare(benches().app(), terminal_size=size, run_before=open_lead(DETAIL_ID))


@SIZES
def test_lead_detail_loading(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    """ResMan has not answered yet: DomIQ's side and the last agreed values already show."""
    app = benches(resman="hang").app()
    run_before = open_lead(DETAIL_ID, hanging=RESMAN_READ)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@SIZES
def test_lead_detail_resman_error(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    app = benches(resman="down").app()
    assert snap_compare(app, terminal_size=size, run_before=open_lead(DETAIL_ID))


@SIZES
def test_lead_detail_not_connected(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    app = benches(connected=False).app()
    assert snap_compare(app, terminal_size=size, run_before=open_lead(DETAIL_ID))


@SIZES
def test_lead_detail_not_in_resman_yet(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    assert snap_compare(benches().app(), terminal_size=size, run_before=open_lead(NEW_ID))


@SIZES
def test_lead_detail_prospect_missing(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    assert snap_compare(benches().app(), terminal_size=size, run_before=open_lead(GONE_ID))


def test_lead_detail_long_value_in_full(snap_compare: SnapCompare, benches: MakeBench) -> None:
    """The highlighted row's values in full under the table when a cell cuts one."""
    run_before = open_lead(DETAIL_ID, *["down"] * 9)  # to notes
    assert snap_compare(benches().app(), terminal_size=(80, 24), run_before=run_before)


def test_lead_detail_masked_light(snap_compare: SnapCompare, benches: MakeBench) -> None:
    app = benches().app(mask_pii=True, theme="textual-light")
    assert snap_compare(app, terminal_size=(160, 48), run_before=open_lead(DETAIL_ID))
