"""Lead actions: fetch, merge (DomIQ or ResMan), status updates, push and retry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadsync_tui.models import Lead, SyncDirection, SyncStatus, SyncType
from leadsync_tui.store.actions import MergeOrigin, PushLead, RetryFailed, UpdateLeadStatus
from leadsync_tui.store.changes import Change, EngineRequest, EngineRequestKind, LeadsChanged
from leadsync_tui.store.lead_objects import copied_lead as _copied
from leadsync_tui.store.payloads import LinkWrite
from leadsync_tui.store.records import AuditEntry, NewOutboxItem
from leadsync_tui.store.store_state import ActionRefused, StoreState


class LeadActions(StoreState):
    """What changes leads, persisted first, then put in the state."""

    # ----------------------------------------------------------------- leads

    async def _fetch_leads(self) -> list[Change]:
        leads = await self._db.load_leads()
        before = self._state.leads.keys()
        self._state.leads = {lead.conversation_id: lead for lead in leads}
        keys = frozenset(before) | frozenset(self._state.leads)
        return [LeadsChanged(keys)] if keys else []

    async def _apply_leads(self, leads: Iterable[Lead], origin: MergeOrigin) -> list[Change]:
        changed = self._merged(leads, origin)
        await self._db.upsert_leads(list(changed.values()))
        return self._store_leads(changed)

    def _merged(self, leads: Iterable[Lead], origin: MergeOrigin) -> dict[str, Lead]:
        """The leads that really change, by key, in input order (later copies win)."""
        changed: dict[str, Lead] = {}
        for incoming in leads:
            key = incoming.conversation_id
            held = changed[key] if key in changed else self._state.leads.get(key)
            lead = self._merge_one(held, incoming, origin)
            if lead is not None:
                changed[key] = lead
        return changed

    def _merge_one(self, held: Lead | None, incoming: Lead, origin: MergeOrigin) -> Lead | None:
        if held is not None and incoming.version < held.version:
            return None  # stale: an older copy arriving late
        lead = incoming
        if (
            held is not None
            and origin is MergeOrigin.DOMIQ
            and not (held.resman_prospect_id is None and incoming.resman_prospect_id)
        ):
            lead = _copied(
                lead,
                {
                    "resman_sync_status": held.resman_sync_status,
                    "resman_prospect_id": held.resman_prospect_id,
                    "last_sync_at": held.last_sync_at,
                },
            )
        lead = self._with_conflict_status(lead)
        return None if lead == held else lead

    def _with_conflict_status(self, lead: Lead) -> Lead:
        """A lead with an open conflict shows `conflict`, whatever else is reported."""
        if self._open_by_lead.get(lead.conversation_id) and lead.resman_sync_status != (
            SyncStatus.CONFLICT
        ):
            return lead.model_copy(update={"resman_sync_status": SyncStatus.CONFLICT})
        return lead

    def _held_lead(self, conversation_id: str) -> Lead:
        lead = self._state.leads.get(conversation_id)
        if lead is None:
            raise ActionRefused(f"lead {conversation_id} is not known here")
        return lead

    async def _update_lead_status(self, action: UpdateLeadStatus) -> list[Change]:
        held = self._held_lead(action.conversation_id)
        update: dict[str, Any] = {"resman_sync_status": action.status}
        if action.prospect_id is not None:
            update["resman_prospect_id"] = action.prospect_id
        if action.status is SyncStatus.SYNCED:
            update["last_sync_at"] = (action.at or self._now()).replace(microsecond=0)
        lead = self._with_conflict_status(held.model_copy(update=update))
        if lead == held:
            return []
        await self._db.upsert_leads([lead])
        return self._store_leads({lead.conversation_id: lead})

    def _leads_moving(self, keys: Iterable[str], status: SyncStatus) -> dict[str, Lead]:
        """Held leads of `keys` moved to `status`, except those an open conflict holds."""
        moved: dict[str, Lead] = {}
        for key in keys:
            held = self._state.leads.get(key)
            if held is None or held.resman_sync_status == status:
                continue
            lead = self._with_conflict_status(
                held.model_copy(update={"resman_sync_status": status})
            )
            if lead != held:
                moved[key] = lead
        return moved

    async def _push_lead(self, action: PushLead) -> list[Change]:
        lead = self._held_lead(action.conversation_id)
        item = NewOutboxItem(
            conversation_id=lead.conversation_id,
            direction=SyncDirection.DOMIQ_TO_RESMAN,
            sync_type=SyncType.UPDATE if lead.resman_prospect_id else SyncType.CREATE,
            payload=LinkWrite(version=lead.version),
            dedupe_key=f"push:{lead.conversation_id}:v{lead.version}",
        )
        moved = self._leads_moving([lead.conversation_id], SyncStatus.SYNCING)
        status_after = moved.get(lead.conversation_id, lead).resman_sync_status
        async with self._db.transaction():
            ids = await self._db.enqueue([item])
            await self._db.retry_failed(ids)  # a parked push of this version goes again
            await self._db.upsert_leads(list(moved.values()))
            await self._db.append_audit(
                [
                    AuditEntry(
                        at=self._now(),
                        actor=action.actor,
                        action="push_lead",
                        target=lead.conversation_id,
                        before={"resman_sync_status": lead.resman_sync_status.value},
                        after={"resman_sync_status": status_after.value, "outbox_id": ids[0]},
                    )
                ]
            )
        return [
            *self._store_leads(moved),
            EngineRequest(
                EngineRequestKind.PUSH,
                conversation_ids=frozenset({lead.conversation_id}),
                outbox_ids=tuple(ids),
            ),
        ]

    async def _retry_failed(self, action: RetryFailed) -> list[Change]:
        async with self._db.transaction():
            items = await self._db.retry_failed(action.outbox_ids)
            if not items:
                return []
            moved = self._leads_moving({item.conversation_id for item in items}, SyncStatus.SYNCING)
            await self._db.upsert_leads(list(moved.values()))
            # One entry a lead, so each lead's screen shows who retried it and when.
            by_lead: dict[str, list[int]] = {}
            for item in items:
                by_lead.setdefault(item.conversation_id, []).append(item.id)
            await self._db.append_audit(
                [
                    AuditEntry(
                        at=self._now(),
                        actor=action.actor,
                        action="retry_failed",
                        target=conversation_id,
                        before={"status": SyncStatus.FAILED.value},
                        after={"outbox_ids": ids},
                    )
                    for conversation_id, ids in by_lead.items()
                ]
            )
        return [
            *self._store_leads(moved),
            EngineRequest(
                EngineRequestKind.RETRY,
                conversation_ids=frozenset(item.conversation_id for item in items),
                outbox_ids=tuple(item.id for item in items),
            ),
        ]
