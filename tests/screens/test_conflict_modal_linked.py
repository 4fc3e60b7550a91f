"""The conflict dialog for a lead whose person another conversation already holds in
ResMan: `2` is "Link too", its effect names that conversation, and masking hides the
person but not the conversation id."""

from __future__ import annotations

from textual.widgets import RadioButton

from leadsync_tui.app import make_app
from leadsync_tui.config import load_settings
from leadsync_tui.models import (
    ConflictResolution,
    ConflictSeverity,
    ConflictType,
    LeadSyncConflict,
    Resolution,
    ResolutionStatus,
)
from leadsync_tui.screens.conflict_modal import (
    ConflictOutcome,
    ConflictResolutionModal,
    duplicate_text,
)
from leadsync_tui.sync.merge import LINKED_DUPLICATE_FIELD
from tests.screens.dashboard_fixtures import frozen_clock, sample_store

HELD = LeadSyncConflict(
    id="cfl_linked",
    conversation_id="conv_000",
    field=LINKED_DUPLICATE_FIELD,
    domiq_value="Maya Okafor · maya@example.com · +15125550143",
    resman_value="P-1 · Maya Okafor · maya@example.com · held by conv_001",
    conflict_type=ConflictType.DUPLICATE_CANDIDATE,
    conflict_severity=ConflictSeverity.HIGH,
    resolution_status=ResolutionStatus.MANUAL_REVIEW,
)


async def test_link_too_is_offered_explained_and_submitted() -> None:
    store = await sample_store()
    app = make_app(load_settings().settings, store=store, clock=frozen_clock, live_timers=False)
    submitted: list[ConflictResolution] = []
    outcomes: list[ConflictOutcome | None] = []

    async def submit(resolution: ConflictResolution) -> None:
        submitted.append(resolution)

    async def escalate(reason: str) -> None:
        raise AssertionError("not expected")

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        modal = ConflictResolutionModal(
            HELD, lead_name="Maya Okafor", submit=submit, escalate=escalate
        )
        await app.push_screen(modal, outcomes.append)
        await pilot.pause()
        labels = [str(b.label) for b in modal.query(RadioButton)]
        assert labels == ["1 New prospect", "2 Link too", "3 Pick one", "4 Manual review"]
        await pilot.press("2")
        await pilot.pause()
        effect = str(modal.query_one("#effect").render())
        assert "Links this conversation to P-1 too" in effect and "conv_001" in effect
        await pilot.press(*"same person")
        await pilot.press("ctrl+s")
        for _ in range(10):
            await pilot.pause()
            if outcomes:
                break
        assert [r.resolution for r in submitted] == [Resolution.RESMAN_WINS]
        assert outcomes and outcomes[0] is not None and outcomes[0].action == "resolved"


def test_masking_hides_the_person_not_the_conversation() -> None:
    shown = duplicate_text(HELD.resman_value, mask=True, ids=True)
    assert "maya@example.com" not in shown and "Okafor" not in shown
    assert shown.startswith("1. P-1 · ") and shown.endswith("held by conv_001")
