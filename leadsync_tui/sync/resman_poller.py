"""ResMan has no push: poll each mapped property for prospects modified since the cursor.

The cursor is ResMan's time, never ours. ResMan's Modified window is tested against
`LastModified` stamps its own clock writes, so a window ending at our "now" misses every
edit when our clock runs ahead, and a local step back made the window end before it
began. So each window is left open at the end, and what it read is complete up to the
`Date` of ResMan's answer (`ModifiedWindow.through`): that is the next cursor. Each
window starts `OVERLAP` before the cursor (an edit committed as ResMan answered, a
`Date` truncated to the second), and what the overlap re-reads unchanged is dropped:
the version of a prospect already applied is not applied again (`applied`).

A cursor ahead of ResMan's time (written from a fast local clock by an older leadsync)
would pass every edit until ResMan's clock caught up: it is noticed, warned about, and
the poll re-reads from `EPOCH` once. A ResMan that sends no `Date` leaves only our
clock: the window then ends at our "now", and the cursor still never goes back.

The poller only reads: the caller stores the returned `window_end` as the cursor in the
same transaction that applies the window (`commit`), so a crash re-reads it and a change
is never skipped. Prospects outside the window are known to be as the snapshot says,
which is what lets a poll read only what changed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from leadsync_tui.clients.mits import Prospect
from leadsync_tui.clients.resman import ModifiedWindow, PropertyMapping, ResmanClient
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Cursor
from leadsync_tui.sync.clock_skew import SkewWatch
from leadsync_tui.sync.journal import Journal

logger = logging.getLogger(__name__)

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""Where the first poll starts: before any prospect ResMan can hold for us."""
OVERLAP = timedelta(seconds=60)
"""Each window starts this much before the last one ended, on ResMan's time."""


@dataclass(frozen=True)
class PolledProspect:
    """A prospect read by the poll, with the DomIQ property it belongs to."""

    prospect: Prospect
    resman_property_id: str
    domiq_property_id: str


@dataclass(frozen=True)
class PollResult:
    """Every prospect modified in the window and not yet applied as it is, by ProspectID."""

    prospects: dict[str, PolledProspect] = field(default_factory=dict)
    window_start: datetime = EPOCH
    window_end: datetime = EPOCH
    """ResMan's time the window is complete up to: the next cursor."""
    first: bool = False
    """No usable cursor: this poll read every prospect of every mapped property."""
    read: dict[str, str] = field(default_factory=dict)
    """The version (`version_of`) of every prospect the window read, dropped ones too."""
    dropped: int = 0
    """Prospects the overlap re-read as already applied."""
    read_at: datetime | None = None
    """When the read began, on our clock, for a read made before the pass (a drift
    scan's); None: the pass began it. A link that moved since may be newer than the read."""


def version_of(prospect: Prospect) -> str:
    """A digest of everything the poll read of a prospect: equal means nothing changed."""
    return hashlib.blake2b(prospect.model_dump_json().encode(), digest_size=16).hexdigest()


class ResmanPoller:
    """Reads the prospects of the mapped properties that changed since the cursor."""

    def __init__(
        self,
        db: Database,
        resman: ResmanClient,
        mapping: PropertyMapping,
        now: Callable[[], datetime],
        journal: Journal | None = None,
    ) -> None:
        self._db = db
        self._resman = resman
        self._mapping = mapping
        self._now = now
        self._skew = SkewWatch(db, journal, now)
        self.applied: dict[str, str] = {}
        """Version of each prospect the last committed window read (what it applied)."""
        self._no_date_warned = False

    def use_mapping(self, mapping: PropertyMapping) -> None:
        """A reloaded property map: the next poll reads its properties."""
        self._mapping = mapping

    async def cursor(self) -> datetime | None:
        value = await self._db.get_cursor(Cursor.RESMAN_MODIFIED_THROUGH)
        return None if value is None else datetime.fromisoformat(value)

    async def poll(self) -> PollResult:
        """One window over every mapped property (all must succeed, or it raises)."""
        cursor = await self.cursor()
        start = EPOCH if cursor is None else max(EPOCH, cursor - OVERLAP)
        windows = await self._read(start)
        end = self._end(windows, cursor or start)
        if cursor is not None and end < cursor:
            logger.warning(
                "the ResMan poll cursor is %.0f s ahead of ResMan's time (set from a fast "
                "clock): reading every prospect again so that no edit is missed",
                (cursor - end).total_seconds(),
            )
            start, cursor = EPOCH, None
            windows = await self._read(start)
            end = max(self._end(windows, start), end)
        await self._skew.note(self._resman.clock.skew())
        return self._result(windows, start, end, first=cursor is None)

    async def commit(self, result: PollResult) -> None:
        """The window is applied: the next poll starts from its end."""
        await self._db.set_cursor(Cursor.RESMAN_MODIFIED_THROUGH, result.window_end.isoformat())
        self.applied = dict(result.read)

    async def _read(self, start: datetime) -> list[tuple[str, str, ModifiedWindow]]:
        targets = [
            (dpid, self._mapping.property_id(dpid)) for dpid in self._mapping.domiq_property_ids
        ]
        windows = await asyncio.gather(
            *(self._resman.search_modified_through(pid, start) for _, pid in targets)
        )
        return [(dpid, pid, w) for (dpid, pid), w in zip(targets, windows, strict=True)]

    def _end(self, windows: list[tuple[str, str, ModifiedWindow]], floor: datetime) -> datetime:
        """The earliest ResMan time any property's window is complete up to; without a
        `Date`, our clock, but never before `floor` (the cursor: it does not go back)."""
        throughs = [w.through for _, _, w in windows]
        known = [t for t in throughs if t is not None]
        if known and len(known) == len(throughs):
            return min(known)
        if not self._no_date_warned:
            self._no_date_warned = True
            logger.warning(
                "ResMan's answers carry no Date header: the poll window follows this "
                "machine's clock, which must then agree with ResMan's"
            )
        return max(self._now(), floor, *known)

    def _result(
        self,
        windows: list[tuple[str, str, ModifiedWindow]],
        start: datetime,
        end: datetime,
        *,
        first: bool,
    ) -> PollResult:
        found: dict[str, PolledProspect] = {}
        read: dict[str, str] = {}
        for dpid, pid, window in windows:
            for prospect in window.prospects:
                version = version_of(prospect)
                read[prospect.prospect_id] = version
                if self.applied.get(prospect.prospect_id) != version:
                    found[prospect.prospect_id] = PolledProspect(prospect, pid, dpid)
        dropped = len(read) - len(found)
        return PollResult(found, start, end, first, read, dropped)
