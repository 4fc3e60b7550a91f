"""Which conflicts a triage round (`c`) walks through, for the user at the keyboard.

An operator may not decide high-severity conflicts; a round that opened those first made
them press `n` six times to reach one they may decide. So the round holds the conflicts
this role may decide, in triage order, and says how many it left out. A role that may
decide none of them (a viewer) still walks all of them, read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from leadsync_tui.models import LeadSyncConflict
from leadsync_tui.widgets.conflict_banner import triage_order


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
