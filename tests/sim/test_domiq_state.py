"""`DomiqState` used directly, as the seeded world and the activity generator use it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from leadsync_tui.models import (
    EventType,
    Lead,
    MessageRole,
    Qualification,
    SyncStatus,
    TranscriptMessage,
)
from leadsync_tui.sim.domiq import BadRequest, DomiqState, InvalidField, NotFound, VersionMismatch
from tests.clocks import FrozenClock
from tests.sim.domiq_fixtures import T0, lead_data

ID_RE = re.compile(r"^cnv_[0-9A-HJKMNP-TV-Z]{26}$")


def make_state(seed: int = 7, **kwargs: int) -> DomiqState:
    return DomiqState(seed=seed, now=FrozenClock(T0), **kwargs)


def test_ids_are_ulid_like_and_repeat_for_a_seed() -> None:
    def ids(seed: int) -> list[str]:
        state = make_state(seed)
        return [state.create_lead(lead_data(), f"k{i}")[0].conversation_id for i in range(3)]

    first = ids(7)
    assert all(ID_RE.match(cid) for cid in first)
    assert len(set(first)) == 3
    assert first == ids(7)
    assert first != ids(8)


def test_seeded_leads_keep_their_fields_and_emit_nothing() -> None:
    state = make_state()
    lead = Lead(
        conversation_id="cnv_01HZX3SEEDED0000000000000",
        version=4,
        created_at=datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC),
        updated_at=datetime(2026, 11, 24, 9, 12, 40, tzinfo=UTC),
        property_id="prop_oakridge",
        first_name="Maya",
        last_name="Okafor",
        resman_sync_status=SyncStatus.SYNCED,
        resman_prospect_id="8c2f",
    )
    line = TranscriptMessage(at=T0, role=MessageRole.PROSPECT, text="Hi")
    state.seed_lead(lead, [line])
    assert state.get_lead(lead.conversation_id) == lead
    assert state.transcript(lead.conversation_id) == [line]
    assert state.last_event_id == 0


def test_a_conversation_is_not_a_lead_until_qualified() -> None:
    state = make_state()
    cid = state.start_conversation("prop_oakridge", "Ada", "Osei", max_rent=1500)
    assert state.pending_conversations() == [cid]
    assert not state.has_lead(cid)
    state.append_message(cid, TranscriptMessage(at=T0, role=MessageRole.BOT, text="Hello"))
    lead = state.qualify(cid)
    assert lead.qualification is Qualification.QUALIFIED
    assert lead.max_rent == 1500
    assert state.pending_conversations() == []
    assert [m.text for m in state.transcript(cid)] == ["Hello"]


def test_a_conversation_with_bad_details_is_refused() -> None:
    with pytest.raises(InvalidField, match=r"^phone:"):
        make_state().start_conversation("prop_oakridge", "Ada", "Osei", phone="555")


def test_edit_bumps_the_version_and_emits_but_a_no_op_does_not() -> None:
    state = make_state()
    lead, _ = state.create_lead(lead_data(), "k")
    edited = state.edit_lead(lead.conversation_id, {"desired_bedrooms": 3})
    same = state.edit_lead(lead.conversation_id, {"desired_bedrooms": 3})
    assert (edited.version, same.version) == (2, 2)
    assert state.last_event_id == 2


def test_patch_errors_are_typed() -> None:
    state = make_state()
    lead, _ = state.create_lead(lead_data(), "k")
    with pytest.raises(NotFound):
        state.patch_lead("cnv_nope", {}, 1)
    with pytest.raises(VersionMismatch) as stale:
        state.patch_lead(lead.conversation_id, {"pets": False}, 3)
    assert stale.value.current == 1
    with pytest.raises(InvalidField) as bad:
        state.patch_lead(lead.conversation_id, {"max_rent": -1}, 1)
    assert bad.value.field == "max_rent"


def test_a_sync_report_that_changes_nothing_emits_nothing() -> None:
    state = make_state()
    lead, _ = state.create_lead(lead_data(), "k")
    cid = lead.conversation_id
    state.report_sync(cid, SyncStatus.SYNCED, "8c2f", T0)
    state.report_sync(cid, "synced", "8c2f", T0)
    reported = state.get_lead(cid)
    assert reported.version == 1
    assert reported.resman_sync_status is SyncStatus.SYNCED
    assert state.last_event_id == 2


def test_events_since_knows_the_retained_window() -> None:
    state = make_state(event_window=5)
    assert state.events_since(0) == []
    for i in range(8):
        state.create_lead(lead_data(first_name=f"P{i}"), f"k{i}")
    assert state.retained_events == 5
    retained = state.events_since(3)
    assert retained is not None
    assert [e.id for e in retained] == [4, 5, 6, 7, 8]
    assert state.events_since(8) == []
    assert state.events_since(2) is None  # event 3 is gone
    assert state.events_since(9) is None  # from the future


def test_subscribers_get_the_backlog_then_live_events_in_order() -> None:
    state = make_state()
    state.create_lead(lead_data(), "a")
    sub = state.subscribe(since=0)
    lead, _ = state.create_lead(lead_data(first_name="Liam"), "b")
    state.qualify(lead.conversation_id)
    assert [e.id for e in sub.backlog] == [1]
    live = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    assert [(e.id, e.type) for e in live] == [
        (2, EventType.LEAD_CREATED),
        (3, EventType.CONVERSATION_QUALIFIED),
    ]
    state.unsubscribe(sub)
    assert state.subscriber_count == 0


def test_a_full_subscriber_is_dropped_not_waited_for() -> None:
    state = make_state(subscriber_queue_size=1)
    sub = state.subscribe(since=None)
    state.create_lead(lead_data(), "a")
    state.create_lead(lead_data(first_name="B"), "b")
    assert sub.dropped
    assert state.subscriber_count == 0
    assert state.last_event_id == 2


def test_list_leads_checks_its_limit() -> None:
    with pytest.raises(BadRequest, match="between 1 and 500"):
        make_state().list_leads(None, None, 0)
