"""What `r` (retry) says when it finds nothing to retry, and why.

A lead held by an open `duplicate_candidate` has no failed write: it waits for a person
to say who it is in ResMan. A retry must not create a prospect for it (a second guest card
for one person), so it does nothing and says so, pointing at the decision instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadsync_tui.models import ConflictType
from leadsync_tui.store.store import LeadSyncStore


def waiting_for_decision(store: LeadSyncStore, conversation_ids: Sequence[str]) -> list[str]:
    """The leads among these an open `duplicate_candidate` holds."""
    return [
        cid
        for cid in conversation_ids
        if any(
            c.conflict_type is ConflictType.DUPLICATE_CANDIDATE
            for c in store.open_conflicts_for(cid)
        )
    ]


def nothing_to_retry(store: LeadSyncStore, conversation_ids: Sequence[str]) -> str:
    """The one line `r` shows when these leads had no failed write to retry."""
    held = waiting_for_decision(store, conversation_ids)
    if held and len(conversation_ids) == 1:
        return (
            "Nothing to retry: this lead waits for a decision, not a retry. It may already "
            "be in ResMan; press c to decide (link it, a new prospect, or manual review)."
        )
    if held:
        return (
            f"Nothing to retry: {len(held)} of these leads wait for a decision (they may "
            "already be in ResMan; press c to decide), the others have no failed write."
        )
    subject = "the marked leads have" if len(conversation_ids) > 1 else "this lead has"
    return f"Nothing to retry: {subject} no failed write."
