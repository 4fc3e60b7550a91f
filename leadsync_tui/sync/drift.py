"""The drift scan: read every linked pair from both systems and prove they agree.

An incremental sync trusts its cursors: a ResMan change outside the poll window (a
skewed clock, a feed gap, an edit made while leadsync was down) is never seen. The scan
reads everything instead: every DomIQ lead, and every prospect of each mapped ResMan
property in one windowed search per property (`search_modified` from `EPOCH`, which
halves a window ResMan finds too big), then each linked prospect the property read did
not return, by its id (all of a property's, when even ResMan's narrowest window holds
too many prospects for one answer). Properties are read a few at a time; the client's
own retries and backoff apply to every call.

Each pair is merged three ways against its last agreed snapshot (`plan.plan_pair`, the
reconciler's own rules): a write either way is a side that changed unseen, a new
conflict is both sides changed. A lead with outbox items is `busy` (its difference is
already on its way) and a field with an open conflict already waits for a person; both
are left out. Repairs go through the normal path: the fresh reads are handed to the
reconciler (`Reconciler.repair`), which queues outbox items and records conflicts like
any pass. Nothing is written to DomIQ or ResMan here.

Findings (`drift_report`) carry ids, kinds and field names only: never a value.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import NotFound, SearchTooBroad, SyncError
from leadsync_tui.clients.resman import PropertyMapping, ResmanClient
from leadsync_tui.models import Lead
from leadsync_tui.store.changes import DriftProgress
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Link
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.drift_report import (
    DRIFT_CURSOR,
    DriftReport,
    Finding,
    FindingKind,
    agreed_at,
    finding_for,
    last_state,
)
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.reconcile import Reconciler
from leadsync_tui.sync.resman_poller import EPOCH, PolledProspect, PollResult

logger = logging.getLogger(__name__)

AUDIT_ACTOR = "drift-scan"
READ_AHEAD = timedelta(days=1)
"""The full read's window ends this far past our clock: ResMan's clock may be ahead."""
READ_CONCURRENCY = 2
"""ResMan properties (and by-id lookups) read at once: a full scan must not crowd out
the engine's own calls on a server with no published rate limit."""
DOMIQ_PAGE = 500


class DriftScanner:
    """Reads both systems whole, compares every linked pair, hands repairs on."""

    def __init__(
        self,
        *,
        store: LeadSyncStore,
        db: Database,
        domiq: DomiqClient,
        resman: ResmanClient,
        mapping: PropertyMapping,
        reconciler: Reconciler,
        journal: Journal,
        now: Callable[[], datetime],
        on_progress: Callable[[DriftProgress], None] = lambda progress: None,
        concurrency: int = READ_CONCURRENCY,
    ) -> None:
        self._store = store
        self._db = db
        self._domiq = domiq
        self._resman = resman
        self._mapping = mapping
        self._reconciler = reconciler
        self._journal = journal
        self._now = now
        self._on_progress = on_progress
        self._gate = asyncio.Semaphore(concurrency)

    def use_mapping(self, mapping: PropertyMapping) -> None:
        """A reloaded property map, for the next scan."""
        self._mapping = mapping

    async def announce_last(self) -> None:
        """Tell the listener what the last scan found (the screens' "last full
        agreement at …" before this run's first scan)."""
        state = await last_state(self._db)
        if not state:
            return
        pairs = int(state.get("pairs_checked") or 0)
        self._on_progress(
            DriftProgress(
                checked=pairs,
                total=pairs,
                out_of_step=int(state.get("out_of_step") or 0),
                running=False,
                last_agreement_at=agreed_at(state),
            )
        )

    async def scan(self, *, repair: bool) -> DriftReport:
        """One full scan; with `repair`, out-of-step pairs are queued for repair."""
        previous = await last_state(self._db)
        report = DriftReport(started_at=self._now(), last_agreement_at=agreed_at(previous))
        try:
            leads, prospects = await self._compare(report)
            await self._confirm(report, leads, prospects)
            if repair and report.findings:
                await self._repair(report, leads, prospects)
            else:
                report.unrepaired = [f.conversation_id for f in report.findings]
        except Exception as exc:  # a scan that could not finish proves nothing
            if not isinstance(exc, SyncError):
                logger.exception("drift scan failed")
            report.error = exc.message if isinstance(exc, SyncError) else repr(exc)
        await self.finish(report)
        return report

    async def finish(self, report: DriftReport) -> None:
        """Stamp, log and remember a report (again after a CLI repair was sent)."""
        report.finished_at = self._now()
        if report.in_step:
            report.last_agreement_at = report.finished_at
        summary = report.summary()
        self._journal.emit(
            "drift_scan",
            **{k: v for k, v in summary.items() if k not in ("at", "findings")},
        )
        self._progress(report, running=False)
        try:
            await self._db.set_cursor(DRIFT_CURSOR, json.dumps(summary))
        except Exception:  # the state line is a courtesy for `status`, never a failure
            logger.exception("could not record the drift scan")

    # ----------------------------------------------------------------- reading

    async def _compare(
        self, report: DriftReport
    ) -> tuple[dict[str, Lead], dict[str, PolledProspect]]:
        leads: dict[str, Lead] = {}
        async for lead in self._domiq.iter_leads(page_size=DOMIQ_PAGE):
            leads[lead.conversation_id] = lead
        links = await self._db.get_links(self._store.state.leads)
        busy = {item.conversation_id for item in await self._db.outbox_items(limit=10_000_000)}
        pairs = [link for cid, link in sorted(links.items()) if cid not in busy]
        report.busy = len(links) - len(pairs)
        total = len(pairs)
        self._progress(report, running=True, total=total)
        by_property: dict[str, list[Link]] = {}
        for link in pairs:
            by_property.setdefault(_guid(link.property_id), []).append(link)
        found: dict[str, PolledProspect] = {}

        def compare(links_read: Iterable[Link]) -> None:
            for link in links_read:
                self._check(link, leads.get(link.conversation_id), found, report)
            self._progress(report, running=True, total=total)

        async def read_property(resman_pid: str, property_links: list[Link]) -> None:
            for polled in await self._read_property(resman_pid):
                found.setdefault(_guid(polled.prospect.prospect_id), polled)
            unseen = [link for link in property_links if _guid(link.prospect_id) not in found]
            await asyncio.gather(*(self._read_one(link, found) for link in unseen))
            compare(property_links)

        await asyncio.gather(*(read_property(pid, group) for pid, group in by_property.items()))
        return leads, found

    async def _read_property(self, resman_pid: str) -> list[PolledProspect]:
        """Every prospect of one mapped property (none for a property no longer mapped:
        its pairs are read one by one)."""
        domiq_pid = self._mapping.domiq_property_id(resman_pid)
        if domiq_pid is None:
            return []
        async with self._gate:
            end = self._now() + READ_AHEAD
            try:
                batch = await self._resman.search_modified(
                    self._mapping.property_id(domiq_pid), EPOCH, end
                )
            except SearchTooBroad as exc:  # too many stamped in one minute: go by id
                self._journal.emit("drift_read_by_id", property_id=resman_pid, reason=exc.message)
                return []
        return [PolledProspect(p, resman_pid, domiq_pid) for p in batch]

    async def _read_one(self, link: Link, found: dict[str, PolledProspect]) -> None:
        """A linked prospect the property's read did not return, by its ProspectID."""
        async with self._gate:
            batch = await self._resman.search_prospects(
                link.property_id, prospect_id=link.prospect_id
            )
        domiq_pid = self._mapping.domiq_property_id(link.property_id) or ""
        for prospect in batch:
            if _guid(prospect.prospect_id) == _guid(link.prospect_id):
                found[_guid(link.prospect_id)] = PolledProspect(
                    prospect, link.property_id, domiq_pid
                )

    def _check(
        self,
        link: Link,
        lead: Lead | None,
        found: Mapping[str, PolledProspect],
        report: DriftReport,
    ) -> None:
        report.pairs_checked += 1
        finding = self._finding(link, lead, found)
        if finding is not None:
            report.findings.append(finding)

    def _finding(
        self, link: Link, lead: Lead | None, found: Mapping[str, PolledProspect]
    ) -> Finding | None:
        polled = found.get(_guid(link.prospect_id))
        if lead is None or polled is None:
            side = "domiq" if lead is None else "resman"
            return Finding(link.conversation_id, link.prospect_id, FindingKind.MISSING, (), side)
        conflicts = self._store.open_conflicts_for(lead.conversation_id)
        return finding_for(link, lead, polled.prospect, frozenset(c.field for c in conflicts))

    async def _confirm(
        self,
        report: DriftReport,
        leads: dict[str, Lead],
        found: dict[str, PolledProspect],
    ) -> None:
        """Each pair found out of step, read again just before it counts (the fresh reads
        replace the old): a long scan reads a pair well before it compares it, and the
        engine may have synced it meanwhile (its snapshot moved on, or it is busy now).
        Such a pair is no drift, and repairing it from the old reads would undo a sync."""
        ids = [finding.conversation_id for finding in report.findings]
        links = await self._db.get_links(ids)
        busy = {item.conversation_id for item in await self._db.outbox_items(limit=10_000_000)}

        async def again(finding: Finding) -> Finding | None:
            cid = finding.conversation_id
            link = links.get(cid)
            if link is None or cid in busy:
                report.busy += 1
                return None
            async with self._gate:
                try:
                    leads[cid] = await self._domiq.get_lead(cid)
                except NotFound:
                    leads.pop(cid, None)
            found.pop(_guid(link.prospect_id), None)
            await self._read_one(link, found)
            return self._finding(link, leads.get(cid), found)

        confirmed = await asyncio.gather(*(again(finding) for finding in report.findings))
        report.findings = [finding for finding in confirmed if finding is not None]
        for finding in report.findings:
            self._journal.emit("drift_finding", **finding.as_dict())

    # ----------------------------------------------------------------- repairing

    async def _repair(
        self,
        report: DriftReport,
        leads: Mapping[str, Lead],
        prospects: Mapping[str, PolledProspect],
    ) -> None:
        mergeable = [f for f in report.findings if f.kind is not FindingKind.MISSING]
        report.unrepaired = [
            f.conversation_id for f in report.findings if f.kind is FindingKind.MISSING
        ]
        fresh = [leads[f.conversation_id] for f in mergeable]
        read = PollResult(
            {f.prospect_id: prospects[_guid(f.prospect_id)] for f in mergeable},
            read_at=report.started_at,  # a pair synced since is not repaired from old reads
        )
        if fresh:
            await self._reconciler.repair(fresh, read)
        for finding in mergeable:
            await self._store.record_audit(
                actor=AUDIT_ACTOR,
                action="drift_repair",
                target=finding.conversation_id,
                after=finding.as_dict(),
                reason="the drift scan found the pair out of step",
            )
        self.settle(report)

    def settle(self, report: DriftReport) -> None:
        """Sort the mergeable findings into repaired and conflicts (an open conflict on
        one of the finding's fields means a person decides)."""
        report.repaired, report.conflicts = [], []
        for finding in report.findings:
            if finding.kind is FindingKind.MISSING or finding.conversation_id in report.unrepaired:
                continue
            open_fields = {c.field for c in self._store.open_conflicts_for(finding.conversation_id)}
            if open_fields & set(finding.fields):
                report.conflicts.append(finding.conversation_id)
            else:
                report.repaired.append(finding.conversation_id)

    def _progress(self, report: DriftReport, *, running: bool, total: int = 0) -> None:
        progress = DriftProgress(
            checked=report.pairs_checked,
            total=max(total, report.pairs_checked),
            out_of_step=report.out_of_step,
            running=running,
            last_agreement_at=report.last_agreement_at,
        )
        try:
            self._on_progress(progress)
        except Exception:
            logger.exception("drift progress listener failed")


def _guid(value: str) -> str:
    """ResMan GUIDs compare in any case, with or without braces."""
    return value.strip().strip("{}").lower()
