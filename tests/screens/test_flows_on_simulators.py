"""The user's flows through the whole app, on the real engine against the simulators.

Each flow starts `leadsync` as `make_app` builds it (its own engine, run as a worker) with
settings pointing at seeded DomIQ and ResMan simulators on loopback, drives it with keys,
and checks what a user would notice (rows, toasts, the banner, the live-feed indicator, a
CSV file) and what both systems hold afterwards, read through their real APIs. Faults are
set through the simulators' control routes; edits "made by someone else" go through the
systems' APIs (a DomIQ PATCH, a ResMan MITS post).

Covered elsewhere and not repeated here: creating a lead (`test_lead_creation.py`), the
metrics screen's error groups (`test_metrics_screen.py`), the lead detail screen and its
retry (`test_lead_detail.py`), the dashboard actions on fixture stores
(`test_dashboard_actions.py`), the engine alone (`tests/engine/`).

The conflicts resolved here are the seeded ones the first sync finds once the dashboard
is up, plus one made live (both sides edit the same field while leadsync runs, ResMan's
edit not yet polled): the write to ResMan reads the prospect first and raises it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from leadsync_tui.app import LeadSyncApp
from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.mits import ProspectFields, ProspectIds, ProspectName, build_update
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.config import RolesSettings, Settings
from leadsync_tui.models import Lead, Resolution, ResolutionStatus, SyncStatus
from leadsync_tui.roles import Role
from leadsync_tui.screens.bulk_action import BulkActionModal
from leadsync_tui.screens.conflict_modal import (
    RESOLUTION_WORDS,
    ConflictResolutionModal,
    merged_value,
)
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.engine_state import ENGINE_CURSOR
from leadsync_tui.sync.mapping import lead_to_fields, prospect_to_fields
from leadsync_tui.widgets import ConflictNotificationBanner, LeadsTable, RealTimeSyncIndicator
from leadsync_tui.widgets.realtime_indicator import FeedState
from tests.engine.conftest import Rig, sim_rig, truth_of
from tests.typing_keys import type_text
from tests.waiting import eventually, until

AppPilot = Pilot[int]
ACTOR = "dana"


# --------------------------------------------------------------------------- the rig


@asynccontextmanager
async def app_on_sims(
    tmp_path: Path,
    *,
    leads: int = 20,
    seed: int = 7,
    before_start: Callable[[Rig], Awaitable[None]] | None = None,
    **sync: Any,
) -> AsyncIterator[tuple[Rig, LeadSyncApp, AppPilot]]:
    """The app (a manager's session) on its own engine against seeded simulators, once
    the first sync has settled. `before_start` runs against the simulators first."""
    async with sim_rig(tmp_path, leads=leads, seed=seed, **sync) as rig:
        if before_start is not None:
            await before_start(rig)
        settings = as_manager(rig.settings)
        async with open_tui(settings, live_timers=False, actor=ACTOR) as app:
            record_notes(app)
            async with app.run_test(size=(160, 48), notifications=True) as pilot:
                await until(lambda: settled(app), 30)
                await pilot.pause()
                yield rig, app, pilot


def as_manager(settings: Settings) -> Settings:
    return settings.model_copy(update={"roles": RolesSettings(default=Role.MANAGER)})


def engine_of(app: LeadSyncApp) -> SyncEngine:
    assert app.engine_setup is not None
    return app.engine_setup.engine


def store_of(app: LeadSyncApp) -> LeadSyncStore:
    assert app.store is not None
    return app.store


async def settled(app: LeadSyncApp) -> bool:
    """The engine has done a full pass, has nothing left to send and no lead is on its
    way."""
    if app.engine_setup is None or app.store is None or not app.store.state.leads:
        return False
    db = engine_of(app).db
    if await db.get_cursor(ENGINE_CURSOR) is None:  # the first pass is not over yet
        return False
    counts = await db.outbox_counts()
    syncing = any(
        lead.resman_sync_status is SyncStatus.SYNCING for lead in app.store.state.leads.values()
    )
    return counts.pending + counts.in_flight == 0 and not syncing


def exported(folder: Path) -> tuple[Path, str]:
    """The one CSV file an export wrote into `folder`, and its text."""
    [path] = list(folder.glob("leadsync-export-*.csv"))
    return path, path.read_text(encoding="utf-8")


_NOTES: weakref.WeakKeyDictionary[LeadSyncApp, list[str]] = weakref.WeakKeyDictionary()


def record_notes(app: LeadSyncApp) -> None:
    """Keep every notification the session raises, as its toast reads ("title\nmessage"):
    a toast disappears after a few seconds, and some are raised during the first sync."""
    log = _NOTES.setdefault(app, [])
    show = app.notify

    def notify(message: str, **options: Any) -> None:
        title = options.get("title", "")
        log.append(f"{title}\n{message}" if title else message)
        show(message, **options)

    app.notify = notify  # type: ignore[method-assign]


def toasts(app: LeadSyncApp) -> list[str]:
    """The toasts this session has shown so far, oldest first."""
    return list(_NOTES.get(app, []))


def table_of(app: LeadSyncApp) -> LeadsTable:
    return app.screen.query_one(LeadsTable)


def status_of(app: LeadSyncApp, cid: str) -> SyncStatus:
    return store_of(app).state.leads[cid].resman_sync_status


def row_status(app: LeadSyncApp, cid: str) -> SyncStatus | None:
    """The status the lead's row shows."""
    lead = table_of(app).get_lead(cid)
    return lead.resman_sync_status if lead else None


# --------------------------------------------------------------------------- the systems


async def put_control(base_url: str, route: str, knobs: dict[str, Any]) -> None:
    """`PUT /_sim/<route>` on one simulator (faults, settings)."""
    async with httpx.AsyncClient() as http:
        answer = await http.put(f"{base_url}/_sim/{route}", json=knobs)
    assert answer.status_code == 200, answer.text


async def domiq_lead(rig: Rig, cid: str) -> Lead:
    async with DomiqClient.from_settings(rig.settings.domiq) as domiq:
        return await domiq.get_lead(cid)


async def edit_in_domiq(rig: Rig, cid: str, changes: dict[str, Any]) -> Lead:
    """Someone edits the lead in DomIQ: `PATCH /v1/leads/{id}` with If-Match."""
    async with DomiqClient.from_settings(rig.settings.domiq) as domiq:
        lead = await domiq.get_lead(cid)
        return await domiq.patch_lead(cid, changes, if_match=lead.version)


def resman_property(rig: Rig, lead: Lead) -> str:
    return rig.settings.resman.properties[lead.property_id].property_id


async def edit_in_resman(rig: Rig, lead: Lead, fields: ProspectFields) -> None:
    """An agent edits the lead's guest card in ResMan (a MITS update post)."""
    assert lead.resman_prospect_id is not None
    property_id = resman_property(rig, lead)
    async with ResmanClient.from_settings(rig.settings.resman) as resman:
        [prospect] = await resman.search_prospects(property_id, prospect_id=lead.resman_prospect_id)
        assert prospect.person_id is not None
        ids = ProspectIds(prospect_id=prospect.prospect_id, person_id=prospect.person_id)
        name = ProspectName(
            first_name=prospect.first_name or "", last_name=prospect.last_name or ""
        )
        await resman.post_lead(property_id, build_update(ids, fields, name=name))


async def resman_max_rent(rig: Rig, lead: Lead) -> float | None:
    assert lead.resman_prospect_id is not None
    async with ResmanClient.from_settings(rig.settings.resman) as resman:
        [prospect] = await resman.search_prospects(
            resman_property(rig, lead), prospect_id=lead.resman_prospect_id
        )
    return prospect.max_rent


def quiet_linked_lead(rig: Rig, app: LeadSyncApp) -> str:
    """A linked lead that is synced and has no conflict."""
    world = rig.sims.world
    for cid in world.linked_pairs:
        if cid in world.conflicting_pairs:
            continue
        if status_of(app, cid) is SyncStatus.SYNCED:
            return cid
    raise AssertionError("no synced linked lead")


# --------------------------------------------------------------------------- flows


RESOLUTION_KEYS = {
    Resolution.DOMIQ_WINS: "1",
    Resolution.RESMAN_WINS: "2",
    Resolution.MERGED: "3",
    Resolution.MANUAL_REVIEW: "4",
}


def merged_text(field: str) -> str:
    """A value a manager might type as the merged one, different from both sides'."""
    if field == "phone":
        return "(512) 555-0177"
    if field == "desired_move_in":
        return (date.today() + timedelta(days=123)).isoformat()
    return "1999"


async def modal_done(pilot: AppPilot) -> None:
    """Let the conflict dialog's store call finish (the engine's worker never does)."""
    await pilot.pause()
    await eventually(
        lambda: not any(w.is_running for w in pilot.app.workers if w.group == "conflict-modal"),
        10,
    )
    await pilot.pause()


def banner_of(app: LeadSyncApp) -> ConflictNotificationBanner:
    return app.screen.query_one(ConflictNotificationBanner)


async def both_sides(rig: Rig, cid: str, field: str) -> tuple[Any, Any]:
    """The field as DomIQ holds it and as ResMan holds it, read through their APIs."""
    truth = await truth_of(rig.settings)
    lead = truth.leads[cid]
    prospect = truth.prospects[lead.resman_prospect_id or ""]
    return lead_to_fields(lead)[field], prospect_to_fields(prospect)[field]


@pytest.mark.parametrize("resolution", list(RESOLUTION_KEYS), ids=lambda r: str(r.value))
async def test_a_conflict_arrives_and_each_resolution_ends_in_both_systems(
    resolution: Resolution, tmp_path: Path
) -> None:
    """The first sync finds the seeded conflicts: a toast and the banner say so; `c`
    opens the first, a key picks the resolution, a reason, `ctrl+s`: the toast confirms,
    the banner counts one fewer, and DomIQ and ResMan both hold the final value (manual
    review: nothing is written and the conflict stays counted)."""
    async with app_on_sims(tmp_path) as (rig, app, pilot):
        seeded = set(rig.sims.world.conflicting_pairs)
        store = store_of(app)
        assert {c.conversation_id for c in store.state.open_conflicts} == seeded
        await eventually(lambda: any(note.startswith("Conflicts\n") for note in toasts(app)), 10)
        banner = banner_of(app)
        count = len(seeded)
        assert banner.display and f"{count} unresolved conflicts" in banner.label

        await pilot.press("c")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConflictResolutionModal)
        conflict = modal.conflict
        cid, field = conflict.conversation_id, conflict.field
        await pilot.press(RESOLUTION_KEYS[resolution])
        final: Any
        if resolution is Resolution.MERGED:
            typed = merged_text(field)
            final, problem = merged_value(field, typed)
            assert problem is None
            await pilot.press("ctrl+u")
            await type_text(pilot, typed)
            await pilot.press("enter")  # on to the reason
        elif resolution is Resolution.DOMIQ_WINS:
            final = conflict.domiq_value
        elif resolution is Resolution.RESMAN_WINS:
            final = conflict.resman_value
        await type_text(pilot, "called them")
        await pilot.press("ctrl+s")
        await modal_done(pilot)
        await pilot.press("escape")  # the next conflict of the round opened: stop here
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)

        if resolution is Resolution.MANUAL_REVIEW:
            assert "Conflict left for manual review" in toasts(app)
            assert f"{count} unresolved conflicts" in banner_of(app).label
            assert await both_sides(rig, cid, field) == (
                conflict.domiq_value,
                conflict.resman_value,
            )
            return
        assert f"Conflict resolved ({RESOLUTION_WORDS[resolution]})" in toasts(app)
        assert f"{count - 1} unresolved conflicts" in banner_of(app).label
        await eventually(lambda: row_status(app, cid) is SyncStatus.SYNCED, 30)
        await until(lambda: settled(app), 30)
        assert await both_sides(rig, cid, field) == (final, final)
        assert (await domiq_lead(rig, cid)).resman_sync_status is SyncStatus.SYNCED


async def test_escalating_a_conflict_records_it_and_writes_nothing(tmp_path: Path) -> None:
    """`c`, `e` asks for a reason, then Escalate: the toast says so, the conflict is
    escalated (still counted in the banner), the audit trail names who and why, and
    neither system is touched."""
    async with app_on_sims(tmp_path) as (rig, app, pilot):
        store = store_of(app)
        count = len(store.state.open_conflicts)
        await pilot.press("c")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConflictResolutionModal)
        conflict = modal.conflict
        await pilot.press("e")  # no reason yet: the dialog asks for one
        await pilot.pause()
        assert isinstance(app.screen, ConflictResolutionModal)
        await type_text(pilot, "owner decides")
        await pilot.press("tab", "tab", "enter")  # past Resolve to Escalate
        await modal_done(pilot)
        await pilot.press("escape")
        await pilot.pause()

        assert "Escalated" in toasts(app)
        escalated = store.conflict(conflict.id)
        assert escalated is not None
        assert escalated.resolution_status is ResolutionStatus.ESCALATED
        assert f"{count} unresolved conflicts" in banner_of(app).label
        [audit] = await engine_of(app).db.audit_entries(target=conflict.id)
        assert (audit.actor, audit.action, audit.reason) == (
            ACTOR,
            "escalate_conflict",
            "owner decides",
        )
        assert await both_sides(rig, conflict.conversation_id, conflict.field) == (
            conflict.domiq_value,
            conflict.resman_value,
        )


async def refuse_every_post(rig: Rig) -> None:
    """ResMan's `max_xml_bytes` so small that it refuses every MITS post."""
    await put_control(rig.sims.resman_url, "settings", {"max_xml_bytes": 64})


async def test_failed_writes_are_retried_one_and_then_in_bulk_and_reach_synced(
    tmp_path: Path,
) -> None:
    """ResMan refuses every post: the leads to create fail and a toast says so. Once
    ResMan is healed, `r` on one failed lead, then `/ failed`, `r` and `ctrl+s` on the
    rest: each reaches synced and is in ResMan."""
    async with app_on_sims(tmp_path, before_start=refuse_every_post) as (rig, app, pilot):
        store = store_of(app)

        def failed() -> set[str]:
            return {
                cid
                for cid, lead in store.state.leads.items()
                if lead.resman_sync_status is SyncStatus.FAILED
            }

        parked = failed()
        assert len(parked) >= 3
        await eventually(lambda: any(note.startswith("Sync failed") for note in toasts(app)), 10)
        await put_control(rig.sims.resman_url, "settings", {"max_xml_bytes": 2 * 1024 * 1024})

        one = sorted(parked)[0]
        table = table_of(app)
        assert table.move_cursor_to(one)
        await pilot.press("r")
        await eventually(lambda: row_status(app, one) is SyncStatus.SYNCED, 30)
        assert "Retrying 1 failed write." in toasts(app)

        await pilot.press("slash")
        await type_text(pilot, "failed")
        await pilot.press("enter")
        await pilot.pause()
        rest = parked - {one}
        assert set(table_of(app).visible_keys()) == rest
        await pilot.press("r")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, BulkActionModal)
        summary = str(confirm.query_one("#summary", Static).render())
        assert f"Retry the failed writes of {len(rest)} leads (the rows the filter shows)?" in (
            summary
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        await eventually(lambda: not failed(), 20)
        await until(lambda: settled(app), 20)
        assert all(row_status(app, cid) is SyncStatus.SYNCED for cid in parked)
        assert table_of(app).visible_keys() == []  # nothing shows "failed" any more
        truth = await truth_of(rig.settings)
        for cid in parked:
            assert truth.leads[cid].resman_prospect_id in truth.prospects, cid
            assert truth.leads[cid].resman_sync_status is SyncStatus.SYNCED


def indicator_of(app: LeadSyncApp) -> RealTimeSyncIndicator:
    return app.screen.query_one(RealTimeSyncIndicator)


def contact_shown(app: LeadSyncApp, cid: str) -> str | None:
    lead = table_of(app).get_lead(cid)
    return lead.email if lead else None


async def test_a_dropped_feed_is_shown_and_ctrl_r_brings_it_back_with_the_missed_edits(
    tmp_path: Path,
) -> None:
    """DomIQ's feed drops every frame: the indicator goes offline and a toast says so;
    an edit made in DomIQ meanwhile is not shown. Healed, `ctrl+r` reconnects: the
    indicator is live again and the missed edits are in the table (replayed by the feed:
    the engine's full pull is far away)."""
    async with app_on_sims(tmp_path, poll_interval=600) as (rig, app, pilot):
        await eventually(lambda: indicator_of(app).state is FeedState.LIVE, 30)
        first, second = rig.sims.world.linked_pairs[:2]
        await put_control(rig.sims.domiq_url, "faults", {"ws_drop_rate": 1.0})
        await edit_in_domiq(rig, first, {"email": "wren.first@example.net"})
        await eventually(lambda: indicator_of(app).state is FeedState.OFFLINE, 30)
        assert "offline" in indicator_of(app).label
        # The toast is posted on the turn after the indicator changed (`Toaster`).
        await eventually(
            lambda: any(note.startswith("Real-time connection lost") for note in toasts(app)), 10
        )
        await edit_in_domiq(rig, second, {"email": "wren.second@example.net"})
        await pilot.pause(0.3)
        assert contact_shown(app, first) != "wren.first@example.net"
        assert contact_shown(app, second) != "wren.second@example.net"

        await put_control(rig.sims.domiq_url, "faults", {"ws_drop_rate": 0.0})
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "Reconnecting the live feed…" in toasts(app)
        await eventually(lambda: indicator_of(app).state is FeedState.LIVE, 30)
        await eventually(lambda: contact_shown(app, second) == "wren.second@example.net", 30)
        assert contact_shown(app, first) == "wren.first@example.net"
        await eventually(
            lambda: any(note.startswith("Real-time connection recovered") for note in toasts(app)),
            10,
        )


async def test_filter_sort_export_and_jump_on_the_synced_leads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the leads as the first sync left them: `/` keeps one property's leads, `s`
    sorts them by name and `S` reverses; `e` writes exactly those rows, in that order,
    with the status DomIQ was told; `g` with a ResMan prospect id of a lead the filter
    hides clears the filter and lands on it."""
    monkeypatch.chdir(tmp_path)
    async with app_on_sims(tmp_path, leads=30) as (rig, app, pilot):
        store = store_of(app)
        place = rig.sims.world.properties[0].domiq_id
        expected = {cid for cid, lead in store.state.leads.items() if lead.property_id == place}
        await pilot.press("slash")
        await type_text(pilot, place)
        await pilot.press("enter")
        await pilot.pause()
        table = table_of(app)
        assert set(table.visible_keys()) == expected
        assert table.row_count < table.total_count

        def names() -> list[str]:
            leads = store.state.leads
            return [leads[cid].full_name.lower() for cid in table_of(app).visible_keys()]

        await pilot.press("s")
        await pilot.pause()
        assert table.sort_column == "name"
        assert names() == sorted(names())
        await pilot.press("S")
        await pilot.pause()
        assert names() == sorted(names(), reverse=True)

        shown = table.visible_keys()
        await pilot.press("e")
        await eventually(lambda: any(n.startswith("Export") for n in toasts(app)), 5)
        path, text = await asyncio.to_thread(exported, tmp_path)
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [row["conversation_id"] for row in rows] == shown
        truth = await truth_of(rig.settings)
        for row in rows:
            lead = truth.leads[row["conversation_id"]]
            assert row["status"] == lead.resman_sync_status.value
            assert row["resman_prospect_id"] == (lead.resman_prospect_id or "")
        assert f"Exported {len(rows)} rows to {path}" in " ".join(toasts(app))

        elsewhere = next(
            lead
            for lead in store.state.leads.values()
            if lead.property_id != place and lead.resman_prospect_id
        )
        assert elsewhere.resman_prospect_id is not None
        await pilot.press("g")
        await type_text(pilot, elsewhere.resman_prospect_id)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert table.cursor_key == elsewhere.conversation_id
        assert table.row_count == table.total_count == len(store.state.leads)


async def test_both_sides_editing_the_same_field_live_raise_a_conflict(tmp_path: Path) -> None:
    """While leadsync runs, an agent changes a guest card's rent in ResMan and the bot
    changes the same lead's max rent in DomIQ: the user is told of a new conflict and
    neither value is lost before someone decides."""
    async with app_on_sims(tmp_path) as (rig, app, _pilot):
        store = store_of(app)
        count = len(store.state.open_conflicts)
        cid = quiet_linked_lead(rig, app)
        lead = await domiq_lead(rig, cid)
        await edit_in_resman(rig, lead, ProspectFields(desired_rent=2222))
        await edit_in_domiq(rig, cid, {"max_rent": 3333})

        def conflicted() -> bool:
            return any(c.field == "max_rent" for c in store.open_conflicts_for(cid))

        async def engine_acted() -> bool:
            return conflicted() or await resman_max_rent(rig, lead) != 2222

        await until(engine_acted, 15)
        await until(lambda: settled(app), 15)
        assert conflicted()
        assert await resman_max_rent(rig, lead) == 2222
        # One coalesced note counts every open conflict (it no longer names the field).
        needs = f"{count + 1} conflicts need a decision — c to triage"
        await eventually(lambda: f"Conflicts\n{needs}" in toasts(app), 10)
        assert f"{count + 1} unresolved conflicts" in banner_of(app).label
