"""Conflicts the engine finds: recorded in the store, then settled by the [policy] or left.

Found conflicts are stored in the same transaction as the change that found them
(`detect`, `write`), then taken into the state and settled (`publish`): an engine killed
between the two lost them before, and nothing merged the pair again. A policy decision
goes through the same `ResolveConflict` action as a person's, with the actor
`policy:<resolution>`, so it is audited (who, when, why) and its writes reach both sides
through the outbox like any resolution. Conflicts the policy may settle are stored
`unresolved` first and settled right after; one still `unresolved` after a crash is
settled on the next pass (`settle_pending`). `manual_review` ones wait for a person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from leadsync_tui.config import PolicySettings
from leadsync_tui.models import (
    AttemptStatus,
    ConflictResolution,
    ConflictType,
    LeadSyncConflict,
    LeadSyncLog,
    Resolution,
    ResolutionStatus,
    SyncDirection,
    SyncType,
)
from leadsync_tui.store.actions import ConflictsDetected, LogsAppended, ResolveConflict
from leadsync_tui.store.store import ActionRefused, LeadSyncStore
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.merge import FieldConflict
from leadsync_tui.sync.plan import conflict_id

logger = logging.getLogger(__name__)

_SETTLEABLE = frozenset({ConflictType.VALUE_MISMATCH, ConflictType.DELETED_ON_ONE_SIDE})
"""A badly formatted value or a possible duplicate always needs a person."""
_WINNERS = frozenset({Resolution.DOMIQ_WINS, Resolution.RESMAN_WINS})


@dataclass(frozen=True)
class Detected:
    """Conflicts found on one lead, and their log rows, before they are stored."""

    conflicts: list[LeadSyncConflict]
    logs: list[LeadSyncLog]


class ConflictRecorder:
    """Records conflicts and applies the configured per-field policy."""

    def __init__(
        self,
        store: LeadSyncStore,
        policy: PolicySettings,
        journal: Journal,
        now: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._policy = policy
        self._journal = journal
        self._now = now

    def decision(self, conflict: LeadSyncConflict) -> Resolution | None:
        """The policy's pick for this conflict, None when a person must decide."""
        chosen = self._policy.for_field(conflict.field)
        if conflict.conflict_type in _SETTLEABLE and chosen in _WINNERS:
            return chosen
        return None

    def use_policy(self, policy: PolicySettings) -> None:
        """A reloaded `[policy]`: it settles the conflicts found from now on."""
        self._policy = policy

    def detect(
        self, conversation_id: str, found: Sequence[FieldConflict], *, logged: bool = False
    ) -> Detected:
        """The lead's conflicts and a `conflict` attempt each, told to the journal; not
        stored yet (`write` in the caller's transaction, then `publish`).

        `logged`: the attempt that found them was itself logged as a `conflict` (a create
        held back by a `duplicate_candidate`), so no second row is written for it."""
        at = self._now()
        conflicts: list[LeadSyncConflict] = []
        logs: list[LeadSyncLog] = []
        for item in found:
            cid = conflict_id(conversation_id, item.field, item.base, item.domiq, item.resman)
            conflict = item.to_lead_sync_conflict(
                id=cid, conversation_id=conversation_id, detected_at=at
            )
            if self.decision(conflict) is not None:
                conflict = conflict.model_copy(
                    update={"resolution_status": ResolutionStatus.UNRESOLVED}
                )
            conflicts.append(conflict)
            if not logged:
                logs.append(
                    self._journal.attempt(
                        conversation_id,
                        SyncDirection.DOMIQ_TO_RESMAN,
                        SyncType.UPDATE,
                        AttemptStatus.CONFLICT,
                        error=_describe(item),
                    )
                )
            self._journal.emit(
                "conflict",
                conversation_id=conversation_id,
                conflict_id=cid,
                field=item.field,
                type=item.type.value,
                severity=item.severity.value,
                resolution_status=conflict.resolution_status.value,
            )
        return Detected(conflicts, logs)

    async def write(self, detected: Detected) -> None:
        """Store them inside the caller's transaction, with the change that found them."""
        await self._store.persist_conflicts(detected.conflicts)
        await self._store.db.append_logs(detected.logs)

    async def publish(self, detected: Detected) -> int:
        """After the commit: the state takes them in, then the policy settles what it
        may. Call it outside any database transaction (it dispatches). Returns how many
        conflicts were left open for a person."""
        if not detected.conflicts:
            return 0
        await self._store.dispatch(ConflictsDetected(detected.conflicts))
        await self._store.dispatch(LogsAppended(detected.logs))
        settled = await self._settle(detected.conflicts)
        return len(detected.conflicts) - settled

    async def settle_pending(self) -> int:
        """Apply the policy to conflicts still `unresolved` (a crash came between)."""
        waiting = [
            c
            for c in self._store.state.open_conflicts
            if c.resolution_status is ResolutionStatus.UNRESOLVED
        ]
        return await self._settle(waiting)

    async def _settle(self, conflicts: Sequence[LeadSyncConflict]) -> int:
        settled = 0
        for conflict in conflicts:
            chosen = self.decision(conflict)
            if chosen is None:
                continue
            resolution = ConflictResolution(
                resolution=chosen,
                reason=f"[policy] for {conflict.field}: {chosen.value}",
            )
            try:
                await self._store.dispatch(
                    ResolveConflict(conflict.id, resolution, actor=f"policy:{chosen.value}")
                )
            except ActionRefused as exc:  # a person got there first
                logger.info("policy left conflict %s alone: %s", conflict.id, exc)
                continue
            settled += 1
            self._journal.emit(
                "conflict_resolved",
                conversation_id=conflict.conversation_id,
                conflict_id=conflict.id,
                field=conflict.field,
                resolution=chosen.value,
                actor=f"policy:{chosen.value}",
            )
        return settled


def _describe(conflict: FieldConflict) -> str:
    what = {
        ConflictType.VALUE_MISMATCH: "changed differently on both sides",
        ConflictType.DELETED_ON_ONE_SIDE: "cleared on one side, changed on the other",
        ConflictType.FORMAT_INVALID: "holds a value that cannot be carried across",
        ConflictType.DUPLICATE_CANDIDATE: "looks like an existing record",
    }[conflict.type]
    detail = f" ({conflict.detail})" if conflict.detail else ""
    return f"{conflict.field} {what}{detail}"
