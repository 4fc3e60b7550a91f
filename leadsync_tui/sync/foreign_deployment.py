"""Another deployment syncing the same DomIQ account: noticed, recorded, and not raced.

Two jump boxes with a store each cannot share a lease, and ResMan has no upsert: two
engines pushing the same leads make a guest card each. The evidence needs no new DomIQ
field: every engine reports `resman_prospect_id` back to DomIQ, so a DomIQ copy of a lead
that moves, while this engine watches, to a prospect that is neither this store's link
for it nor what this store reports for it was written by someone else. A lead this store
has no link for yet is an adoption (an older deployment synced it), never evidence; nor
is a value DomIQ already held when this engine first read it (a report of ours may be
still queued). Evidence is read from every pull and drift read (the live feed does not
feed it yet), so it is seen within a poll interval of the other deployment's report.

On evidence the state is kept in the `engine.foreign` cursor (so a restart does not
forget it); while it is set the outbox worker claims nothing and no walk-in is copied to
DomIQ, `leadsync status` reports it, and the alert fires. A person clears it with
`leadsync sync --headless --retry-failed` once one store is shared (see README).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from leadsync_tui.models import Lead, format_utc
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Link
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.lead_status import DomiqView

logger = logging.getLogger(__name__)

FOREIGN_CURSOR = "engine.foreign"
"""JSON `{active, at, leads, count}`: whether another deployment was noticed (ids only)."""
EVENT = "another_deployment"
CLEARED_EVENT = "another_deployment_cleared"
MESSAGE = (
    "another leadsync is syncing this DomIQ account from elsewhere; "
    "share one PostgreSQL store, see README"
)
CLEAR_HINT = (
    "once one store is shared, stop this engine and clear it with "
    "`leadsync sync --headless --retry-failed`"
)
ERROR_BAR = f"{MESSAGE}; sending stopped: {CLEAR_HINT}"
"""What the TUI's error bar says while the state is set."""
SHOWN = 10
"""Lead ids named in the event and the cursor (the count says how many in all)."""


def disagreements(
    leads: Mapping[str, Lead], links: Mapping[str, Link], view: DomiqView
) -> list[str]:
    """Leads whose DomIQ copy moved to a prospect this store neither links nor reported.

    `leads` are this store's copies (their `resman_prospect_id` is what we report);
    `view` holds what DomIQ said. No link here: an adoption, not evidence; a value DomIQ
    held before this engine read it, unchanged since: not news (see `moved_to`)."""
    found = []
    for cid, lead in leads.items():
        link = links.get(cid)
        theirs = view.moved_to(cid)
        if link is None or theirs is None:
            continue
        if theirs not in (link.prospect_id, lead.resman_prospect_id):
            found.append(cid)
    return sorted(found)


def problem_line(state: Mapping[str, Any] | None) -> str | None:
    """The `status` line while the state is set (None otherwise)."""
    if not state or not state.get("active"):
        return None
    leads = ", ".join(str(cid) for cid in state.get("leads") or [])
    return f"{MESSAGE} (since {state.get('at')}; leads {leads}); sending stopped: {CLEAR_HINT}"


async def recorded_stop(db: Database) -> bool:
    """Whether the store records a stop for another deployment: a watching window shows
    the holder's stop in its own error bar."""
    return bool((await _recorded_state(db)).get("active"))


async def _recorded_state(db: Database) -> dict[str, Any]:
    return await db.get_json_cursor(FOREIGN_CURSOR) or {}


class ForeignDeployment:
    """Whether another deployment was noticed; while it was, nothing is sent."""

    def __init__(
        self,
        db: Database,
        journal: Journal,
        now: Callable[[], datetime],
        store: LeadSyncStore | None = None,
    ) -> None:
        """`store`: the window's error bar says it (the TUI runs the engine in-process)."""
        self._db = db
        self._store = store
        self._journal = journal
        self._now = now
        self.active = False

    async def load(self) -> bool:
        """Read the recorded state (at the start of a run): a restart keeps the stop."""
        state = await self._recorded()
        self.active = bool(state.get("active"))
        if self.active:
            self._journal.emit(EVENT, message=MESSAGE, leads=state.get("leads"), again=True)
            await self._show(ERROR_BAR)
        return self.active

    async def notice(self, conversation_ids: list[str]) -> None:
        """Evidence: stop sending, record it, say so (once)."""
        if not conversation_ids or self.active:
            return
        self.active = True
        shown = conversation_ids[:SHOWN]
        state = {
            "active": True,
            "at": format_utc(self._now()),
            "leads": shown,
            "count": len(conversation_ids),
        }
        await self._db.set_cursor(FOREIGN_CURSOR, json.dumps(state))
        logger.error("%s (%d leads, e.g. %s)", MESSAGE, len(conversation_ids), shown[0])
        await self._show(ERROR_BAR)
        self._journal.emit(EVENT, message=MESSAGE, leads=shown, count=len(conversation_ids))

    async def clear(self, actor: str = "operator") -> bool:
        """A person says one store is shared now: sending may resume. True if it was set."""
        was = self.active or bool((await self._recorded()).get("active"))
        if was:
            state = {"active": False, "at": format_utc(self._now()), "cleared_by": actor}
            await self._db.set_cursor(FOREIGN_CURSOR, json.dumps(state))
            self._journal.emit(CLEARED_EVENT, actor=actor)
            await self._show(None)
        self.active = False
        return was

    async def _recorded(self) -> dict[str, Any]:
        return await _recorded_state(self._db)

    async def _show(self, text: str | None) -> None:
        if self._store is not None:
            await self._store.set_error(text)
