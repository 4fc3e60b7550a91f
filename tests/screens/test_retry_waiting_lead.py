"""`r` on a lead that waits for a person to say who it is in ResMan (an open
`duplicate_candidate`): nothing is retried or created, and the toast says why and what
to do instead."""

from __future__ import annotations

from leadsync_tui.app import make_app
from leadsync_tui.config import load_settings
from leadsync_tui.models import (
    ConflictSeverity,
    ConflictType,
    LeadSyncConflict,
    ResolutionStatus,
)
from leadsync_tui.store.actions import ConflictsDetected
from leadsync_tui.sync.merge import LINKED_DUPLICATE_FIELD
from leadsync_tui.widgets import LeadsTable
from tests.screens.dashboard_fixtures import frozen_clock, sample_store


async def test_r_on_a_lead_waiting_for_a_duplicate_decision_says_why_it_did_nothing() -> None:
    store = await sample_store()
    held = LeadSyncConflict(
        id="cfl_dup",
        conversation_id="conv_000",
        field=LINKED_DUPLICATE_FIELD,
        domiq_value="Maya Okafor · maya@example.com",
        resman_value="P-1 · Maya Okafor · maya@example.com · held by conv_001",
        conflict_type=ConflictType.DUPLICATE_CANDIDATE,
        conflict_severity=ConflictSeverity.HIGH,
        resolution_status=ResolutionStatus.MANUAL_REVIEW,
    )
    await store.dispatch(ConflictsDetected([held]))
    app = make_app(load_settings().settings, store=store, clock=frozen_clock, live_timers=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert app.screen.query_one(LeadsTable).cursor_key == "conv_000"
        await pilot.press("r")
        await pilot.pause()
        toasts = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert "waits for a decision, not a retry" in toasts[-1]
        assert "press c to decide" in toasts[-1]
        assert await store.retry_leads(["conv_000"], actor="dana") == 0
