"""Every text on every main screen is readable in both themes: at least 4.5:1 (WCAG AA).

Each screen is opened as in use, at 160x48, in the dark and the light theme that
`ctrl+t` switches between; the ratio is computed from the rendered segments (see
`tests/screens/contrast.py` for what counts as text and how colours resolve).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.config import load_settings
from leadsync_tui.screens.lead_creation import LeadCreationModal
from leadsync_tui.screens.metrics_screen import MetricsScreen
from tests.screens.contrast import MINIMUM, rendered_pairs, worst
from tests.screens.dashboard_fixtures import frozen_clock, sample_store
from tests.screens.lead_screen_fixtures import (
    DETAIL_ID,
    NEW_ID,
    bench,
    open_conversation,
    open_lead,
)
from tests.screens.metrics_fixtures import metrics_store, play_history
from tests.screens.test_lead_creation_snapshots import TODAY, on_store, unavailable
from tests.typing_keys import type_into
from tests.waiting import eventually

SIZE = (160, 48)
THEMES = (LeadSyncApp.DARK_THEME, LeadSyncApp.LIGHT_THEME)
RunBefore = Callable[[Pilot[int]], Awaitable[None]]
Scene = Callable[[str], AbstractAsyncContextManager[tuple[LeadSyncApp, RunBefore]]]


def _app(store: object, theme: str) -> LeadSyncApp:
    from leadsync_tui.store.store import LeadSyncStore

    assert isinstance(store, LeadSyncStore)
    return make_app(
        load_settings().settings,
        store=store,
        clock=frozen_clock,
        theme=theme,
        live_timers=False,
        actor="dana",
    )


async def _steady(pilot: Pilot[int]) -> None:
    await pilot.pause()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _keys(*keys: str) -> RunBefore:
    async def run_before(pilot: Pilot[int]) -> None:
        await _steady(pilot)
        for key in keys:
            await pilot.press(key)
            await _steady(pilot)

    return run_before


def _dashboard(*keys: str, **state: object) -> Scene:
    @asynccontextmanager
    async def scene(theme: str) -> AsyncIterator[tuple[LeadSyncApp, RunBefore]]:
        store = await sample_store(**state)  # type: ignore[arg-type]
        yield _app(store, theme), _keys(*keys)

    return scene


def _on_bench(opener: RunBefore) -> Scene:
    @asynccontextmanager
    async def scene(theme: str) -> AsyncIterator[tuple[LeadSyncApp, RunBefore]]:
        world = await bench()
        try:
            yield world.app(theme=theme), opener
        finally:
            await world.close()

    return scene


@asynccontextmanager
async def _metrics(theme: str) -> AsyncIterator[tuple[LeadSyncApp, RunBefore]]:
    store = await metrics_store(failures=True)

    async def run_before(pilot: Pilot[int]) -> None:
        await play_history(store)
        await pilot.pause()
        await pilot.press("m")
        await eventually(lambda: isinstance(pilot.app.screen, MetricsScreen))
        screen = pilot.app.screen
        assert isinstance(screen, MetricsScreen)
        await eventually(lambda: screen.errors_loaded)
        await pilot.pause()

    yield _app(store, theme), run_before


def _form(**typed: str) -> Scene:
    """The new-lead form, `typed` into it, then ctrl+s once (when anything was typed)."""

    @asynccontextmanager
    async def scene(theme: str) -> AsyncIterator[tuple[LeadSyncApp, RunBefore]]:
        store = await sample_store()

        async def run_before(pilot: Pilot[int]) -> None:
            await _steady(pilot)
            modal = LeadCreationModal(
                ("prop_oakridge", "prop_lakeview"),
                check=on_store(store),
                create=unavailable,
                today=TODAY,
                idempotency_key="contrast-key",
            )
            await pilot.app.push_screen(modal)
            await _steady(pilot)
            for name, text in typed.items():
                await type_into(pilot, modal.query_one(f"#{name}", Input), text)
            if typed:
                await pilot.press("ctrl+s")
            await _steady(pilot)

        yield _app(store, theme), run_before

    return scene


SCENES: dict[str, Scene] = {
    "dashboard": _dashboard(conflicts=3),
    "dashboard-offline-error": _dashboard(
        connected=False, error="ResMan: Transaction Source could not be found"
    ),
    "dashboard-filter": _dashboard("slash", "s", "y", conflicts=1),
    "help": _dashboard("question_mark", conflicts=1),
    "lead-detail": _on_bench(open_lead(DETAIL_ID)),
    "conversation": _on_bench(open_conversation(NEW_ID)),
    "new-lead-form": _form(),
    "new-lead-form-errors": _form(first_name="Wren", email="wren@", desired_bedrooms="11"),
    "metrics": _metrics,
    "conflict-modal": _dashboard("c", conflicts=3),
    "conflict-modal-missing-reason": _dashboard("c", "1", "ctrl+s", conflicts=3),
    "bulk-resolve": _dashboard("slash", *"conflict", "enter", "b", "ctrl+s", conflicts=3),
    "bulk-retry": _dashboard("space", "down", "space", "r"),
    "jump-unknown-id": _dashboard("g", *"cnv_nope", "enter"),
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", SCENES)
async def test_every_text_is_readable(name: str, theme: str) -> None:
    async with SCENES[name](theme) as (app, run_before), app.run_test(size=SIZE) as pilot:
        await run_before(pilot)
        pairs = rendered_pairs(app)
    assert len(pairs) >= 3, "the screen drew hardly any text"
    below = worst(pairs)
    report = "\n".join(str(pair) for pair in below[:25])
    assert not below, f"{len(below)} text runs below {MINIMUM}:1 on {name} ({theme}):\n{report}"
