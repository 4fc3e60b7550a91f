"""One reconcile pass: read both sides, pair leads with prospects, queue what must move.

Which records sync:
- a linked pair: merged field by field against its snapshot; the ResMan side is the
  polled prospect, or the snapshot itself when ResMan did not change it since the cursor;
- an unlinked DomIQ lead that is qualified, or that DomIQ (or a prospect's marker) says
  already has a prospect: a link item, which creates, adopts or links when it is sent;
  unless several prospects matched it and a person has yet to pick one (an open
  `duplicate_candidate` conflict): then it waits for the resolution;
- a ResMan prospect no lead claims: a DomIQ lead is made for it (`walk_ins`), unless an
  unlinked qualified lead looks like the same person (that lead's create adopts it).

A lead with anything in the outbox is busy and left alone until its lane is free, so a
plan never races a write in flight; a ResMan change to a busy lead is kept as a resync
item, because the poll cursor moves on. So is a lead whose link moved after the ResMan
read began (a write of ours completed while the pass was reading): what was read may
predate that write, and merged against the moved snapshot it would look like a ResMan
change and undo the newer value. The cursor moves only when the whole window was
applied. Network reads happen before the engine's lock is taken; planning and queueing
happen under it, in one transaction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.resman import PropertyMapping
from leadsync_tui.config import PolicySettings
from leadsync_tui.models import ConflictType, Lead, SyncStatus
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Link, NewOutboxItem
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.conflict_recorder import ConflictRecorder
from leadsync_tui.sync.foreign_deployment import ForeignDeployment, disagreements
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.lead_status import LeadStatus
from leadsync_tui.sync.mapping import lead_to_fields, prospect_to_fields
from leadsync_tui.sync.merge import FieldConflict
from leadsync_tui.sync.plan import (
    created_for,
    link_item,
    plan_items,
    plan_pair,
    resync_item,
    valid_only,
    wants_prospect,
)
from leadsync_tui.sync.resman_poller import PolledProspect, PollResult, ResmanPoller
from leadsync_tui.sync.walk_ins import WalkInImporter

PULL_PAGE = 500


@dataclass
class ReconcileReport:
    """What one pass found and queued."""

    leads: int = 0
    prospects: int = 0
    """Prospects read by the poll (all of them on a first poll)."""
    queued: int = 0
    """Outbox items planned (writes, links, resyncs and status reports)."""
    conflicts: int = 0
    walk_ins: int = 0
    """DomIQ leads created for ResMan-only prospects."""
    walk_in_failures: int = 0
    deferred: int = 0
    """ResMan-only prospects left for a lead that may adopt them (cursor held back)."""
    busy: int = 0
    """Leads skipped because they still have outbox items."""

    @property
    def quiet(self) -> bool:
        """Nothing new was found: a further pass would change nothing."""
        return not (self.queued or self.walk_ins or self.conflicts or self.deferred)


@dataclass
class _Work:
    links: list[Link] = field(default_factory=list)
    items: list[NewOutboxItem] = field(default_factory=list)
    syncing: dict[str, str | None] = field(default_factory=dict)
    settled: dict[str, str | None] = field(default_factory=dict)
    """Leads that need nothing: their status is made right (synced / not_synced)."""
    conflicts: dict[str, list[FieldConflict]] = field(default_factory=dict)
    reportable: list[str] = field(default_factory=list)
    walk_ins: list[PolledProspect] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    """Leads whose DomIQ copy names a prospect another deployment reported."""


def drifted(snapshot: Mapping[str, Any], resman: Mapping[str, Any]) -> bool:
    """Whether ResMan holds something else than what was agreed."""
    return any(name in resman and resman[name] != value for name, value in snapshot.items())


class Reconciler:
    """Reads DomIQ and ResMan and turns differences into outbox items and conflicts."""

    def __init__(
        self,
        *,
        store: LeadSyncStore,
        db: Database,
        domiq: DomiqClient,
        poller: ResmanPoller,
        importer: WalkInImporter,
        recorder: ConflictRecorder,
        status: LeadStatus,
        journal: Journal,
        lock: asyncio.Lock,
        now: Callable[[], datetime],
        foreign: ForeignDeployment | None = None,
    ) -> None:
        self._store = store
        self._db = db
        self._domiq = domiq
        self._poller = poller
        self._importer = importer
        self._recorder = recorder
        self._status = status
        self._journal = journal
        self._lock = lock
        self._now = now
        self.foreign = foreign or ForeignDeployment(db, journal, now, store)
        """Another deployment noticed: nothing is sent (see `foreign_deployment`)."""

    def reconfigure(
        self, mapping: PropertyMapping, policy: PolicySettings, concurrency: int
    ) -> None:
        """Reloaded settings (SIGHUP) for the next pass: the properties polled, the
        conflict policy (shared with the outbox worker), the walk-in import width."""
        self._poller.use_mapping(mapping)
        self._recorder.use_policy(policy)
        self._importer.set_concurrency(concurrency)

    async def pull_domiq(self) -> int:
        """Every DomIQ lead into the store; DomIQ's own sync fields into the view."""
        count = 0
        batch: list[Lead] = []
        async for lead in self._domiq.iter_leads(page_size=PULL_PAGE):
            self._status.view.seen(lead)
            batch.append(lead)
            if len(batch) >= PULL_PAGE:
                await self._store.merge_leads(batch)
                count += len(batch)
                batch = []
        if batch:
            await self._store.merge_leads(batch)
            count += len(batch)
        return count

    async def repair(self, leads: Sequence[Lead], read: PollResult) -> ReconcileReport:
        """A drift scan's repair: these freshly read leads and their prospects, planned
        like any pass (the poll cursor is left where it is)."""
        for lead in leads:
            self._status.view.seen(lead)
        await self._store.merge_leads(leads)
        only = {lead.conversation_id for lead in leads}
        return await self.reconcile(pull=False, poll=False, only=only, read=read)

    async def reconcile(
        self,
        *,
        pull: bool = True,
        poll: bool = True,
        only: Set[str] | None = None,
        read: PollResult | None = None,
    ) -> ReconcileReport:
        """One pass. `pull`: read DomIQ first; `poll`: read ResMan's window (else only
        DomIQ-side changes are seen); `only`: these leads (a quick local pass); `read`:
        prospects already read (a drift scan's), used instead of a poll."""
        started = time.perf_counter()
        read_from = read.read_at if read is not None and read.read_at else self._now()
        report = ReconcileReport()
        if pull:
            await self.pull_domiq()
        polled = read if read is not None else await self._poller.poll() if poll else None
        report.prospects = len(polled.prospects) if polled else 0
        await self._recorder.settle_pending()
        async with self._lock:
            work = await self._plan(polled, only, report, read_from)
            await self.foreign.notice(work.foreign)
            found = [
                self._recorder.detect(cid, conflicts) for cid, conflicts in work.conflicts.items()
            ]
            async with self._db.transaction():  # the conflicts land with the links they found
                await self._db.upsert_links(work.links)
                await self._db.enqueue(work.items)
                for detected in found:
                    await self._recorder.write(detected)
            report.queued = len(work.items)
            for detected in found:
                report.conflicts += len(detected.conflicts)
                await self._recorder.publish(detected)
            for cid, prospect_id in work.syncing.items():
                await self._status.set(cid, SyncStatus.SYNCING, prospect_id=prospect_id)
            for cid, prospect_id in work.settled.items():
                status = SyncStatus.SYNCED if prospect_id else SyncStatus.NOT_SYNCED
                await self._status.set(cid, status, prospect_id=prospect_id)
            report.queued += await self._status.report_if_needed(work.reportable)
        if polled is not None and not self.foreign.active:  # walk-ins write to DomIQ
            created, failed = await self._importer.import_all(work.walk_ins)
            report.walk_ins, report.walk_in_failures = created, failed
            if read is None and not failed and not report.deferred:
                await self._poller.commit(polled)
        if pull or poll or not report.quiet:  # quiet local passes are not news
            self._journal.emit(
                "reconcile",
                leads=report.leads,
                prospects_polled=report.prospects if polled else None,
                queued=report.queued,
                conflicts=report.conflicts,
                walk_ins=report.walk_ins,
                walk_in_failures=report.walk_in_failures or None,
                deferred=report.deferred or None,
                busy=report.busy,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
        return report

    async def _plan(
        self,
        polled: PollResult | None,
        only: Set[str] | None,
        report: ReconcileReport,
        read_from: datetime,
    ) -> _Work:
        everyone = dict(self._store.state.leads)
        leads = everyone if only is None else {c: everyone[c] for c in only if c in everyone}
        report.leads = len(leads)
        links = await self._db.get_links(list(leads))
        work = _Work(foreign=disagreements(leads, links, self._status.view))
        busy = {item.conversation_id for item in await self._db.outbox_items(limit=10_000_000)}
        prospects = polled.prospects if polled else {}
        claims = {
            owner: pid
            for pid, p in prospects.items()
            if (owner := created_for(p.prospect)) is not None and owner in everyone
        }
        for cid, lead in leads.items():
            link = links.get(cid)
            read_early = (
                link is not None and link.prospect_id in prospects and link.agreed_at > read_from
            )
            if cid in busy or read_early:
                if cid in busy:
                    report.busy += 1
                polled_one = prospects.get(link.prospect_id) if link else None
                if link and polled_one:
                    resman = valid_only(prospect_to_fields(polled_one.prospect))
                    if drifted(link.snapshot, resman):
                        work.items.append(resync_item(lead, resman))
                continue
            if link is not None:
                self._plan_linked(lead, link, prospects.get(link.prospect_id), work)
            elif cid not in claims and self._undecided(cid):
                work.reportable.append(cid)  # a person picks its prospect; see `_undecided`
            elif lead.resman_prospect_id or cid in claims or wants_prospect(lead):
                work.items.append(link_item(lead))
                work.syncing[cid] = None
            else:
                if lead.resman_sync_status is not SyncStatus.NOT_SYNCED:
                    work.settled[cid] = None
                work.reportable.append(cid)
        if polled is not None:
            work.walk_ins = await self._walk_ins(prospects, everyone, report)
        return work

    def _undecided(self, cid: str) -> bool:
        """An unlinked lead with an open `duplicate_candidate`: several prospects could
        be it, or one another conversation holds (even the one it names in DomIQ), so
        nothing is created or linked (nor searched again every pass) until a person
        resolves the conflict, whose resolution queues the work."""
        return any(
            c.conflict_type is ConflictType.DUPLICATE_CANDIDATE
            for c in self._store.open_conflicts_for(cid)
        )

    def _plan_linked(
        self, lead: Lead, link: Link, polled: PolledProspect | None, work: _Work
    ) -> None:
        cid = lead.conversation_id
        resman = prospect_to_fields(polled.prospect) if polled else dict(link.snapshot)
        open_fields = frozenset(c.field for c in self._store.open_conflicts_for(cid))
        plan = plan_pair(link.snapshot, lead_to_fields(lead), resman, open_fields=open_fields)
        if plan.snapshot != link.snapshot:
            work.links.append(
                link.model_copy(update={"snapshot": plan.snapshot, "agreed_at": self._now()})
            )
        items = plan_items(cid, lead.version, plan)
        if plan.result.conflicts:
            work.conflicts[cid] = list(plan.result.conflicts)
        if items:
            work.items += items
            work.syncing[cid] = link.prospect_id
            return
        stale = lead.resman_sync_status not in (SyncStatus.SYNCED, SyncStatus.CONFLICT)
        if not plan.result.conflicts and (stale or lead.resman_prospect_id != link.prospect_id):
            work.settled[cid] = link.prospect_id
        work.reportable.append(cid)

    async def _walk_ins(
        self,
        prospects: Mapping[str, PolledProspect],
        leads: Mapping[str, Lead],
        report: ReconcileReport,
    ) -> list[PolledProspect]:
        """Polled prospects that no lead has, claims or may be about to adopt."""
        if not prospects:
            return []
        linked = await self._db.links_by_prospect(list(prospects))
        claimed = {lead.resman_prospect_id for lead in leads.values() if lead.resman_prospect_id}
        waiting = _Index(
            (lead.property_id, lead_to_fields(lead))
            for lead in leads.values()
            if not lead.resman_prospect_id and wants_prospect(lead)
        )
        found: list[PolledProspect] = []
        for pid, polled in prospects.items():
            if pid in linked or pid in claimed or created_for(polled.prospect) in leads:
                continue
            fields = prospect_to_fields(polled.prospect)
            if waiting.matches(polled.domiq_property_id, fields):
                report.deferred += 1  # that lead's create may adopt it; see next pass
            else:
                found.append(polled)
        return found


class _Index:
    """Records by property and by email, phone and name: ResMan's duplicate rules."""

    def __init__(self, records: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        self._keys: set[tuple[str, str, str]] = set()
        for property_id, fields in records:
            self._keys.update(_keys(property_id, fields))

    def matches(self, property_id: str, fields: Mapping[str, Any]) -> bool:
        return not self._keys.isdisjoint(_keys(property_id, fields))


def _keys(property_id: str, fields: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    values = valid_only(fields)
    keys = [
        (property_id, name, str(values[name])) for name in ("email", "phone") if values.get(name)
    ]
    first, last = values.get("first_name"), values.get("last_name")
    if first and last:
        keys.append((property_id, "name", f"{first}\x00{last}".casefold()))
    return keys
