"""Toasts are raised once per state change, not once per event."""

from __future__ import annotations

from leadsync_tui.models import LeadSyncState, SyncStatus
from leadsync_tui.screens.alerts import AlertTracker
from leadsync_tui.store.changes import ConflictsChanged, ConnectionStateChanged, LeadsChanged
from tests.screens.dashboard_fixtures import sample_conflicts
from tests.widgets.sample_leads import sample_leads


def state_with(**fields: object) -> LeadSyncState:
    return LeadSyncState.model_validate(fields)


def test_connection_loss_and_recovery_are_announced_once_each() -> None:
    tracker = AlertTracker()
    tracker.prime(state_with(real_time_connected=True))
    down = state_with(real_time_connected=False)
    titles = [n.title for n in tracker.notes_for(down, [])]
    assert titles == ["Real-time connection lost"]
    assert tracker.notes_for(down, []) == []  # still down: nothing new
    up = state_with(real_time_connected=True)
    assert [n.title for n in tracker.notes_for(up, [])] == ["Real-time connection recovered"]
    assert tracker.notes_for(up, []) == []


def test_a_feed_that_came_up_and_dropped_within_one_batch_is_announced_lost() -> None:
    """The indicator applies each change, so it showed "live" for the first one; the
    state read when the batch is handled is already down again (seen under load)."""
    tracker = AlertTracker()
    tracker.prime(state_with(real_time_connected=False))
    came_up = ConnectionStateChanged(connected=True, last_ping=None, reconnect_attempts=0)
    down = state_with(real_time_connected=False)
    titles = [n.title for n in tracker.notes_for(down, [came_up])]
    assert titles == ["Real-time connection lost"]
    dropped = ConnectionStateChanged(connected=False, last_ping=None, reconnect_attempts=1)
    assert tracker.notes_for(down, [dropped]) == []  # the same loss, not a second one


def test_a_first_connection_is_not_a_recovery() -> None:
    tracker = AlertTracker()
    tracker.prime(state_with(real_time_connected=False))
    assert tracker.notes_for(state_with(real_time_connected=True), []) == []


def test_new_conflicts_and_manual_reviews_are_announced_once() -> None:
    tracker = AlertTracker()
    tracker.prime(state_with())
    conflicts = sample_conflicts(3)
    state = state_with(conflicts=conflicts)
    change = ConflictsChanged(frozenset(c.id for c in conflicts))
    notes = tracker.notes_for(state, [change])
    assert [(n.title, n.message) for n in notes] == [
        ("Conflicts", "3 conflicts need a decision — c to triage")
    ]
    assert tracker.notes_for(state, [change]) == []


def test_conflicts_already_open_at_start_are_not_new() -> None:
    tracker = AlertTracker()
    conflicts = sample_conflicts(2)
    state = state_with(conflicts=conflicts)
    tracker.prime(state)
    assert tracker.notes_for(state, [ConflictsChanged(frozenset({"cfl_000"}))]) == []


def test_failures_are_counted_per_lead_transition() -> None:
    tracker = AlertTracker()
    leads = {lead.conversation_id: lead for lead in sample_leads()}
    tracker.prime(state_with(leads=leads))
    key = "conv_000"
    failed = leads[key].model_copy(update={"resman_sync_status": SyncStatus.FAILED})
    state = state_with(leads={**leads, key: failed})
    notes = tracker.notes_for(state, [LeadsChanged(frozenset({key}))])
    assert [(n.title, n.severity) for n in notes] == [("Sync failed", "error")]
    assert tracker.notes_for(state, [LeadsChanged(frozenset({key}))]) == []
    healed = leads[key].model_copy(update={"resman_sync_status": SyncStatus.SYNCED})
    tracker.notes_for(state_with(leads={**leads, key: healed}), [LeadsChanged(frozenset({key}))])
    again = tracker.notes_for(state, [LeadsChanged(frozenset({key}))])
    assert [n.title for n in again] == ["Sync failed"]
