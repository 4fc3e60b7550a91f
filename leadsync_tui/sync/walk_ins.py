"""ResMan-only prospects (walk-ins, calls, other sources) become DomIQ leads, then links.

The DomIQ create carries `Idempotency-Key: <ProspectID>`, so a create whose answer was
lost, or whose link never got stored (a crash in between), returns the same lead when
it is tried again: a prospect is never copied into DomIQ twice. The new lead starts from
the prospect's values, so ResMan is its author: the first merge takes the lead as the
base and carries what DomIQ could not take at create time (a lost prospect becomes a
disqualified lead) as a normal outbox write.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import DuplicateRecord, SyncError
from leadsync_tui.models import (
    AttemptStatus,
    Lead,
    LeadData,
    LeadSource,
    SyncDirection,
    SyncStatus,
    SyncType,
)
from leadsync_tui.store.actions import LogsAppended, MergeLeads
from leadsync_tui.store.db import Database, DuplicateLink
from leadsync_tui.store.records import Link
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.conflict_recorder import ConflictRecorder
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.lead_status import LeadStatus
from leadsync_tui.sync.mapping import duplicate_matches, lead_to_fields, prospect_to_fields
from leadsync_tui.sync.plan import plan_items, plan_pair, valid_only
from leadsync_tui.sync.resman_poller import PolledProspect
from leadsync_tui.sync.send_outcome import Sent


def lead_data(fields: Mapping[str, Any], domiq_property_id: str) -> LeadData | None:
    """A DomIQ create body from a prospect's normalised fields (None without a name)."""
    values = valid_only(fields)
    if not values.get("first_name") or not values.get("last_name"):
        return None
    return LeadData(
        property_id=domiq_property_id,
        first_name=values["first_name"],
        last_name=values["last_name"],
        email=values.get("email"),
        phone=values.get("phone"),
        desired_move_in=values.get("desired_move_in"),
        desired_bedrooms=values.get("desired_bedrooms"),
        desired_bathrooms=values.get("desired_bathrooms"),
        max_rent=values.get("max_rent"),
        pets=values.get("pets"),
        source=LeadSource.ADMIN,
        notes=values.get("notes"),
    )


class WalkInImporter:
    """Creates and links a DomIQ lead for each ResMan-only prospect it is given."""

    def __init__(
        self,
        *,
        store: LeadSyncStore,
        db: Database,
        domiq: DomiqClient,
        status: LeadStatus,
        recorder: ConflictRecorder,
        journal: Journal,
        lock: asyncio.Lock,
        concurrency: int,
        now: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._db = db
        self._domiq = domiq
        self._status = status
        self._recorder = recorder
        self._journal = journal
        self._lock = lock
        self._concurrency = concurrency
        self._now = now

    def set_concurrency(self, concurrency: int) -> None:
        """A reloaded `[sync] concurrency`, for the next import."""
        self._concurrency = concurrency

    async def import_all(self, prospects: list[PolledProspect]) -> tuple[int, int]:
        """(leads created and linked, prospects that failed and must be polled again)."""
        gate = asyncio.Semaphore(self._concurrency)

        async def one(polled: PolledProspect) -> bool | None:
            async with gate:
                return await self.import_one(polled)

        results = await asyncio.gather(*(one(p) for p in prospects))
        return sum(1 for r in results if r), sum(1 for r in results if r is False)

    async def import_one(self, polled: PolledProspect) -> bool | None:
        """True when linked, None when it cannot be imported (no name), False on failure."""
        prospect = polled.prospect
        fields = prospect_to_fields(prospect)
        data = lead_data(fields, polled.domiq_property_id)
        if data is None:
            self._journal.emit(
                "walk_in_skipped", prospect_id=prospect.prospect_id, reason="no first/last name"
            )
            return None
        started = time.perf_counter()
        try:
            lead: Lead | None = await self._domiq.create_lead(data, prospect.prospect_id)
        except DuplicateRecord:
            lead = self._created_before(fields)  # the key was used, the prospect has moved since
            if lead is None:
                self._failed(prospect.prospect_id, "the DomIQ lead made for it cannot be found")
                return False
        except SyncError as exc:
            self._failed(prospect.prospect_id, exc.message)
            return False
        assert lead is not None
        self._status.view.seen(lead)
        latency = (time.perf_counter() - started) * 1000
        return await self._link(lead, polled, fields, latency)

    async def _link(
        self, lead: Lead, polled: PolledProspect, fields: dict[str, Any], latency_ms: float
    ) -> bool:
        cid = lead.conversation_id
        prospect = polled.prospect
        async with self._lock:
            await self._store.dispatch(MergeLeads([lead]))
            if await self._db.get_link(cid) is not None:
                return True
            await self._status.set(cid, SyncStatus.SYNCING, prospect_id=prospect.prospect_id)
            d = lead_to_fields(lead)
            plan = plan_pair(valid_only(d), d, fields)
            link = Link(
                conversation_id=cid,
                prospect_id=prospect.prospect_id,
                person_id=prospect.person_id,
                property_id=polled.resman_property_id,
                snapshot=plan.snapshot,
                agreed_at=self._now(),
            )
            log = self._journal.attempt(
                cid,
                SyncDirection.RESMAN_TO_DOMIQ,
                SyncType.CREATE,
                AttemptStatus.SUCCESS,
                latency_ms=latency_ms,
                outcome=Sent.CREATED,
            )
            found = self._recorder.detect(cid, plan.result.conflicts)
            try:
                async with self._db.transaction():  # the conflicts land with the link
                    await self._db.upsert_link(link)
                    await self._db.enqueue(plan_items(cid, lead.version, plan))
                    await self._db.append_logs([log])
                    await self._recorder.write(found)
            except DuplicateLink:
                return True  # another lead took this prospect meanwhile
            await self._store.dispatch(LogsAppended([log]))
            await self._recorder.publish(found)
            await self._status.settle(cid)
        return True

    def _created_before(self, fields: Mapping[str, Any]) -> Lead | None:
        """The unlinked lead we made for this prospect when it looked different."""
        found = [
            lead
            for lead in self._store.state.leads.values()
            if lead.resman_prospect_id is None
            and lead.source is LeadSource.ADMIN
            and "name" in duplicate_matches(lead_to_fields(lead), fields)
        ]
        return found[0] if len(found) == 1 else None

    def _failed(self, prospect_id: str, error: str) -> None:
        self._journal.emit("walk_in_failed", prospect_id=prospect_id, error=error)
