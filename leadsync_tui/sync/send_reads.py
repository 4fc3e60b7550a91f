"""What every kind of send starts from: the sender's collaborators and the reads it makes.

Each kind of write (`send_links`, `send_resman`, `send_domiq`, `send_resolution`) is a
`SendReads`: they share one `SendParts`, so a reloaded `[resman.properties]` map
(`Sender.use_properties`) reaches all of them at once, and they read the lead, its link
and the prospect the same way. Nothing here writes, to the network or the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import NotFound
from leadsync_tui.clients.mits import Prospect
from leadsync_tui.clients.resman import PropertyMapping, ResmanClient
from leadsync_tui.config import ResmanSettings
from leadsync_tui.models import Lead
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Link
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.lead_status import DomiqView


@dataclass
class SendParts:
    """The collaborators of a sender, shared by its kinds of write."""

    store: LeadSyncStore
    db: Database
    domiq: DomiqClient
    resman: ResmanClient
    settings: ResmanSettings
    mapping: PropertyMapping
    view: DomiqView
    now: Callable[[], datetime]

    def use_properties(self, resman_settings: ResmanSettings) -> None:
        """A reloaded `[resman.properties]` map, for the items sent from now on."""
        self.settings = resman_settings
        self.mapping = PropertyMapping.from_settings(resman_settings)


class SendReads:
    """The base of each kind of write: its collaborators, and the reads before a write."""

    def __init__(self, parts: SendParts) -> None:
        self._parts = parts

    @property
    def _store(self) -> LeadSyncStore:
        return self._parts.store

    @property
    def _db(self) -> Database:
        return self._parts.db

    @property
    def _domiq(self) -> DomiqClient:
        return self._parts.domiq

    @property
    def _resman(self) -> ResmanClient:
        return self._parts.resman

    @property
    def _settings(self) -> ResmanSettings:
        return self._parts.settings

    @property
    def _mapping(self) -> PropertyMapping:
        return self._parts.mapping

    @property
    def _view(self) -> DomiqView:
        return self._parts.view

    @property
    def _now(self) -> Callable[[], datetime]:
        return self._parts.now

    async def _lead(self, cid: str) -> Lead:
        lead = self._store.state.leads.get(cid) or await self._db.get_lead(cid)
        if lead is None:
            raise NotFound(f"lead {cid} is not in the local store")
        return lead

    async def _link(self, cid: str) -> Link:
        link = await self._db.get_link(cid)
        if link is None:
            raise NotFound(f"lead {cid} has no ResMan prospect linked yet")
        return link

    async def _prospect(self, property_id: str, prospect_id: str) -> Prospect | None:
        found = await self._resman.search_prospects(property_id, prospect_id=prospect_id)
        wanted = prospect_id.strip("{}").lower()
        return next((p for p in found if p.prospect_id.strip("{}").lower() == wanted), None)

    async def _changed_since(self, property_id: str, prospect_id: str, since: datetime) -> bool:
        found = await self._resman.search_prospects(
            property_id, prospect_id=prospect_id, modified_start=since
        )
        return bool(found)

    def _open_fields(self, cid: str) -> frozenset[str]:
        return frozenset(c.field for c in self._store.open_conflicts_for(cid))
