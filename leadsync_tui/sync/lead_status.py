"""A lead's `resman_sync_status`, here and in DomIQ.

Here: `not_synced -> syncing -> synced | failed | conflict`, dispatched to the store (which
keeps `conflict` while a conflict is open). In DomIQ: the `resman-sync` report, sent
through the outbox only when DomIQ's copy says something else than ours, which is known
from what DomIQ answered last (`DomiqView`): a quiet pass reports nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from leadsync_tui.models import Lead, SyncStatus
from leadsync_tui.store.actions import UpdateLeadStatus
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.plan import report_item

SETTLED = frozenset({SyncStatus.SYNCED, SyncStatus.FAILED, SyncStatus.CONFLICT})
"""Statuses worth telling DomIQ (plus `not_synced` when DomIQ thinks otherwise)."""


class DomiqView:
    """What DomIQ last said about each lead's sync: (status, prospect id)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[SyncStatus, str | None]] = {}
        self._moved: dict[str, str] = {}

    def seen(self, lead: Lead) -> None:
        """Remember DomIQ's own copy (a pull, or the answer to one of our writes)."""
        cid, named = lead.conversation_id, lead.resman_prospect_id
        before = self._seen.get(cid)
        if before is not None and named is not None and before[1] != named:
            self._moved[cid] = named
        self._seen[cid] = (lead.resman_sync_status, named)

    def moved_to(self, conversation_id: str) -> str | None:
        """The prospect DomIQ named for this lead since this engine first read it, when
        that changed while it watched (None: unchanged). A value DomIQ already held at
        the first read is not news (it may predate a link this store made since)."""
        return self._moved.get(conversation_id)

    def differs(self, ours: Lead) -> bool:
        """Whether DomIQ should be told where `ours` stands. Transient states are not
        reported; a lead DomIQ never described counts as `not_synced` there."""
        if ours.resman_sync_status is SyncStatus.SYNCING:
            return False
        theirs = self._seen.get(ours.conversation_id, (SyncStatus.NOT_SYNCED, None))
        return theirs != (ours.resman_sync_status, ours.resman_prospect_id)


class LeadStatus:
    """Moves leads' statuses in the store and queues the reports DomIQ needs."""

    def __init__(
        self,
        store: LeadSyncStore,
        db: Database,
        journal: Journal,
        view: DomiqView,
        now: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._db = db
        self._journal = journal
        self.view = view
        self._now = now

    def current(self, conversation_id: str) -> Lead | None:
        return self._store.state.leads.get(conversation_id)

    async def set(
        self, conversation_id: str, status: SyncStatus, *, prospect_id: str | None = None
    ) -> None:
        """Dispatch the new status (outside any transaction) and announce real changes."""
        held = self.current(conversation_id)
        if held is None:
            return
        at = self._now() if status is SyncStatus.SYNCED else None
        await self._store.dispatch(UpdateLeadStatus(conversation_id, status, prospect_id, at))
        after = self.current(conversation_id)
        if after is not None:
            self._journal.status(conversation_id, held.resman_sync_status, after.resman_sync_status)

    async def settle(self, conversation_id: str, *, report: bool = True) -> bool:
        """After a lead's outbox item is done: `synced` (or `not_synced` without a prospect)
        once nothing of it is queued, and a report when DomIQ's copy differs.
        Returns True when a report was queued."""
        if await self._db.outbox_items(conversation_id=conversation_id, limit=1):
            return False
        link = await self._db.get_link(conversation_id)
        if link is None:
            await self.set(conversation_id, SyncStatus.NOT_SYNCED)
        else:
            await self.set(conversation_id, SyncStatus.SYNCED, prospect_id=link.prospect_id)
        return report and await self.report_if_needed([conversation_id]) > 0

    async def report_if_needed(self, conversation_ids: list[str]) -> int:
        """Queue a report for each of these leads DomIQ holds a stale status of."""
        items = [
            report_item(cid)
            for cid in conversation_ids
            if (lead := self.current(cid)) is not None and self.view.differs(lead)
        ]
        await self._db.enqueue(items)
        return len(items)
