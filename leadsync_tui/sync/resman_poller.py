"""ResMan has no push: poll each mapped property for prospects modified since the cursor.

The window runs from `Cursor.RESMAN_MODIFIED_THROUGH` (minus an overlap for clock skew
between us and ResMan) to now; without a cursor, from `EPOCH`, which reads every prospect
once. The poller only reads: the caller stores the returned `window_end` as the cursor
in the same transaction that applies the window (`commit`), so a crash re-reads it and
a change is never skipped. Prospects outside the window are known to be as the snapshot
says, which is what lets a poll read only what changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from leadsync_tui.clients.mits import Prospect
from leadsync_tui.clients.resman import PropertyMapping, ResmanClient
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Cursor

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""Where the first poll starts: before any prospect ResMan can hold for us."""
OVERLAP = timedelta(seconds=60)
"""Each window starts this much before the last one ended (ResMan's clock may lag)."""


@dataclass(frozen=True)
class PolledProspect:
    """A prospect read by the poll, with the DomIQ property it belongs to."""

    prospect: Prospect
    resman_property_id: str
    domiq_property_id: str


@dataclass(frozen=True)
class PollResult:
    """Every prospect modified in the window, by ProspectID."""

    prospects: dict[str, PolledProspect] = field(default_factory=dict)
    window_start: datetime = EPOCH
    window_end: datetime = EPOCH
    first: bool = False
    """No cursor yet: this poll read every prospect of every mapped property."""


class ResmanPoller:
    """Reads the prospects of the mapped properties that changed since the cursor."""

    def __init__(
        self,
        db: Database,
        resman: ResmanClient,
        mapping: PropertyMapping,
        now: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._resman = resman
        self._mapping = mapping
        self._now = now

    async def window_start(self) -> tuple[datetime, bool]:
        value = await self._db.get_cursor(Cursor.RESMAN_MODIFIED_THROUGH)
        if value is None:
            return EPOCH, True
        return max(EPOCH, datetime.fromisoformat(value) - OVERLAP), False

    async def poll(self) -> PollResult:
        """One window over every mapped property (all must succeed, or it raises)."""
        start, first = await self.window_start()
        end = self._now()
        targets = [
            (dpid, self._mapping.property_id(dpid)) for dpid in self._mapping.domiq_property_ids
        ]
        batches = await asyncio.gather(
            *(self._resman.search_modified(pid, start, end) for _, pid in targets)
        )
        found: dict[str, PolledProspect] = {}
        for (dpid, pid), batch in zip(targets, batches, strict=True):
            for prospect in batch:
                found[prospect.prospect_id] = PolledProspect(prospect, pid, dpid)
        return PollResult(found, start, end, first)

    async def commit(self, result: PollResult) -> None:
        """The window is applied: the next poll starts from its end."""
        await self._db.set_cursor(Cursor.RESMAN_MODIFIED_THROUGH, result.window_end.isoformat())
