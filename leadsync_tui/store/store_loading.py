"""The progressive load: leads a chunk at a time, and actions meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from pydantic import ValidationError

from leadsync_tui.models import Lead, SyncEvent
from leadsync_tui.store.actions import (
    Action,
    ConflictsDetected,
    HandleMessage,
    HandleMessages,
    MergeLeads,
    PushLead,
    UpdateLeadStatus,
)
from leadsync_tui.store.changes import Change, LeadsChanged, LoadProgress
from leadsync_tui.store.db import FREEZE_MIN, LeadPage
from leadsync_tui.store.store_state import StoreState

LOAD_CHUNK = 10_000
"""Leads per step of `load_leads_progressively`: one `LeadsChanged` and one
`LoadProgress` each (a 10k chunk decodes in ~50 ms, yielding every 1,000 leads)."""


class LeadLoading(StoreState):
    """Loads the leads in chunks while the UI is up; faults in what actions need."""

    # ----------------------------------------------------------------- progressive load

    @property
    def loading_leads(self) -> bool:
        """True from `begin_load()` until `load_leads_progressively()` has every lead."""
        return not self._loaded.is_set()

    @property
    def load_progress(self) -> LoadProgress | None:
        """The last progress of the progressive load (None if there was none)."""
        return self._load_progress

    def begin_load(self) -> None:
        """Say, before it starts, that `load_leads_progressively()` is coming: from now
        `wait_loaded()` waits for it (so an engine started first cannot slip through)."""
        if self._loaded.is_set():
            self._loaded.clear()
            self._load_error = None
            self._load_progress = LoadProgress(0, 0)

    async def wait_loaded(self) -> None:
        """Return once no progressive load is running; raise if the last one failed.

        The sync engine calls this before it starts: it relies on `state.leads`."""
        await self._loaded.wait()
        if self._load_error is not None:
            raise RuntimeError(f"the leads could not be loaded: {self._load_error}")

    async def load_leads_progressively(self, chunk: int = LOAD_CHUNK) -> None:
        """Load every lead in chunks of `chunk`, newest first, notifying as it goes.

        The UI can show the first leads (and take keys) while the rest load: each chunk
        is one `LeadsChanged` (its new leads) and one `LoadProgress`. Actions dispatched
        meanwhile work: the leads they touch are read from the database first (see
        `_fault_in`), and a chunk never replaces a lead the state holds with an older
        or equal version, so a lead changed during the load ends as its newest version.
        """
        self.begin_load()
        try:
            total = await self._db.count_leads()
            freeze = total >= FREEZE_MIN
            self._progress(LoadProgress(0, total))
            page: LeadPage | None = None
            loaded = 0
            while True:
                async with self._lock:
                    leads, page = await self._db.load_leads_page(page, chunk, freeze=freeze)
                    fresh = self._unheld(leads)
                    self._state.leads.update(fresh)
                    loaded += len(leads)
                    progress = LoadProgress(loaded, max(total, loaded), done=page is None)
                    self._load_progress = progress
                    self._notify(
                        (LeadsChanged(frozenset(fresh)), progress) if fresh else (progress,)
                    )
                if page is None:
                    break
                await asyncio.sleep(0)
        except BaseException as exc:
            self._load_error = exc
            raise
        finally:
            self._loaded.set()

    def _progress(self, progress: LoadProgress) -> None:
        self._load_progress = progress
        self._notify((progress,))

    def _unheld(self, leads: Iterable[Lead]) -> dict[str, Lead]:
        """Of a loaded chunk, the leads the state lacks or holds in an older version."""
        held = self._state.leads
        fresh: dict[str, Lead] = {}
        for lead in leads:
            key = lead.conversation_id
            current = held.get(key)
            if current is None or lead.version > current.version:
                fresh[key] = lead
        return fresh

    async def _fault_in(self, action: Action) -> list[Change]:
        """During a progressive load: read the leads `action` names that are not loaded
        yet, so it sees what the database holds (a merge keeps ResMan's fields, a push
        finds its lead) and the table shows them at once."""
        keys = _lead_keys(action)
        missing = [key for key in keys if key not in self._state.leads]
        if not missing:
            return []
        found = await self._db.get_leads(missing)
        self._state.leads.update(found)
        return [LeadsChanged(frozenset(found))] if found else []


def _lead_keys(action: Action) -> set[str]:
    """The leads an action reads from the state by key (as far as the action says)."""
    match action:
        case MergeLeads(leads=leads):
            return {lead.conversation_id for lead in leads}
        case PushLead(conversation_id=key) | UpdateLeadStatus(conversation_id=key):
            return {key}
        case ConflictsDetected(conflicts=conflicts):
            return {conflict.conversation_id for conflict in conflicts}
        case HandleMessage(event=event):
            return _event_keys([event])
        case HandleMessages(events=events):
            return _event_keys(events)
        case _:
            return set()


def _event_keys(events: Iterable[SyncEvent]) -> set[str]:
    keys: set[str] = set()
    for event in events:
        try:
            lead = event.lead()
        except ValidationError:
            continue
        if lead is not None:
            keys.add(lead.conversation_id)
    return keys
