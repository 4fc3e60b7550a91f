"""Masked mode (`M`) hides every name, email and phone on every screen and dialog
(#12 4.2): each screen is drawn masked, and its text is searched for the seeded values."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest
from textual.pilot import Pilot

from leadsync_tui.app import LeadSyncApp
from leadsync_tui.widgets import LeadsTable
from tests.screens.lead_screen_fixtures import DETAIL_ID, Bench, bench, settle

PERSONAL = ("first_name", "last_name", "email", "phone")


@pytest.fixture
async def world() -> AsyncIterator[Bench]:
    item = await bench()
    yield item
    await item.close()


def screen_text(app: LeadSyncApp) -> str:
    """What the terminal shows now, as plain text (from the screenshot Textual takes)."""
    svg = app.export_screenshot()
    text = html.unescape(re.sub(r"<[^>]+>", "", svg))
    return text.replace("\xa0", " ")


def leaks(app: LeadSyncApp, world: Bench) -> set[str]:
    """Seeded names, emails and phones (any formatting) found on the screen."""
    text = screen_text(app)
    digits = re.sub(r"\D", "", text)
    state = world.store.state
    names: list[str] = []
    phones: list[str] = []
    for lead in state.leads.values():
        names += [lead.first_name, lead.last_name, lead.email or ""]
        phones.append(lead.phone or "")
    for conflict in state.conflicts:  # the values in dispute are personal too
        if conflict.field in PERSONAL:
            values = (conflict.domiq_value, conflict.resman_value, conflict.base_value)
            target = phones if conflict.field == "phone" else names
            target += [str(value) for value in values if value]
    found = {value for value in names if len(value) > 2 and value in text}
    for phone in phones:
        number = re.sub(r"\D", "", phone)[-10:]
        if number and number in digits:
            found.add(phone)
    return found


async def visit(pilot: Pilot[int], world: Bench, where: str, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)
    assert not leaks(pilot.app, world), f"{where} shows {leaks(pilot.app, world)}"  # type: ignore[arg-type]


async def test_nothing_personal_on_any_screen_once_masked(world: Bench) -> None:
    app = world.app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert leaks(app, world)  # unmasked, the table shows them: the search works
        await pilot.press("M")
        await settle(pilot)
        assert "masked" in app.sub_title
        await visit(pilot, world, "dashboard")
        table = app.screen.query_one(LeadsTable)
        assert table.move_cursor_to(DETAIL_ID)
        await visit(pilot, world, "lead detail", "enter")
        await visit(pilot, world, "dashboard again", "escape")
        await visit(pilot, world, "conversation", "o")
        await visit(pilot, world, "dashboard again", "escape")
        for choice in "1234":  # (a choice moves the cursor to a text field: reopen)
            await visit(pilot, world, "conflict dialog", "c")
            await visit(pilot, world, f"conflict dialog, choice {choice}", choice)
            await visit(pilot, world, "dashboard again", "escape")
        await visit(pilot, world, "jump", "g")
        await visit(pilot, world, "dashboard again", "escape")
        await visit(pilot, world, "new lead form", "n")
        await visit(pilot, world, "dashboard again", "escape")
        await visit(pilot, world, "metrics", "m")
