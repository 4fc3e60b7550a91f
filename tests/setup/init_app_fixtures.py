"""The rig of the guided set-up tests: the screen on a config path of the test's own,
fields typed key by key, waiting for its work (Try, Write) to finish."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from leadsync_tui.config import DomiqSettings, ResmanSettings
from leadsync_tui.screens.init_app import Discover, InitApp, discover_on_screen
from leadsync_tui.setup.init_command import Discovery
from leadsync_tui.setup.init_options import InitAnswers
from leadsync_tui.setup.mapping_plan import PropertyOptions
from leadsync_tui.sim.runner import RunningSims
from tests.setup.setup_fixtures import simulators
from tests.typing_keys import type_text


def guided(
    path: Path, discover: Discover = discover_on_screen, *, domiq_url: str | None = None
) -> InitApp:
    """The screen for a new file at `path`, as `leadsync init [--domiq-url]` opens it."""
    answers = InitAnswers(config=str(path), domiq_url=domiq_url)
    return InitApp(answers, path, None, discover=discover)


def answers(sims: RunningSims, **changes: str) -> dict[str, str]:
    """Every field as a person types it for these simulators (`changes` win)."""
    world = sims.world
    return {
        "domiq_url": sims.domiq_url,
        "domiq_token": world.token,
        "resman_url": sims.resman_url,
        "resman_partner_id": world.partner_id,
        "resman_api_key": world.api_key,
        "resman_account_id": str(world.account_id),
    } | changes


async def settle(pilot: Pilot[int]) -> None:
    """Until the screen's work (Try, a re-pairing, Write and its check) is done."""
    app = pilot.app
    for _ in range(400):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    for box in app.query(Input):
        box.cursor_blink = False
    await pilot.pause()


async def fill(pilot: Pilot[int], fields: dict[str, str]) -> None:
    """Type each field as a person does: focus it, clear it, type."""
    for attribute, text in fields.items():
        box = pilot.app.query_one(f"#{attribute}", Input)
        box.focus()
        await pilot.pause()
        box.value = ""
        await type_text(pilot, text)
    await pilot.pause()


def shown(app: InitApp, selector: str) -> str:
    """The text a Static shows (what a person reads there)."""
    return str(app.query_one(selector, Static).render())


def screen_text(app: InitApp) -> str:
    return "\n".join(str(node.render()) for node in app.query(Static))


FAKE_DOMIQ = "https://domiq.example.test"
FAKE_RESMAN = "https://resman.example.test"


def through(sims: RunningSims) -> Discover:
    """The real `discover` against the simulators for answers that name fixed example
    URLs: a snapshot must not show the simulators' ports, which change every run."""

    def shown_as(text: str | None) -> str | None:
        if text is None:
            return None
        return text.replace(sims.domiq_url, FAKE_DOMIQ).replace(sims.resman_url, FAKE_RESMAN)

    async def run(
        domiq: DomiqSettings,
        resman: ResmanSettings,
        existing: Any,
        options: PropertyOptions,
    ) -> Discovery:
        found = await discover_on_screen(
            domiq.model_copy(update={"base_url": sims.domiq_url}),
            resman.model_copy(update={"base_url": sims.resman_url}),
            existing,
            options,
        )
        found.rows = [
            replace(row, detail=shown_as(row.detail) or "", fix=shown_as(row.fix))
            for row in found.rows
        ]
        return found

    return run


@contextmanager
def sims_on_a_thread() -> Iterator[RunningSims]:
    """The simulators on their own loop, for `snap_compare` (which runs its own)."""
    ready: list[tuple[RunningSims, asyncio.AbstractEventLoop, asyncio.Event]] = []
    started = threading.Event()

    async def serve() -> None:
        stop = asyncio.Event()
        async with simulators() as sims:
            ready.append((sims, asyncio.get_running_loop(), stop))
            started.set()
            await stop.wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(60), "the simulators did not start"
    sims, loop, stop = ready[0]
    try:
        yield sims
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
