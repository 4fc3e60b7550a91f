"""Which toasts to raise: once per state change, never once per event.

The spec's alerts (sync failures, conflict detected, real-time connection lost, manual
review required) would drown an operator if every event raised one. The tracker keeps
the little it needs (connected or not, which conflicts and failures it has already
announced) and turns a batch of store changes into at most one note per kind.
Pure logic, no widgets: the screen shows the notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from leadsync_tui.models import LeadSyncState, ResolutionStatus, SyncStatus
from leadsync_tui.store.changes import (
    Change,
    ConflictsChanged,
    ConnectionStateChanged,
    LeadsChanged,
)

Severity = Literal["information", "warning", "error"]
CONFLICTS_TITLE = "Conflicts"


@dataclass(frozen=True)
class Note:
    """One toast."""

    title: str
    message: str
    severity: Severity


@dataclass
class AlertTracker:
    """Remembers what was announced, so each state change is announced once."""

    connected: bool | None = None
    announced_conflicts: set[str] = field(default_factory=set)
    announced_reviews: set[str] = field(default_factory=set)
    failed_leads: set[str] = field(default_factory=set)
    lost_connection: bool = False
    can_triage: bool = True
    """The user may decide conflicts: the conflict note says "c to triage" (not viewers)."""
    reconnect_requested: bool = False
    """The user pressed ctrl+r: the drop that follows is theirs, not a lost connection."""

    def prime(self, state: LeadSyncState) -> None:
        """Take the state as already known (nothing on screen at start is 'new')."""
        self.connected = state.real_time_connected
        for conflict in state.open_conflicts:
            self.announced_conflicts.add(conflict.id)
            if conflict.resolution_status is ResolutionStatus.MANUAL_REVIEW:
                self.announced_reviews.add(conflict.id)
        self.failed_leads = {
            key for key, lead in state.leads.items() if lead.resman_sync_status is SyncStatus.FAILED
        }

    def notes_for(self, state: LeadSyncState, changes: Sequence[Change]) -> list[Note]:
        notes: list[Note] = []
        # Each connection change in order, then the state now: a feed that came up and
        # dropped again before this batch was handled showed "live" on the indicator
        # (which applies the changes), so its loss is announced too.
        seen = [c.connected for c in changes if isinstance(c, ConnectionStateChanged)]
        for connected in [*seen, state.real_time_connected]:
            notes.extend(self._connection(connected))
        if any(isinstance(change, ConflictsChanged) for change in changes):
            notes.extend(self._conflicts(state))
        keys: set[str] = set()
        for change in changes:
            if isinstance(change, LeadsChanged):
                keys |= change.keys
        notes.extend(self._failures(state, keys))
        return notes

    def _connection(self, now: bool) -> Iterable[Note]:
        before, self.connected = self.connected, now
        if before and not now and self.reconnect_requested:
            return  # a reconnect the user asked for (the screen said "Reconnecting…")
        if now and not before:
            self.reconnect_requested = False  # back: the next drop is not the user's
        if before and not now:
            self.lost_connection = True
            yield Note(
                "Real-time connection lost",
                "The DomIQ live feed dropped; leadsync is reconnecting (ctrl+r to retry now).",
                "warning",
            )
        elif now and not before and self.lost_connection:
            self.lost_connection = False
            yield Note(
                "Real-time connection recovered",
                "Missed events are being applied.",
                "information",
            )

    def _conflicts(self, state: LeadSyncState) -> Iterable[Note]:
        open_conflicts = state.open_conflicts
        new = [c for c in open_conflicts if c.id not in self.announced_conflicts]
        reviews = [
            c
            for c in open_conflicts
            if c.resolution_status is ResolutionStatus.MANUAL_REVIEW
            and c.id not in self.announced_reviews
        ]
        self.announced_conflicts |= {c.id for c in new}
        self.announced_reviews |= {c.id for c in reviews}
        if new or reviews:
            # One note for both (a conflict is often new *and* for manual review), with
            # the count of all open ones: a later note replaces it, never piles up.
            count = len(open_conflicts)
            needs = f"{count} conflict{'s need' if count > 1 else ' needs'} a decision"
            then = " — c to triage" if self.can_triage else " (an operator's or a manager's)"
            yield Note(CONFLICTS_TITLE, needs + then, "warning")

    def _failures(self, state: LeadSyncState, keys: set[str]) -> Iterable[Note]:
        newly_failed = []
        for key in keys:
            lead = state.leads.get(key)
            failed = lead is not None and lead.resman_sync_status is SyncStatus.FAILED
            if failed and key not in self.failed_leads:
                self.failed_leads.add(key)
                newly_failed.append(key)
            elif not failed:
                self.failed_leads.discard(key)
        if newly_failed:
            count = len(self.failed_leads)  # all failing now: the note replaces the last
            yield Note(
                "Sync failed",
                f"{count} lead{'s' if count > 1 else ''} failed to sync; select and press r to "
                "retry.",
                "error",
            )
