"""What a drift scan found (`sync.drift`): findings, the report, the stored state.

Ids, kinds, field names and counts only, never a value: a report is logged, printed by
`leadsync drift` and kept in the database for `leadsync status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadsync_tui.clients.mits import Prospect
from leadsync_tui.models import Lead, format_utc
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Link
from leadsync_tui.sync.mapping import lead_to_fields, prospect_to_fields
from leadsync_tui.sync.plan import plan_pair

DRIFT_CURSOR = "drift.state"
"""JSON of the last scan (`DriftReport.summary()`), read by `leadsync status` and the engine."""


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
    return await db.get_json_cursor(DRIFT_CURSOR)


def agreed_at(state: Mapping[str, Any] | None) -> datetime | None:
    """A stored scan's `last_agreement_at` (None if absent or unreadable)."""
    value = (state or {}).get("last_agreement_at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
