"""Properties by name: "Oakridge Commons" in the leads table and the new-lead form,
"Oakridge Commons (prop_oakridge)" on the lead's detail; a property the config does not
name shows its id everywhere."""

from __future__ import annotations

from datetime import date

from textual.pilot import Pilot
from textual.widgets import Select

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.config import ResmanProperty, ResmanSettings, Settings, load_settings
from leadsync_tui.screens.lead_creation import LeadCreationModal
from leadsync_tui.screens.lead_detail import LeadDetailScreen
from leadsync_tui.widgets import LeadsTable
from tests.screens.dashboard_fixtures import frozen_clock, sample_store
from tests.screens.test_lead_creation_snapshots import never, on_store
from tests.waiting import eventually

NAMES = {
    "prop_oakridge": "Oakridge Commons",
    "prop_lakeview": "Lakeview Terrace",
    "prop_riverbend": "Riverbend Lofts",
}
"""prop_summit (the sample leads' fourth property) is mapped without a name."""


def named_settings() -> Settings:
    base = load_settings().settings
    properties = {
        pid: ResmanProperty(property_id=f"guid-{n}", name=NAMES.get(pid))
        for n, pid in enumerate([*NAMES, "prop_summit"])
    }
    return base.model_copy(update={"resman": ResmanSettings(properties=properties)})


async def named_app() -> LeadSyncApp:
    return make_app(
        named_settings(),
        store=await sample_store(),
        clock=frozen_clock,
        live_timers=False,
        actor="dana",
    )


def screen_text(pilot: Pilot[int]) -> str:
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def row_of(text: str, person: str) -> str:
    return next(line for line in text.splitlines() if person in line)


async def test_the_table_shows_names_and_an_unnamed_property_by_its_id() -> None:
    app = await named_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        text = screen_text(pilot)
    assert "Oakridge Commons" in row_of(text, "Maya Okafor")  # conv_000: prop_oakridge
    assert "Lakeview Terrace" in row_of(text, "Liam Nguyen")
    assert "prop_summit" in row_of(text, "Noah Patel")  # conv_003: no name configured
    assert "prop_oakridge" not in text and "prop_lakeview" not in text


async def test_the_filter_finds_a_property_by_its_name_and_by_its_id() -> None:
    app = await named_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"commons")
        await pilot.pause()
        by_name = screen_text(pilot)
        await pilot.press(*["backspace"] * len("commons"), *"prop_oakridge")
        await pilot.pause()
        by_id = screen_text(pilot)
    for text in (by_name, by_id):
        assert "Maya Okafor" in text and "Amara Johnson" in text
        assert "Liam Nguyen" not in text and "Noah Patel" not in text


async def test_the_form_offers_properties_by_name_and_keeps_the_id() -> None:
    app = await named_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert app.store is not None
        modal = LeadCreationModal(
            ["prop_oakridge", "prop_summit"],
            check=on_store(app.store),
            create=never,
            today=date(2026, 11, 2),
            property_names=app.property_names,
        )
        await app.push_screen(modal)
        await pilot.pause()
        select = modal.query_one("#property_id", Select)
        await pilot.press("enter")  # the property list opens
        await pilot.pause()
        listed = screen_text(pilot)
        assert "Oakridge Commons" in listed and "prop_summit" in listed
        assert "prop_oakridge" not in listed
        await pilot.press("down", "enter")
        await pilot.pause()
        assert select.value == "prop_oakridge"
        assert "Oakridge Commons" in screen_text(pilot)


async def test_the_detail_shows_the_name_and_the_id() -> None:
    app = await named_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        assert table.move_cursor_to("conv_004")  # Amara Johnson, prop_oakridge
        await pilot.press("enter")
        await eventually(lambda: isinstance(app.screen, LeadDetailScreen))
        await pilot.pause()
        assert "Oakridge Commons (prop_oakridge)" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert table.move_cursor_to("conv_003")  # Noah Patel, prop_summit: no name
        await pilot.press("enter")
        await eventually(lambda: isinstance(app.screen, LeadDetailScreen))
        await pilot.pause()
        text = screen_text(pilot)
        assert "prop_summit" in text and "(prop_summit)" not in text
