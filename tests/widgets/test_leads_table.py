"""`LeadsTable` driven with Pilot: keyed updates, filter, sort, cursor, marks, masking,
narrow terminals, and the Line-API promise that off-screen changes repaint nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.message import Message
from textual.pilot import Pilot
from textual.strip import Strip

from leadsync_tui.models import Lead, SyncStatus
from leadsync_tui.widgets import LeadsTable
from leadsync_tui.widgets.leads_columns import COLUMNS, fit, layout_columns
from leadsync_tui.widgets.pii import mask_email, mask_name, mask_phone
from tests.widgets.sample_leads import NOW, frozen_clock, sample_leads


class CountingTable(LeadsTable):
    """Counts the lines Textual asks for and the row lines actually drawn."""

    lines_rendered = 0
    rows_built = 0

    def render_line(self, y: int) -> Strip:
        self.lines_rendered += 1
        return super().render_line(y)

    def _build_row_strip(self, *args: object, **kwargs: object) -> Strip:
        self.rows_built += 1
        return super()._build_row_strip(*args, **kwargs)  # type: ignore[arg-type]


class TableApp(App[None]):
    def __init__(self, leads: list[Lead], **options: object) -> None:
        super().__init__()
        self.leads = leads
        self.options = options
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield CountingTable(self.leads, clock=frozen_clock, age_refresh=None, id="leads")

    def on_mount(self) -> None:
        self.query_one(LeadsTable).focus()

    def on_leads_table_lead_selected(self, message: LeadsTable.LeadSelected) -> None:
        self.messages.append(message)

    def on_leads_table_cursor_moved(self, message: LeadsTable.CursorMoved) -> None:
        self.messages.append(message)

    def on_leads_table_marks_changed(self, message: LeadsTable.MarksChanged) -> None:
        self.messages.append(message)

    def on_leads_table_filter_requested(self, message: LeadsTable.FilterRequested) -> None:
        self.messages.append(message)


def table_of(pilot: Pilot[None]) -> CountingTable:
    return pilot.app.query_one(CountingTable)


def screen_lines(table: LeadsTable) -> list[str]:
    """What the table shows, line by line (header first)."""
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


def names(leads: list[Lead]) -> dict[str, str]:
    return {lead.conversation_id: lead.full_name for lead in leads}


LEADS = sample_leads()
KEYS = [lead.conversation_id for lead in LEADS]
BY_KEY = {lead.conversation_id: lead for lead in LEADS}


async def test_upsert_adds_and_replaces_rows_by_key() -> None:
    async with TableApp(LEADS[:10]).run_test(size=(160, 48)) as pilot:
        table = table_of(pilot)
        assert table.visible_keys() == KEYS[:10]
        renamed = LEADS[3].model_copy(update={"first_name": "Renata"})
        table.upsert([renamed, *LEADS[10:12]])
        await pilot.pause()
        assert table.visible_keys() == KEYS[:12]
        assert table.get_lead(KEYS[3]) == renamed
        assert any("Renata" in line for line in screen_lines(table))


async def test_remove_leads_drops_rows_and_their_marks() -> None:
    app = TableApp(LEADS)
    async with app.run_test(size=(160, 48)) as pilot:
        table = table_of(pilot)
        table.toggle_mark(KEYS[2])
        table.remove_leads([KEYS[2], KEYS[5], "no_such_lead"])
        await pilot.pause()
        assert KEYS[2] not in table.visible_keys()
        assert table.total_count == 28
        assert table.marked_keys == frozenset()
        marks = [m for m in app.messages if isinstance(m, LeadsTable.MarksChanged)]
        assert marks[-1].keys == frozenset()


async def test_filter_matches_any_column_ignoring_case() -> None:
    async with TableApp(LEADS).run_test(size=(160, 48)) as pilot:
        table = table_of(pilot)
        table.set_filter("OAKRIDGE")
        assert table.visible_keys() == [k for k in KEYS if BY_KEY[k].property_id == "prop_oakridge"]
        table.set_filter("conflict")
        assert {BY_KEY[k].resman_sync_status for k in table.visible_keys()} == {SyncStatus.CONFLICT}
        table.set_filter("+15125550005")  # a phone, on a lead whose Contact shows its email
        assert table.visible_keys() == []  # lead 5 has no phone
        table.set_filter("5550007")
        assert table.visible_keys() == ["conv_007"]
        table.set_filter("featherstone")
        assert table.visible_keys() == ["conv_029"]
        table.set_filter("")
        assert table.visible_keys() == KEYS


async def test_a_filtered_view_follows_live_updates() -> None:
    async with TableApp(LEADS).run_test(size=(160, 48)) as pilot:
        table = table_of(pilot)
        table.set_filter("failed")
        before = table.visible_keys()
        fixed = BY_KEY[before[0]].model_copy(update={"resman_sync_status": SyncStatus.SYNCED})
        broken = LEADS[0].model_copy(update={"resman_sync_status": SyncStatus.FAILED})
        table.upsert([fixed, broken])
        await pilot.pause()
        after = table.visible_keys()
        assert before[0] not in after
        assert after[0] == LEADS[0].conversation_id  # arrival order is kept
        assert set(after) == set(before[1:]) | {LEADS[0].conversation_id}


async def test_sort_by_a_column_both_ways_and_the_header_says_so() -> None:
    async with TableApp(LEADS).run_test(size=(160, 48)) as pilot:
        table = table_of(pilot)
        by_name = sorted(KEYS, key=lambda k: BY_KEY[k].full_name.lower())
        table.sort_by("name")
        await pilot.pause()
        assert table.visible_keys() == by_name
        assert "Name ▲" in screen_lines(table)[0]
        table.sort_by("name", reverse=True)
        await pilot.pause()
        assert table.visible_keys() == by_name[::-1]
        assert "Name ▼" in screen_lines(table)[0]
        table.sort_by("status")
        statuses = [BY_KEY[k].resman_sync_status for k in table.visible_keys()]
        assert statuses[0] is SyncStatus.FAILED and statuses[-1] is SyncStatus.SYNCED
        table.sort_by("last_sync")
        assert BY_KEY[table.visible_keys()[0]].last_sync_at is None  # never = oldest
        with pytest.raises(KeyError):
            table.sort_by("shoe_size")


async def test_s_cycles_the_sort_column_and_shift_s_reverses_it() -> None:
    async with TableApp(LEADS).run_test(size=(160, 48)) as pilot:
        table = table_of(pilot)
        await pilot.press("s")
        assert (table.sort_column, table.sort_reverse) == ("name", False)
        await pilot.press("s")
        assert (table.sort_column, table.sort_reverse) == ("property", False)
        await pilot.press("S")
        assert (table.sort_column, table.sort_reverse) == ("property", True)
        assert "Property ▼" in screen_lines(table)[0]


async def test_the_cursor_stays_on_its_lead_across_sorts_and_filters() -> None:
    async with TableApp(LEADS).run_test(size=(80, 24)) as pilot:
        table = table_of(pilot)
        assert table.move_cursor_to("conv_004")
        for column, reverse in (("name", False), ("status", True), ("contact", False)):
            table.sort_by(column, reverse)
            await pilot.pause()
            assert table.cursor_key == "conv_004"
            position = table.cursor_position
            assert position is not None
            page = table.scrollable_content_region.height - 1
            assert int(table.scroll_y) <= position < int(table.scroll_y) + page  # on screen
            assert screen_lines(table)[position - int(table.scroll_y) + 1].startswith("▸")
        table.set_filter("amara")  # conv_004 is Amara Johnson
        assert table.cursor_key == "conv_004"
        table.set_filter("chen")  # filtered out: the cursor goes to the first row
        assert table.cursor_key == "conv_015"


async def test_keys_move_the_cursor_and_enter_opens_the_lead() -> None:
    app = TableApp(LEADS)
    async with app.run_test(size=(80, 24)) as pilot:
        table = table_of(pilot)
        assert table.cursor_key == KEYS[0]
        await pilot.press("down", "down")
        assert table.cursor_key == KEYS[2]
        await pilot.press("end")
        assert table.cursor_key == KEYS[-1]
        assert int(table.scroll_y) == table.max_scroll_y
        page = table.scrollable_content_region.height - 1  # rows under the header
        await pilot.press("pageup")
        assert table.cursor_key == KEYS[-1 - page]
        await pilot.press("home", "up")
        assert table.cursor_key == KEYS[0]
        await pilot.press("pagedown", "enter")
        await pilot.pause()
        selected = [m for m in app.messages if isinstance(m, LeadsTable.LeadSelected)]
        assert [m.key for m in selected] == [KEYS[page]]
        moved = [m.key for m in app.messages if isinstance(m, LeadsTable.CursorMoved)]
        assert moved[-1] == KEYS[page]
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.messages[-1], LeadsTable.FilterRequested)


async def test_space_marks_and_unmarks_the_row_under_the_cursor() -> None:
    app = TableApp(LEADS)
    async with app.run_test(size=(80, 24)) as pilot:
        table = table_of(pilot)
        await pilot.press("space", "down", "down", "space")
        assert table.marked_keys == {KEYS[0], KEYS[2]}
        lines = screen_lines(table)
        assert lines[1].startswith(" ✓") and lines[3].startswith("▸✓")
        await pilot.press("space")
        assert table.marked_keys == {KEYS[0]}
        table.set_filter("liam")  # marks survive a filter that hides them
        assert table.marked_keys == {KEYS[0]}
        table.clear_marks()
        await pilot.pause()
        marks = [m for m in app.messages if isinstance(m, LeadsTable.MarksChanged)]
        assert [set(m.keys) for m in marks] == [
            {KEYS[0]},
            {KEYS[0], KEYS[2]},
            {KEYS[0]},
            set(),
        ]


async def test_mask_pii_hides_names_emails_and_phones() -> None:
    async with TableApp(LEADS).run_test(size=(160, 48)) as pilot:
        table = table_of(pilot)
        table.mask_pii = True
        await pilot.pause()
        text = "\n".join(screen_lines(table))
        for lead in LEADS:
            assert lead.first_name not in text
            assert not lead.email or lead.email not in text
            assert not lead.phone or lead.phone not in text
        assert "M. O." in text and "m***@example.com" in text
        assert "+1 ••• ••• 0003" in text  # conv_003 has no email, so its phone shows
        table.set_filter("maya.okafor@example.com")  # the real values stay searchable
        assert table.visible_keys() == ["conv_000"]
        table.mask_pii = False
        await pilot.pause()
        assert "Maya Okafor" in "\n".join(screen_lines(table))


async def test_zebra_stripes_shade_every_other_row() -> None:
    async with TableApp(LEADS).run_test(size=(80, 24)) as pilot:
        table = table_of(pilot)
        await pilot.press("end")  # the cursor off the first rows
        await pilot.press("home", "down", "down", "down", "down", "down")
        plain = [table.render_line(y) for y in (1, 2)]
        table.zebra_stripes = True
        await pilot.pause()
        striped = [table.render_line(y) for y in (1, 2)]
        assert [s.text for s in striped] == [s.text for s in plain]
        assert striped[0] == plain[0] and striped[1] != plain[1]


async def test_80_columns_collapse_without_overflow() -> None:
    async with TableApp(LEADS).run_test(size=(80, 24)) as pilot:
        table = table_of(pilot)
        lines = screen_lines(table)
        header = lines[0]
        for label in ("Name", "Contact", "Status", "Last sync"):
            assert label in header
        assert "Prospect ID" not in header and "Property" not in header
        assert all(cell_len(line) == table.scrollable_content_region.width for line in lines)
        assert any("Maximiliana Feather…" in line or "…" in line for line in lines)
        for status_word in ("synced", "failed", "conflict", "syncing", "not synced"):
            assert any(status_word in line for line in lines)
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        lines = screen_lines(table)
        assert all(cell_len(line) == table.scrollable_content_region.width for line in lines)
        assert "Name" in lines[0] and "Status" in lines[0]


@pytest.mark.parametrize("width", [0, 1, 5, 20, 40, 60, 79, 80, 100, 120, 159, 200])
def test_the_column_layout_never_exceeds_the_width(width: int) -> None:
    slots = layout_columns(width)
    end = max((slot.x + slot.width for slot in slots), default=0)
    assert end <= max(width, 0)
    if width >= 160:
        assert [slot.column.key for slot in slots] == [column.key for column in COLUMNS]


def test_the_collapse_order_is_prospect_id_property_qualification() -> None:
    def shown(width: int) -> list[str]:
        return [slot.column.key for slot in layout_columns(width)]

    assert "prospect_id" in shown(100)
    assert "prospect_id" not in shown(99) and "property" in shown(99)
    assert "property" not in shown(85) and "qualification" in shown(85)
    assert "qualification" not in shown(72)
    assert shown(60) == ["name", "contact", "status", "last_sync"]
    assert shown(80) == ["name", "contact", "qualification", "status", "last_sync"]


def test_fit_cuts_with_an_ellipsis_and_pads_to_the_width() -> None:
    assert fit("Maria", 8) == "Maria   "
    assert fit("Maximiliana", 8) == "Maximil…"
    assert fit("東京タワー", 5) == "東京…"
    assert fit("abc", 0) == ""


def test_pii_masks() -> None:
    assert mask_name("Maria", "Ortiz") == "M. O."
    assert mask_name("maria", "") == "M."
    assert mask_email("maria.ortiz@example.com") == "m***@example.com"
    assert mask_email("not-an-email") == "***"
    assert mask_phone("+15125550143") == "+1 ••• ••• 0143"
    assert mask_phone("+442071838750") == "+••• ••• 8750"
    assert mask_phone("12") == "••••"


async def test_an_off_screen_update_repaints_nothing() -> None:
    many = [
        lead.model_copy(update={"conversation_id": f"conv_{n:03d}"})
        for n, lead in enumerate(LEADS * 4)
    ]
    async with TableApp(many).run_test(size=(80, 24)) as pilot:
        table = table_of(pilot)
        await pilot.pause()
        table.lines_rendered = table.rows_built = 0
        far = many[100].model_copy(update={"resman_sync_status": SyncStatus.FAILED})
        table.upsert([far])
        await pilot.pause()
        assert table.lines_rendered == 0
        assert table.get_lead("conv_100") == far

        # An update on screen repaints that one line, and draws only that row again.
        near = many[3].model_copy(update={"first_name": "Nora"})
        table.upsert([near])
        await pilot.pause()
        assert table.lines_rendered == 1
        assert table.rows_built == 1
        assert "Nora" in screen_lines(table)[4]

        # A new row below the screen changes the scrollbar, so Textual repaints the
        # widget, but every visible line comes from the strip cache.
        table.lines_rendered = table.rows_built = 0
        table.upsert([many[0].model_copy(update={"conversation_id": "conv_new"})])
        await pilot.pause()
        assert table.rows_built == 0


async def test_several_upserts_before_a_frame_are_filed_once() -> None:
    async with TableApp(LEADS).run_test(size=(80, 24)) as pilot:
        table = table_of(pilot)
        table.sort_by("name")
        rebuilds = table._index.rebuilds
        for n in range(5):
            table.upsert(
                lead.model_copy(update={"conversation_id": f"new_{n}_{lead.conversation_id}"})
                for lead in LEADS
            )
        await pilot.pause()
        assert table.row_count == 180
        assert table._index.rebuilds == rebuilds + 1
        table.upsert([LEADS[0].model_copy(update={"first_name": "Zoe"})])
        await pilot.pause()
        assert table._index.rebuilds == rebuilds + 1  # one change: bisect, no rebuild


async def test_clicks_select_rows_and_headers_sort() -> None:
    app = TableApp(LEADS)
    async with app.run_test(size=(160, 48)) as pilot:
        table = table_of(pilot)
        await pilot.click(CountingTable, offset=(5, 4))
        assert table.cursor_key == KEYS[3]
        await pilot.click(CountingTable, offset=(5, 4), times=2)
        await pilot.pause()
        assert [m.key for m in app.messages if isinstance(m, LeadsTable.LeadSelected)] == [KEYS[3]]
        await pilot.click(CountingTable, offset=(3, 0))
        assert (table.sort_column, table.sort_reverse) == ("name", False)
        await pilot.click(CountingTable, offset=(3, 0))
        assert (table.sort_column, table.sort_reverse) == ("name", True)


async def test_empty_and_no_match_messages() -> None:
    async with TableApp([]).run_test(size=(80, 24)) as pilot:
        table = table_of(pilot)
        assert "No leads yet." in screen_lines(table)[1]
        assert table.cursor_key is None
        table.upsert(LEADS)
        table.set_filter("zzz")
        await pilot.pause()
        assert "No leads match “zzz”." in screen_lines(table)[1]
        assert table.cursor_key is None
        await pilot.press("down", "enter", "space")  # nothing to act on: no error


async def test_ages_come_from_the_injected_clock() -> None:
    now = [NOW]
    app = TableApp(LEADS)
    async with app.run_test(size=(160, 48)) as pilot:
        table = table_of(pilot)
        table.clock = lambda: now[0]
        table.refresh()
        await pilot.pause()
        text = "\n".join(screen_lines(table))
        assert "12s ago" in text and "5m ago" in text and "3h ago" in text and "never" in text
        now[0] = NOW + timedelta(days=3)
        table.refresh()
        await pilot.pause()
        table.render_lines(table.region.reset_offset)  # a frame reads the clock once
        text = "\n".join(screen_lines(table))
        assert "12s ago" not in text and "3d ago" in text


async def test_filter_texts_are_built_in_the_background() -> None:
    many = [
        lead.model_copy(update={"conversation_id": f"conv_{n:04d}"})
        for n, lead in enumerate(LEADS * 200)
    ]
    async with TableApp(many).run_test(size=(80, 24)) as pilot:
        table = table_of(pilot)
        for _ in range(20):
            if table.filter_ready:
                break
            await pilot.pause()
        assert table.filter_ready
        table.set_filter("oakridge")
        assert table.row_count == 8 * 200
