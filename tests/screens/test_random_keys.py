"""Random keys on the real app: no sequence an operator can type breaks it.

Each example starts `leadsync` as `make_app` builds it (its own engine) against seeded
simulators with ResMan slow (300 ms a request) and 10% of requests failing, then types a
generated sequence of key bursts (every binding of the screen in front, escape, enter,
tab, digits, letters, ctrl+p), without pauses and with short ones, at 80x24 and 160x48.
After every burst: the app still runs and the screen stack is sane (no screen twice, no
modal on a modal, focus on the screen in front, whose footer is the one shown). At the
end: escape leads back to the dashboard, its table still moves, and nothing was logged
at ERROR except an upstream system failing.

`make test` runs a few deterministic examples; `make fuzz-ui` runs many
(`LEADSYNC_FUZZ_EXAMPLES`, and shrinks what it finds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import string
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from textual import events
from textual.command import CommandPalette
from textual.screen import ModalScreen
from textual.widgets import Footer

from leadsync_tui.app import LeadSyncApp
from leadsync_tui.clients.errors import SyncError
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.widgets import LeadsTable
from tests.engine.conftest import sim_rig
from tests.screens.test_flows_on_simulators import as_manager
from tests.waiting import eventually

FUZZ_EXAMPLES = int(os.environ.get("LEADSYNC_FUZZ_EXAMPLES", "0") or 0)
"""Examples per window size; 0 = the short deterministic run of `make test`."""
EXAMPLES = FUZZ_EXAMPLES or 3

QUIT_KEYS = {"ctrl+q", "ctrl+c"}
"""Left out: they end the app, as they should."""
FRONT = -1
"""A key drawn as (FRONT, i): the i-th binding of the screen in front, found when typed."""

KEYS = [
    *["escape"] * 12,
    *["enter"] * 8,
    "tab",
    "tab",
    "shift+tab",
    "ctrl+p",
    *["down"] * 3,
    "up",
    *string.digits,
    *string.ascii_lowercase,
    *"MSP?",
]
"""Escape and enter weigh most: operators press them most, and fastest."""
KeyChoice = str | tuple[int, int]

a_key: st.SearchStrategy[KeyChoice] = st.one_of(
    st.sampled_from(KEYS), st.tuples(st.just(FRONT), st.integers(0, 63))
)
BURST = 0.0
"""A burst's keys arrive together (a paste, a laggy SSH link): none waits for the last."""
PACES = [BURST, BURST, 0.05, 0.1, 0.2, 0.3]
"""How a burst is typed: all at once, or key by key with a short pause after each."""
a_burst = st.tuples(st.lists(a_key, min_size=1, max_size=6), st.sampled_from(PACES))
bursts = st.lists(a_burst, min_size=4, max_size=12)


def front_binding(app: LeadSyncApp, index: int) -> str:
    """The `index`-th (mod count) key bound on the screen in front, quit keys left out."""
    keys = sorted(
        key
        for key, active in app.screen.active_bindings.items()
        if key not in QUIT_KEYS and active.enabled
    )
    return keys[index % len(keys)] if keys else "escape"


def key_for(app: LeadSyncApp, choice: KeyChoice) -> str:
    return choice if isinstance(choice, str) else front_binding(app, choice[1])


def send_together(app: LeadSyncApp, keys: list[str]) -> None:
    """`keys` handed to the app at once, as a terminal delivers a burst (Pilot's `press`
    waits for the app to go idle after each key); `" "` is the space bar."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        name = "space" if key == " " else key
        event = events.Key(name, key if len(key) == 1 else None)
        event.set_sender(app)
        driver.send_message(event)


class ErrorLog(logging.Handler):
    """Every record at ERROR or above, while installed on the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def unexpected(self) -> list[str]:
        """Records not explained by an upstream system failing (a `SyncError`); the
        simulators' own log (a client hanging up on them) is not the app's."""
        return [
            f"{record.name}: {record.getMessage()} {record.exc_info[1] if record.exc_info else ''}"
            for record in self.records
            if not record.name.startswith("leadsync_tui.sim")
            and not (record.exc_info and isinstance(record.exc_info[1], SyncError))
        ]


@contextlib.contextmanager
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def check_stack(app: LeadSyncApp) -> None:
    """No screen twice, no modal on a modal, focus on the screen in front."""
    assert app.is_running, f"the app exited: {app._exception!r}"
    stack = app.screen_stack
    kinds = [type(screen).__name__ for screen in stack]
    assert any(isinstance(s, DashboardScreen) for s in stack), f"the dashboard is gone: {kinds}"
    assert len(kinds) == len(set(kinds)), f"a screen stacked twice: {kinds}"
    modals = [s for s in stack if isinstance(s, ModalScreen) and not isinstance(s, CommandPalette)]
    assert len(modals) <= 1, f"a modal on a modal: {kinds}"
    if modals:
        assert stack[-1] is modals[0] or isinstance(stack[-1], CommandPalette), kinds
    focused = app.focused
    assert focused is None or focused.screen is app.screen, f"focus behind the front: {kinds}"
    footers = app.screen.query(Footer)
    for footer in footers:
        assert footer.screen is app.screen


Sequence = list[tuple[list[KeyChoice], float]]


async def type_keys(workdir: Path, size: tuple[int, int], sequence: Sequence) -> None:
    async with (
        sim_rig(workdir, leads=20, seed=11) as rig,
        open_tui(as_manager(rig.settings), live_timers=False, actor="dana") as app,
    ):
        quits: list[str] = []

        async def quit_asked() -> None:  # the palette's "Quit": noted, the typing goes on
            quits.append("quit")

        app.action_quit = quit_asked  # type: ignore[method-assign]
        with error_log() as errors:
            async with app.run_test(size=size) as pilot:
                table = app.screen.query_one(LeadsTable)
                await eventually(lambda: table.row_count >= 5, 30)
                rig.sims.resman_faults.latency_ms = 300
                for name in ("error_rate", "rate_limit_rate", "malformed_rate"):
                    setattr(rig.sims.resman_faults, name, 0.1 / 3)
                for keys, pace in sequence:
                    check_stack(app)
                    if pace == BURST:
                        send_together(app, [key_for(app, choice) for choice in keys])
                    else:
                        for choice in keys:
                            await pilot.press(key_for(app, choice))
                            await pilot.pause(pace)
                            check_stack(app)
                    await pilot.pause()
                    check_stack(app)
                await back_to_dashboard(app, pilot)
                check_stack(app)
                await table_moves(app, pilot)
        assert app._exception is None, repr(app._exception)
        assert not errors.unexpected(), errors.unexpected()


async def back_to_dashboard(app: LeadSyncApp, pilot: object) -> None:
    """A handful of escapes bring the dashboard back to the front."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    for _ in range(6):
        if isinstance(app.screen, DashboardScreen):
            return
        await pilot.press("escape")
        await pilot.pause()
    assert isinstance(app.screen, DashboardScreen), [type(s).__name__ for s in app.screen_stack]


async def table_moves(app: LeadSyncApp, pilot: object) -> None:
    """The dashboard's table answers the arrow keys."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    table = app.screen.query_one(LeadsTable)
    table.focus()  # tab may have left focus elsewhere: that is the user's choice
    await pilot.pause()
    if table.row_count < 2:
        return
    before = table.cursor_position
    await pilot.press("up" if before == table.row_count - 1 else "down")
    await pilot.pause()
    assert table.cursor_position != before, "the table did not move"


@pytest.mark.slow
@pytest.mark.timeout(max(1800, EXAMPLES * 60))
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not FUZZ_EXAMPLES,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink]
    if FUZZ_EXAMPLES
    else [Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)
@given(sequence=bursts)
def test_no_key_sequence_breaks_the_app(
    tmp_path: Path, size: tuple[int, int], sequence: Sequence
) -> None:
    workdir = Path(tempfile.mkdtemp(dir=tmp_path))
    with contextlib.chdir(workdir):  # `e` exports to the working directory
        asyncio.run(type_keys(workdir, size, sequence))
