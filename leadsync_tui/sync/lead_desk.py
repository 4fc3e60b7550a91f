"""What the screens ask of DomIQ and ResMan beyond the store, in one object.

The store holds what the sync knows; some screens need more: the ResMan side of a lead
(the lead detail screen compares both systems field by field), a chat transcript, a new
lead created in DomIQ, a conversation qualified. Screens never touch the network
themselves: they call the desk's collaborators from a worker. The desk is built from
the running engine's clients (`from_setup`), or by a test from clients pointed at the
simulators. Each screen's operations live in their own module (`lead_compare`,
`lead_preflight`, `lead_intake`, `conversations`) and take the desk as their first argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.resman import PropertyMapping, ResmanClient
from leadsync_tui.config import Settings
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore


@dataclass(frozen=True)
class LeadDesk:
    """The clients and stores a screen's operation may use (all already open)."""

    settings: Settings
    store: LeadSyncStore
    db: Database
    domiq: DomiqClient
    resman: ResmanClient

    @property
    def mapping(self) -> PropertyMapping:
        """DomIQ property ids to ResMan properties, from the settings."""
        return PropertyMapping.from_settings(self.settings.resman)
