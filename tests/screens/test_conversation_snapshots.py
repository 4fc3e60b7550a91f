"""What the conversation screen looks like in each state, at 80x24 (SSH) and 160x48.

Opened from the dashboard as in use (cursor to the lead, `o`), over a fixed store and an
in-process DomIQ simulator holding the transcripts (`lead_screen_fixtures`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.screens.lead_screen_fixtures import (
    DETAIL_ID,
    NEW_ID,
    TRANSCRIPT_READ,
    Bench,
    bench,
    open_conversation,
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
def test_conversation(snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]) -> None:
    """A new lead's chat, the latest line in view, and the qualify offer."""
    run_before = open_conversation(NEW_ID)
    assert snap_compare(benches().app(), terminal_size=size, run_before=run_before)


@SIZES
def test_conversation_confirm_qualify(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    run_before = open_conversation(NEW_ID, "q")
    assert snap_compare(benches().app(), terminal_size=size, run_before=run_before)


@SIZES
def test_conversation_qualified_lead(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    """A long transcript, scrolled to its end; a qualified lead is not offered again."""
    run_before = open_conversation(DETAIL_ID)
    assert snap_compare(benches().app(), terminal_size=size, run_before=run_before)


@SIZES
def test_conversation_read_only(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    app = benches().app(read_only=True)
    assert snap_compare(app, terminal_size=size, run_before=open_conversation(NEW_ID))


@SIZES
def test_conversation_loading(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    app = benches(domiq="hang").app()
    run_before = open_conversation(NEW_ID, hanging=TRANSCRIPT_READ)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@SIZES
def test_conversation_error(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    app = benches(domiq="down").app()
    assert snap_compare(app, terminal_size=size, run_before=open_conversation(NEW_ID))


@SIZES
def test_conversation_not_connected(
    snap_compare: SnapCompare, benches: MakeBench, size: tuple[int, int]
) -> None:
    app = benches(connected=False).app()
    assert snap_compare(app, terminal_size=size, run_before=open_conversation(NEW_ID))


def test_conversation_masked_light(snap_compare: SnapCompare, benches: MakeBench) -> None:
    app = benches().app(mask_pii=True, theme="textual-light")
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_conversation(NEW_ID))
