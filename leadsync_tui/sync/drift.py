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

Findings carry ids, kinds and field names only: never a value (they are logged).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import SearchTooBroad, SyncError
from leadsync_tui.clients.mits import Prospect
from leadsync_tui.clients.resman import PropertyMapping, ResmanClient
from leadsync_tui.models import Lead, format_utc
from leadsync_tui.store.changes import DriftProgress
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Link
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.mapping import lead_to_fields, prospect_to_fields
from leadsync_tui.sync.plan import plan_pair
from leadsync_tui.sync.reconcile import Reconciler
from leadsync_tui.sync.resman_poller import EPOCH, PolledProspect, PollResult

logger = logging.getLogger(__name__)

DRIFT_CURSOR = "drift.state"
"""JSON of the last scan (`DriftReport.state`), read by `leadsync status` and the engine."""
AUDIT_ACTOR = "drift-scan"
READ_AHEAD = timedelta(days=1)
"""The full read's window ends this far past our clock: ResMan's clock may be ahead."""
READ_CONCURRENCY = 2
"""ResMan properties (and by-id lookups) read at once: a full scan must not crowd out
the engine's own calls on a server with no published rate limit."""
DOMIQ_PAGE = 500


class FindingKind(StrEnum):
    """How a pair is out of step."""

    DOMIQ_CHANGED = "domiq_changed"
    """DomIQ holds a change ResMan never got (repair: write it to ResMan)."""
    RESMAN_CHANGED = "resman_changed"
    """ResMan holds a change DomIQ never got (repair: write it to DomIQ)."""
    BOTH_CHANGED = "both_changed"
    """Both sides changed a field differently: a conflict for the policy or a person."""
    MISSING = "missing"
    """The lead or the prospect is gone from its system: nothing to merge, a person looks."""


@dataclass(frozen=True)
class Finding:
    """One pair out of step: ids, how, and which fields (names only)."""

    conversation_id: str
    prospect_id: str
    kind: FindingKind
    fields: tuple[str, ...] = ()
    side: str | None = None
    """For `missing`: which system lacks its record (`domiq` or `resman`)."""

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "conversation_id": self.conversation_id,
            "prospect_id": self.prospect_id,
            "kind": self.kind.value,
            "fields": list(self.fields),
        }
        if self.side:
            found["missing_in"] = self.side
        return found


@dataclass
class DriftReport:
    """What one scan found and what became of it."""

    started_at: datetime
    finished_at: datetime | None = None
    pairs_checked: int = 0
    busy: int = 0
    """Pairs left out because their lead still has outbox items."""
    findings: list[Finding] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    """Conversations whose repair was queued (and, from the CLI, sent)."""
    conflicts: list[str] = field(default_factory=list)
    """Conversations whose drift became a conflict waiting for a person."""
    unrepaired: list[str] = field(default_factory=list)
    last_agreement_at: datetime | None = None
    """When a scan last found every pair in step (this one, if it did)."""
    error: str | None = None

    @property
    def out_of_step(self) -> int:
        return len(self.findings)

    @property
    def in_step(self) -> bool:
        return self.error is None and not self.findings

    def summary(self) -> dict[str, Any]:
        """The `--json` object and the state `status` reads: counts and ids only."""
        return {
            "at": format_utc(self.finished_at or self.started_at),
            "started_at": format_utc(self.started_at),
            "pairs_checked": self.pairs_checked,
            "busy": self.busy,
            "out_of_step": self.out_of_step,
            "repaired": len(self.repaired),
            "conflicts": len(self.conflicts),
            "unrepaired": len(self.unrepaired),
            "last_agreement_at": (
                None if self.last_agreement_at is None else format_utc(self.last_agreement_at)
            ),
            "error": self.error,
            "findings": [finding.as_dict() for finding in self.findings],
            "repaired_ids": self.repaired,
            "conflict_ids": self.conflicts,
            "unrepaired_ids": self.unrepaired,
        }


def finding_for(
    link: Link, lead: Lead, prospect: Prospect, open_fields: frozenset[str]
) -> Finding | None:
    """The pair merged three ways against its snapshot; None when it is in step."""
    plan = plan_pair(
        link.snapshot, lead_to_fields(lead), prospect_to_fields(prospect), open_fields=open_fields
    )
    result = plan.result
    conflicted = tuple(c.field for c in result.conflicts)
    if conflicted:
        kind = FindingKind.BOTH_CHANGED
    elif result.to_resman:
        kind = FindingKind.DOMIQ_CHANGED
    elif result.to_domiq:
        kind = FindingKind.RESMAN_CHANGED
    else:
        return None
    names = dict.fromkeys([*conflicted, *result.to_resman, *result.to_domiq])
    return Finding(link.conversation_id, link.prospect_id, kind, tuple(names))


async def last_state(db: Database) -> dict[str, Any] | None:
    """The last scan's summary, if any scan ran on this database."""
    value = await db.get_cursor(DRIFT_CURSOR)
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


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
                last_agreement_at=_agreed_at(state),
            )
        )

    async def scan(self, *, repair: bool) -> DriftReport:
        """One full scan; with `repair`, out-of-step pairs are queued for repair."""
        previous = await last_state(self._db)
        report = DriftReport(started_at=self._now(), last_agreement_at=_agreed_at(previous))
        try:
            leads, prospects = await self._compare(report)
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
        polled = found.get(_guid(link.prospect_id))
        finding: Finding | None
        if lead is None or polled is None:
            side = "domiq" if lead is None else "resman"
            finding = Finding(link.conversation_id, link.prospect_id, FindingKind.MISSING, (), side)
        else:
            open_fields = frozenset(
                c.field for c in self._store.open_conflicts_for(link.conversation_id)
            )
            finding = finding_for(link, lead, polled.prospect, open_fields)
        if finding is not None:
            report.findings.append(finding)
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
        read = PollResult({f.prospect_id: prospects[_guid(f.prospect_id)] for f in mergeable})
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


def _agreed_at(state: Mapping[str, Any] | None) -> datetime | None:
    """A stored scan's `last_agreement_at` (None if absent or unreadable)."""
    value = (state or {}).get("last_agreement_at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _guid(value: str) -> str:
    """ResMan GUIDs compare in any case, with or without braces."""
    return value.strip().strip("{}").lower()
