"""Sends one outbox item to the other side and says what to commit when it is confirmed.

The sender only talks to the network and reads; it never writes the database. It returns
an `Outcome` (`send_outcome`: the link and snapshot to store, follow-up items, conflicts
found, the DomIQ lead as DomIQ now holds it) which the worker commits in one transaction
with the item's completion and its log row. Every path is safe to run twice, because a
crash may come after the write and before the commit. `Sender` only dispatches on the
item's typed payload; each kind of write, and why it is safe to repeat, is in its module:
- `send_links`: a push, a first link, a resync; search before create, adopt or ask;
- `send_resman`: DomIQ's field changes to a linked prospect, read and merged first;
- `send_domiq`: ResMan's field changes to DomIQ, checked against both sides first;
- `send_resolution`: a person's decision (a value, or who a duplicate is);
- a status report to DomIQ is one call, here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import SyncError
from leadsync_tui.clients.resman import PropertyMapping, ResmanClient
from leadsync_tui.config import ResmanSettings
from leadsync_tui.models import SyncDirection, SyncType
from leadsync_tui.store.db import Database
from leadsync_tui.store.payloads import (
    FieldWrite,
    LinkWrite,
    ResolutionWrite,
    Resync,
    StatusReport,
)
from leadsync_tui.store.records import OutboxItem
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.lead_status import DomiqView
from leadsync_tui.sync.send_domiq import DomiqWrites
from leadsync_tui.sync.send_links import LinkWrites
from leadsync_tui.sync.send_outcome import Outcome, Sent
from leadsync_tui.sync.send_reads import SendParts, SendReads
from leadsync_tui.sync.send_resman import ResmanWrites
from leadsync_tui.sync.send_resolution import ResolutionWrites

__all__ = ["Outcome", "Sender", "Sent"]


class Sender(SendReads):
    """Knows how to deliver each kind of outbox item (see `plan` for the payloads)."""

    def __init__(
        self,
        *,
        store: LeadSyncStore,
        db: Database,
        domiq: DomiqClient,
        resman: ResmanClient,
        resman_settings: ResmanSettings,
        view: DomiqView,
        now: Callable[[], datetime],
    ) -> None:
        parts = SendParts(
            store=store,
            db=db,
            domiq=domiq,
            resman=resman,
            settings=resman_settings,
            mapping=PropertyMapping.from_settings(resman_settings),
            view=view,
            now=now,
        )
        super().__init__(parts)
        self._links = LinkWrites(parts)
        self._to_resman = ResmanWrites(parts)
        self._to_domiq = DomiqWrites(parts)
        self._resolutions = ResolutionWrites(
            parts, links=self._links, to_resman=self._to_resman, to_domiq=self._to_domiq
        )

    def use_properties(self, resman_settings: ResmanSettings) -> None:
        """A reloaded `[resman.properties]` map, for the items sent from now on."""
        self._parts.use_properties(resman_settings)

    async def send(self, item: OutboxItem) -> Outcome:
        to_resman = item.direction is SyncDirection.DOMIQ_TO_RESMAN
        match item.payload:
            case ResolutionWrite() as decided:
                return await self._resolutions.write(item, decided)
            case StatusReport():
                return await self._report(item)
            case FieldWrite() as write if to_resman:
                return await self._to_resman.fields_to_resman(item, write)
            case FieldWrite() as write:
                return await self._to_domiq.fields_to_domiq(item, write)
            case LinkWrite() | Resync() if to_resman:
                return await self._links.sync_lead(item)
        raise SyncError(f"outbox item {item.id} has a payload this engine cannot send")

    async def _report(self, item: OutboxItem) -> Outcome:
        lead = await self._lead(item.conversation_id)
        answer = await self._domiq.report_sync(
            lead.conversation_id,
            lead.resman_sync_status,
            lead.resman_prospect_id,
            lead.last_sync_at,
        )
        self._view.seen(answer)
        return Outcome(SyncType.STATUS, Sent.REPORTED)
