"""The spec's interfaces, value for value."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from leadsync_tui.models import (
    ConflictResolution,
    ConflictSeverity,
    ConflictType,
    EventType,
    Lead,
    LeadSyncConflict,
    LeadSyncLog,
    LeadSyncState,
    Resolution,
    ResolutionStatus,
    SyncDirection,
    SyncEvent,
    SyncMetrics,
    SyncStatus,
    SyncType,
)

DOMIQ_LEAD_JSON = {
    "conversation_id": "cnv_01HZX3",
    "version": 4,
    "created_at": "2026-11-20T14:03:11Z",
    "updated_at": "2026-11-24T09:12:40Z",
    "property_id": "prop_oakridge",
    "first_name": "Maya",
    "last_name": "Okafor",
    "email": "maya.okafor@example.com",
    "phone": "+15125550143",
    "desired_move_in": "2027-01-15",
    "desired_bedrooms": 2,
    "desired_bathrooms": 1.5,
    "max_rent": 1850,
    "pets": True,
    "source": "website_chat",
    "qualification": "qualified",
    "notes": "Wants a ground floor unit.",
    "resman_sync_status": "synced",
    "resman_prospect_id": "8c2f",
    "last_sync_at": "2026-11-24T09:12:41Z",
}


def test_spec_enum_values_are_exactly_the_specs() -> None:
    assert [s.value for s in SyncStatus] == [
        "not_synced",
        "syncing",
        "synced",
        "failed",
        "conflict",
    ]
    assert {r.value for r in Resolution} == {
        "resman_wins",
        "domiq_wins",
        "manual_review",
        "merged",
    }
    assert {d.value for d in SyncDirection} == {"domiq_to_resman", "resman_to_domiq"}
    assert {t.value for t in SyncType} == {"create", "update", "status", "resolution"}
    assert {s.value for s in ConflictSeverity} == {"low", "medium", "high"}
    assert ConflictType.VALUE_MISMATCH.value == "value_mismatch"
    assert EventType.HEARTBEAT.value == "heartbeat"


def test_domiq_lead_round_trips_through_the_contract_json() -> None:
    lead = Lead.model_validate(DOMIQ_LEAD_JSON)
    assert lead.desired_move_in == date(2027, 1, 15)
    assert lead.updated_at == datetime(2026, 11, 24, 9, 12, 40, tzinfo=UTC)
    assert lead.resman_sync_status is SyncStatus.SYNCED
    assert json.loads(lead.model_dump_json()) == DOMIQ_LEAD_JSON


def test_naive_timestamps_are_read_as_utc_and_written_with_z() -> None:
    lead = Lead.model_validate({**DOMIQ_LEAD_JSON, "updated_at": "2026-11-24T09:12:40"})
    assert lead.updated_at.tzinfo is not None
    assert lead.model_dump(mode="json")["updated_at"] == "2026-11-24T09:12:40Z"


def test_an_unknown_sync_status_is_refused() -> None:
    with pytest.raises(ValidationError, match="resman_sync_status"):
        Lead.model_validate({**DOMIQ_LEAD_JSON, "resman_sync_status": "done"})


def test_leads_are_frozen_so_changes_are_new_objects() -> None:
    lead = Lead.model_validate(DOMIQ_LEAD_JSON)
    with pytest.raises(ValidationError):
        lead.email = "x@example.com"  # type: ignore[misc]
    changed = lead.model_copy(update={"email": "x@example.com"})
    assert (lead.email, changed.email) == ("maya.okafor@example.com", "x@example.com")


def test_sync_log_has_the_specs_fields() -> None:
    log = LeadSyncLog(
        id="log1",
        conversation_id="cnv_1",
        sync_direction=SyncDirection.DOMIQ_TO_RESMAN,
        sync_status="failed",
        sync_type=SyncType.CREATE,
        created_at=datetime(2026, 11, 25, tzinfo=UTC),
        error_message="Transaction Source could not be found",
    )
    dumped = log.model_dump(mode="json")
    for spec_field in (
        "id",
        "sync_direction",
        "sync_status",
        "sync_type",
        "created_at",
        "error_message",
        "conflict_resolution",
    ):
        assert spec_field in dumped
    assert dumped["created_at"] == "2026-11-25T00:00:00Z"


def test_conflict_round_trips_with_any_values_and_knows_if_open() -> None:
    conflict = LeadSyncConflict(
        id="c1",
        conversation_id="cnv_1",
        field="phone",
        resman_value="+15125550100",
        domiq_value="+15125550143",
        base_value=None,
        conflict_type=ConflictType.VALUE_MISMATCH,
        conflict_severity=ConflictSeverity.HIGH,
    )
    assert conflict.is_open
    again = LeadSyncConflict.model_validate_json(conflict.model_dump_json())
    assert again == conflict
    closed = conflict.model_copy(update={"resolution_status": ResolutionStatus.RESOLVED})
    assert not closed.is_open


def test_a_resolution_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="reason"):
        ConflictResolution(resolution=Resolution.DOMIQ_WINS, final_value="x", reason="")
    ok = ConflictResolution(resolution="merged", final_value=2, reason="called the prospect")
    assert ok.resolution is Resolution.MERGED


def test_metrics_defaults_mean_healthy_and_rates_are_fractions() -> None:
    metrics = SyncMetrics()
    assert (metrics.sync_success_rate, metrics.failed_syncs, metrics.pending_queue) == (1.0, 0, 0)
    with pytest.raises(ValidationError):
        SyncMetrics(sync_success_rate=97.0)


def test_state_holds_the_specs_slices() -> None:
    state = LeadSyncState()
    assert set(LeadSyncState.model_fields) >= {
        "leads",
        "sync_logs",
        "conflicts",
        "metrics",
        "real_time_connected",
        "loading",
        "error",
    }
    assert state.open_conflicts == [] and state.error is None and not state.real_time_connected


def test_live_event_frames_decode_to_leads_and_heartbeats() -> None:
    frame = {
        "id": 1042,
        "type": "lead.updated",
        "at": "2026-11-24T09:12:40Z",
        "data": DOMIQ_LEAD_JSON,
    }
    event = SyncEvent.model_validate(frame)
    lead = event.lead()
    assert lead is not None and lead.conversation_id == "cnv_01HZX3"
    beat = SyncEvent.model_validate({"id": 1042, "type": "heartbeat", "at": "2026-11-24T09:12:45Z"})
    assert beat.lead() is None
    resync = SyncEvent.model_validate({"type": "resync_required"})
    assert resync.id is None and resync.type is EventType.RESYNC_REQUIRED
