"""A triage round (`c`): which conflicts it walks through, and walking them.

An operator may not decide high-severity conflicts; a round that opened those first made
them press `n` six times to reach one they may decide. So the dashboard's round holds the
conflicts this role may decide, in triage order, and says how many it left out. A role
that may decide none of them (a viewer) still walks all of them, read-only.

The dashboard (every open conflict) and the lead detail (the lead's own) both walk a round
with `ConflictTriage`: one conflict dialog after the other, each with what the session's
role allows, "Conflict 2 of 9" kept true, a toast after each decision.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import partial

from leadsync_tui.models import ConflictResolution, LeadSyncConflict, LeadSyncState
from leadsync_tui.roles import Permission
from leadsync_tui.screens.conflict_modal import ConflictResolutionModal
from leadsync_tui.screens.conflict_words import ConflictOutcome, outcome_message
from leadsync_tui.screens.session import SessionScreen
from leadsync_tui.ui_work import push_screen
from leadsync_tui.widgets.conflict_banner import triage_order
from leadsync_tui.widgets.pii import mask_name


@dataclass(frozen=True)
class TriageQueue:
    """The conflicts left in this round, first to open first; and how many were left
    out because this role may not decide them."""

    conflicts: list[LeadSyncConflict]
    skipped: int = 0


def triage_queue(
    open_conflicts: Iterable[LeadSyncConflict],
    seen: Collection[str],
    may_decide: Callable[[LeadSyncConflict], bool],
) -> TriageQueue:
    """The open conflicts not `seen` in this round: those `may_decide` allows, else all."""
    waiting = sorted((c for c in open_conflicts if c.id not in seen), key=triage_order)
    mine = [c for c in waiting if may_decide(c)]
    if not mine:
        return TriageQueue(waiting)
    return TriageQueue(mine, len(waiting) - len(mine))


def skipped_note(skipped: int) -> str:
    """The toast at the start of a round that left some conflicts out."""
    which = "conflict" if skipped == 1 else "conflicts"
    return (
        f"Skipped {skipped} {which} your role may not decide (high severity: a manager's);"
        " starting with yours."
    )


class ConflictTriage:
    """One screen's triage rounds: the conflicts seen in this round and the dialog open.

    `conflicts` gives the open conflicts the round walks; `yours_first` leaves out those
    the role may not decide (the dashboard; see the module doc); `lead_name` names a
    conflict's lead as the screen shows it; `on_open` hears which conflict opens next,
    `on_resolve` a decision before the store records it; `announce_end` says when the
    round has walked them all (the dashboard's queue)."""

    def __init__(
        self,
        screen: SessionScreen,
        conflicts: Callable[[], Iterable[LeadSyncConflict]],
        *,
        lead_name: Callable[[str], str],
        masked: Callable[[], bool],
        yours_first: bool,
        on_open: Callable[[LeadSyncConflict], object] | None = None,
        on_resolve: Callable[[str, ConflictResolution], None] | None = None,
        announce_end: bool = False,
    ) -> None:
        self._screen = screen
        self._conflicts = conflicts
        self._lead_name = lead_name
        self._masked = masked
        self._yours_first = yours_first
        self._on_open = on_open
        self._on_resolve = on_resolve
        self._announce_end = announce_end
        self.seen: set[str] = set()
        """Conflicts decided or skipped in this round (so manual review and escalated
        ones, still open, do not come back until the next round)."""
        self.modal: ConflictResolutionModal | None = None
        """The dialog this round opened last."""

    def queue(self) -> TriageQueue:
        """The conflicts left in this round, first to open first."""
        session = self._screen.session

        def may_decide(conflict: LeadSyncConflict) -> bool:
            return not self._yours_first or session.may(
                Permission.RESOLVE, conflict.conflict_severity
            )

        return triage_queue(self._conflicts(), self.seen, may_decide)

    def begin(self, *, none_note: str | None = None) -> None:
        """A new round, from its first conflict; `none_note` is said when there is none."""
        self.seen.clear()
        queue = self.queue()
        if not queue.conflicts:
            if none_note is not None:
                self._screen.notify(none_note, timeout=3)
            return
        if queue.skipped:
            self._screen.notify(skipped_note(queue.skipped), timeout=5)
        self.open(queue.conflicts[0])

    def position(self, conflict: LeadSyncConflict) -> tuple[int, int]:
        """(this one, how many) in the round: seen ones, this one, those still waiting."""
        done = len(self.seen)
        waiting = [c.id for c in self.queue().conflicts if c.id != conflict.id]
        return done + 1, done + 1 + len(waiting)

    def open(self, conflict: LeadSyncConflict) -> None:
        """The conflict dialog for `conflict`, offering what the role allows."""
        if self._on_open is not None:
            self._on_open(conflict)
        session = self._screen.session
        modal = ConflictResolutionModal(
            conflict,
            lead_name=self._lead_name(conflict.conversation_id),
            submit=partial(self._resolve, conflict.id),
            escalate=partial(self._escalate, conflict.id),
            position=self.position(conflict),
            read_only=not session.may(Permission.RESOLVE, conflict.conflict_severity),
            can_escalate=session.may(Permission.ESCALATE),
            read_only_note=session.conflict_refusal(conflict),
            mask_pii=self._masked(),
        )
        self.modal = modal
        push_screen(self._screen, modal, self._after)

    def recount(self) -> None:
        """Keep "Conflict 2 of 9" true while conflicts come and go under the dialog."""
        front = self._screen.app.screen
        if isinstance(front, ConflictResolutionModal) and front is self.modal:
            front.set_position(*self.position(front.conflict))

    def _after(self, outcome: ConflictOutcome | None) -> None:
        """Toast the decision, then open the next conflict of the round (escape ends it)."""
        if outcome is None:
            self.seen.clear()
            return
        self.seen.add(outcome.conflict_id)
        message = outcome_message(outcome)
        if message is not None:
            self._screen.notify(message, timeout=3)
        following = self.queue().conflicts
        if following:
            self.open(following[0])
            return
        if not self._announce_end:
            return
        left = len(list(self._conflicts()))
        self.seen.clear()
        if left:
            note = f"End of the triage queue; {left} still open (c starts again)."
            self._screen.notify(note, timeout=4)
        else:
            self._screen.notify("No unresolved conflicts left.", timeout=4)

    async def _resolve(self, conflict_id: str, resolution: ConflictResolution) -> None:
        if self._on_resolve is not None:
            self._on_resolve(conflict_id, resolution)
        session = self._screen.session
        await self._screen.store.resolve_conflict(conflict_id, resolution, session.actor)

    async def _escalate(self, conflict_id: str, reason: str) -> None:
        await self._screen.store.escalate_conflict(conflict_id, self._screen.session.actor, reason)


def conflict_lead_names(state: LeadSyncState, *, masked: bool) -> dict[str, str]:
    """Names for the open conflicts' leads, masked when PII is masked."""
    leads = state.leads
    names = {}
    for conflict in state.open_conflicts:
        lead = leads.get(conflict.conversation_id)
        if lead is not None:
            names[lead.conversation_id] = (
                mask_name(lead.first_name, lead.last_name) if masked else lead.full_name
            )
    return names
