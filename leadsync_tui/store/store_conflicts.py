"""Conflict actions: detected, resolved (with the writes a decision needs), escalated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from leadsync_tui.models import (
    ConflictResolution,
    ConflictType,
    Lead,
    LeadSyncConflict,
    Resolution,
    ResolutionStatus,
    SyncDirection,
    SyncStatus,
    SyncType,
)
from leadsync_tui.store.actions import EscalateConflict, ResolveConflict
from leadsync_tui.store.changes import Change, ConflictsChanged, EngineRequest, EngineRequestKind
from leadsync_tui.store.payloads import ResolutionWrite
from leadsync_tui.store.records import AuditEntry, NewOutboxItem
from leadsync_tui.store.store_state import ActionRefused, StoreState


class ConflictActions(StoreState):
    """Conflicts in the state, indexed by id and by lead, and the lead status they set."""

    # ----------------------------------------------------------------- conflicts

    async def _fetch_conflicts(self) -> list[Change]:
        conflicts = await self._db.open_conflicts()
        before = frozenset(self._conflict_index)
        self._state.conflicts = []
        self._conflict_index.clear()
        self._open_by_lead.clear()
        for conflict in conflicts:
            self._put_conflict(conflict)
        ids = before | frozenset(self._conflict_index)
        return [ConflictsChanged(ids)] if ids else []

    def _put_conflict(self, conflict: LeadSyncConflict) -> None:
        """Insert or replace a conflict in the state and keep the indexes in step."""
        position = self._conflict_index.get(conflict.id)
        if position is None:
            self._conflict_index[conflict.id] = len(self._state.conflicts)
            self._state.conflicts.append(conflict)
        else:
            self._state.conflicts[position] = conflict
        open_ids = self._open_by_lead.setdefault(conflict.conversation_id, set())
        if conflict.is_open:
            open_ids.add(conflict.id)
        else:
            open_ids.discard(conflict.id)
            if not open_ids:
                del self._open_by_lead[conflict.conversation_id]

    def _lead_statuses_after(self, conflicts: Sequence[LeadSyncConflict]) -> dict[str, Lead]:
        """Held leads whose status must follow their conflicts once these are stored:
        into `conflict` when one is open, out of it (to `syncing`, as the resolution is
        now in the outbox) when the last one closes."""
        still_open = {
            c.conversation_id: set(self._open_by_lead.get(c.conversation_id, ())) for c in conflicts
        }
        for conflict in conflicts:
            ids = still_open[conflict.conversation_id]
            if conflict.is_open:
                ids.add(conflict.id)
            else:
                ids.discard(conflict.id)
        moved: dict[str, Lead] = {}
        for key, ids in still_open.items():
            held = self._state.leads.get(key)
            if held is None:
                continue
            if ids and held.resman_sync_status != SyncStatus.CONFLICT:
                status = SyncStatus.CONFLICT
            elif not ids and held.resman_sync_status == SyncStatus.CONFLICT:
                status = SyncStatus.SYNCING
            else:
                continue
            moved[key] = held.model_copy(update={"resman_sync_status": status})
        return moved

    async def _find_conflict(self, conflict_id: str) -> LeadSyncConflict:
        conflict = self.conflict(conflict_id) or await self._db.get_conflict(conflict_id)
        if conflict is None:
            raise ActionRefused(f"there is no conflict {conflict_id}")
        if not conflict.is_open:
            raise ActionRefused(f"conflict {conflict_id} is already resolved")
        return conflict

    def _as_stored(self, detected: Sequence[LeadSyncConflict]) -> list[LeadSyncConflict]:
        stored: list[LeadSyncConflict] = []
        for conflict in detected:
            held = self.conflict(conflict.id)
            if held is not None and held.is_open:
                # Detected again while open: new values, but keep who is dealing with it.
                conflict = conflict.model_copy(
                    update={
                        "resolution_status": held.resolution_status,
                        "resolution": held.resolution,
                    }
                )
            stored.append(conflict)
        return stored

    async def persist_conflicts(self, detected: Sequence[LeadSyncConflict]) -> None:
        """Write detected conflicts in the caller's database transaction, so that they
        land with the outcome that found them (the state takes them in with
        `ConflictsDetected` after the commit): an engine killed between the two lost
        the conflict, and nothing merged the pair again, so its values stayed apart."""
        await self._db.upsert_conflicts(self._as_stored(detected))

    async def _conflicts_detected(self, detected: Sequence[LeadSyncConflict]) -> list[Change]:
        stored = self._as_stored(detected)
        if not stored:
            return []
        moved = self._lead_statuses_after(stored)
        async with self._db.transaction():
            await self._db.upsert_conflicts(stored)
            await self._db.upsert_leads(list(moved.values()))
        for conflict in stored:
            self._put_conflict(conflict)
        return [ConflictsChanged(frozenset(c.id for c in stored)), *self._store_leads(moved)]

    async def _resolve_conflict(self, action: ResolveConflict) -> list[Change]:
        conflict = await self._find_conflict(action.conflict_id)
        resolution = _checked_resolution(conflict, action)
        decided = resolution.resolution is not Resolution.MANUAL_REVIEW
        now = self._now()
        resolved = conflict.model_copy(
            update={
                "resolution_status": ResolutionStatus.RESOLVED
                if decided
                else ResolutionStatus.MANUAL_REVIEW,
                "resolution": resolution,
            }
        )
        items = _resolution_items(resolved)
        moved = self._lead_statuses_after([resolved])
        async with self._db.transaction():
            await self._db.update_conflict(
                resolved,
                resolved_by=action.actor if decided else None,
                resolved_at=now if decided else None,
            )
            ids = await self._db.enqueue(items)
            await self._db.upsert_leads(list(moved.values()))
            await self._db.append_audit(
                [
                    _audit(
                        now, action.actor, "resolve_conflict", conflict, resolved, resolution.reason
                    )
                ]
            )
        self._put_conflict(resolved)
        changes: list[Change] = [
            ConflictsChanged(frozenset({conflict.id})),
            *self._store_leads(moved),
        ]
        if items:
            changes.append(
                EngineRequest(
                    EngineRequestKind.PUSH,
                    conversation_ids=frozenset({conflict.conversation_id}),
                    conflict_ids=frozenset({conflict.id}),
                    outbox_ids=tuple(ids),
                )
            )
        return changes

    async def _escalate_conflict(self, action: EscalateConflict) -> list[Change]:
        conflict = await self._find_conflict(action.conflict_id)
        if conflict.resolution_status is ResolutionStatus.ESCALATED:
            raise ActionRefused(f"conflict {conflict.id} is already escalated")
        if not action.actor.strip():
            raise ActionRefused("an escalation needs to say who escalated it")
        escalated = conflict.model_copy(update={"resolution_status": ResolutionStatus.ESCALATED})
        async with self._db.transaction():
            await self._db.update_conflict(escalated)
            await self._db.append_audit(
                [
                    _audit(
                        self._now(),
                        action.actor,
                        "escalate_conflict",
                        conflict,
                        escalated,
                        action.reason.strip() or None,
                    )
                ]
            )
        self._put_conflict(escalated)
        return [ConflictsChanged(frozenset({conflict.id}))]


def _checked_resolution(conflict: LeadSyncConflict, action: ResolveConflict) -> ConflictResolution:
    """The resolution to record, with `final_value` filled in; refuses what makes no sense."""
    resolution = action.resolution
    if not action.actor.strip():
        raise ActionRefused("a resolution needs to say who decided it")
    if not resolution.reason.strip():
        raise ActionRefused("a resolution needs a reason")
    winner = {
        Resolution.DOMIQ_WINS: ("DomIQ's", conflict.domiq_value),
        Resolution.RESMAN_WINS: ("ResMan's", conflict.resman_value),
    }.get(resolution.resolution)
    if winner is not None:
        side, value = winner
        if resolution.final_value is not None and resolution.final_value != value:
            raise ActionRefused(
                f"{resolution.resolution} writes {side} value {value!r}, not"
                f" {resolution.final_value!r}; choose merged to write another value"
            )
        return resolution.model_copy(update={"final_value": value})
    if resolution.resolution is Resolution.MERGED and resolution.final_value is None:
        raise ActionRefused(f"a merged resolution of {conflict.field} needs a final value")
    return resolution


def _resolution_items(conflict: LeadSyncConflict) -> list[NewOutboxItem]:
    """The writes a resolution needs: the final value to the side(s) that lack it.

    A `duplicate_candidate` is one decision about ResMan (create a prospect, or link
    which one), so any decision but `manual_review` is a single item on the lead's
    DomIQ -> ResMan lane, marked with the conflict type for the sender."""
    assert conflict.resolution is not None
    decision = conflict.resolution.resolution
    directions = {
        Resolution.DOMIQ_WINS: [SyncDirection.DOMIQ_TO_RESMAN],
        Resolution.RESMAN_WINS: [SyncDirection.RESMAN_TO_DOMIQ],
        Resolution.MERGED: [SyncDirection.DOMIQ_TO_RESMAN, SyncDirection.RESMAN_TO_DOMIQ],
        Resolution.MANUAL_REVIEW: [],
    }[decision]
    conflict_type: ConflictType | None = None
    if conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE:
        directions = directions and [SyncDirection.DOMIQ_TO_RESMAN]
        conflict_type = conflict.conflict_type
    return [
        NewOutboxItem(
            conversation_id=conflict.conversation_id,
            direction=direction,
            sync_type=SyncType.RESOLUTION,
            payload=ResolutionWrite(
                conflict_id=conflict.id,
                field=conflict.field,
                value=conflict.resolution.final_value,
                resolution=decision,
                conflict_type=conflict_type,
            ),
            dedupe_key=f"resolution:{conflict.id}:{direction.value}",
        )
        for direction in directions
    ]


def _audit(
    at: datetime,
    actor: str,
    action: str,
    before: LeadSyncConflict,
    after: LeadSyncConflict,
    reason: str | None,
) -> AuditEntry:
    return AuditEntry(
        at=at,
        actor=actor,
        action=action,
        target=before.id,
        before=before.model_dump(mode="json"),
        after=after.model_dump(mode="json"),
        reason=reason,
    )
