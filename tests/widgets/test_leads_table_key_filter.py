"""The key filter: the table shows exactly a given set of leads (an error group's), with
the text filter inside it, following live updates, in one pass over the index."""

from __future__ import annotations

from leadsync_tui.models import SyncStatus
from leadsync_tui.widgets.lead_index import LeadIndex
from tests.widgets.sample_leads import sample_leads
from tests.widgets.test_leads_table import TableApp, screen_lines, table_of

LEADS = sample_leads()
GROUP = ["conv_001", "conv_003", "conv_007", "conv_011", "conv_015"]


def test_the_index_shows_exactly_the_keys_combined_with_the_text_filter() -> None:
    index = LeadIndex()
    index.upsert(LEADS)
    assert index.set_key_filter([*GROUP, "conv_999"])  # an unknown key is just not shown
    assert sorted(index.keys()) == GROUP
    assert not index.set_key_filter({*GROUP, "conv_999"})  # the same set: no change
    index.set_filter("noah")  # Noah Patel is conv_003
    assert index.keys() == ["conv_003"]
    index.set_filter("")
    index.sort_by("name")
    shown = index.keys()
    names = [lead.full_name for lead in (index.get(k) for k in shown) if lead]
    assert names == sorted(names) and len(names) == 5
    assert index.set_key_filter(None)
    assert len(index) == 30


def test_the_index_follows_updates_and_arrivals_under_a_key_filter() -> None:
    index = LeadIndex()
    index.upsert(LEADS[:10])
    index.set_key_filter(GROUP)
    assert sorted(index.keys()) == ["conv_001", "conv_003", "conv_007"]
    index.upsert(LEADS[10:])  # conv_011 and conv_015 arrive later: they show up
    assert sorted(index.keys()) == GROUP
    changed = LEADS[2].model_copy(update={"version": 9, "first_name": "Changed"})
    index.upsert([changed])  # conv_002 is outside the group: stays hidden
    shown = index.keys()
    assert "conv_002" not in shown
    index.remove(["conv_007"])
    assert sorted(index.keys()) == ["conv_001", "conv_003", "conv_011", "conv_015"]


def test_a_big_batch_under_a_key_filter_is_filed_in_one_rebuild() -> None:
    many = [LEADS[i % 30].model_copy(update={"conversation_id": f"x{i:04d}"}) for i in range(300)]
    group = [f"x{i:04d}" for i in range(0, 300, 7)]
    index = LeadIndex()
    index.upsert(many)
    index.set_key_filter(group)
    before = index.rebuilds
    index.upsert([lead.model_copy(update={"version": 5}) for lead in many])
    assert sorted(index.keys()) == group
    assert index.rebuilds == before + 1


async def test_the_table_filters_to_keys_says_why_when_empty_and_clears() -> None:
    app = TableApp(LEADS)
    async with app.run_test(size=(100, 20)) as pilot:
        table = table_of(pilot)
        table.filter_to_keys(GROUP, "errors: rate limited (429) · 5 leads")
        await pilot.pause()
        assert sorted(table.visible_keys()) == GROUP
        assert "rate limited" in (table.key_filter_label or "")
        assert table.cursor_key == table.visible_keys()[0]
        shown = "\n".join(screen_lines(table))
        assert "Liam Nguyen" in shown and "Maya Okafor" not in shown
        # Every lead of the group synced again and left: the table says where it is.
        table.filter_to_keys([], "errors: rate limited (429) · 0 leads")
        await pilot.pause()
        assert "No leads left in “errors: rate limited (429) · 0 leads”." in "\n".join(
            screen_lines(table)
        )
        table.filter_to_keys(GROUP, "errors: rate limited (429) · 5 leads")
        failed = LEADS[1].model_copy(update={"version": 7, "resman_sync_status": SyncStatus.FAILED})
        table.upsert([failed])
        await pilot.pause()
        assert table.get_lead("conv_001") == failed and "conv_001" in table.visible_keys()
        table.clear_key_filter()
        await pilot.pause()
        assert table.row_count == 30 and table.key_filter_label is None
        assert table.key_filter is None
