"""One linked pair's sync, planned without I/O: merge, the outbox items, the snapshot.

The engine writes nothing without an outbox item, and moves the agreed snapshot only for
what both sides already hold: a field that still has to be written keeps its old base
until the write is confirmed, so a write that never lands can never look agreed. Every
function here is pure, so the rules are tested without a network or a database.

Outbox payloads (`store.payloads`, one model per kind of write):
- field writes, either way: `FieldWrite(fields={name: normalised value}, version=v)`,
  where `v` is the DomIQ version merged (a write to DomIQ sends it as `If-Match`);
- a first link, a create, a person's push: `LinkWrite(version=v)`, merged when sent;
- ResMan changed while the lead was busy: `Resync(version=v, resync=digest)`;
- a status report to DomIQ: `StatusReport()`, the status as held when it is sent;
- a conflict resolution (queued by the store): `ResolutionWrite`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from leadsync_tui.clients.mits import Prospect
from leadsync_tui.config import PolicySettings
from leadsync_tui.models import Lead, Qualification, SyncDirection, SyncType
from leadsync_tui.store.payloads import FieldWrite, LinkWrite, Resync, StatusReport
from leadsync_tui.store.records import NewOutboxItem
from leadsync_tui.sync.mapping import is_invalid
from leadsync_tui.sync.merge import MergeResult, merge

MANUAL = PolicySettings()
"""Merges run with every field on `manual_review`: the engine applies the configured
policy afterwards through the store (`ResolveConflict`), so a policy decision is recorded
with who, when and why exactly like a person's."""

MARKER = "DomIQ conversation"
"""The first-contact comment of every prospect leadsync creates: `DomIQ conversation
<conversation_id>`. It tells our own prospect (whose create answer was lost) from a
stranger's, and keeps a walk-in import from copying a prospect back into DomIQ."""
_MARKER_RE = re.compile(re.escape(MARKER) + r"\s+(\S+)")


def digest(value: Any) -> str:
    """A short, stable fingerprint of JSON-able data (dedupe keys, conflict ids)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def valid_only(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The values that normalised cleanly (what a snapshot or a base may hold)."""
    return {name: value for name, value in fields.items() if not is_invalid(value)}


def created_for(prospect: Prospect) -> str | None:
    """The conversation a prospect was created for by leadsync, from its marker."""
    for event in prospect.events:
        found = _MARKER_RE.search(event.comments or "")
        if found:
            return found.group(1)
    return None


# --------------------------------------------------------------------------- bases


def inferred_base(
    domiq: Mapping[str, Any],
    resman: Mapping[str, Any],
    *,
    domiq_changed: bool,
    resman_changed: bool,
) -> dict[str, Any] | None:
    """The base of a first link when both sides say they were synced before.

    Without our snapshot (a fresh database, another machine's sync), the only evidence
    is which side moved since DomIQ's `last_sync_at`: the side that did not still holds
    the agreed values. When both moved, or neither did, there is no base and every
    difference is a conflict for a person.
    """
    if domiq_changed and not resman_changed:
        return valid_only(resman)
    if resman_changed and not domiq_changed:
        return valid_only(domiq)
    return None


def adopted_base(prospect: Prospect, conversation_id: str, resman: Mapping[str, Any]) -> Any:
    """The base of an adopted prospect: ours (its marker names this conversation) was
    created from this lead, so DomIQ's later changes win; a stranger's has no base."""
    return valid_only(resman) if created_for(prospect) == conversation_id else None


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class PairPlan:
    """What one merge of a linked pair asks for."""

    result: MergeResult
    snapshot: dict[str, Any]
    """The snapshot to store now: agreed values, old base for fields still to write."""

    @property
    def has_writes(self) -> bool:
        return self.result.has_writes


def plan_pair(
    base: Mapping[str, Any] | None,
    domiq: Mapping[str, Any],
    resman: Mapping[str, Any],
    *,
    open_fields: Set[str] = frozenset(),
) -> PairPlan:
    """Merge one pair (every conflict left open; see `MANUAL`)."""
    result = merge(base, domiq, resman, MANUAL, open_conflicts=open_fields)
    snapshot = dict(result.new_snapshot)
    for name in (*result.to_resman, *result.to_domiq):
        if base is not None and name in base:
            snapshot[name] = base[name]
        else:
            snapshot.pop(name, None)
    return PairPlan(result, snapshot)


def write_type(fields: Mapping[str, Any]) -> SyncType:
    """`status` when only the qualification moves (a ResMan event), else `update`."""
    return SyncType.STATUS if set(fields) == {"qualification"} else SyncType.UPDATE


def plan_items(conversation_id: str, version: int, plan: PairPlan) -> list[NewOutboxItem]:
    """The field writes of a plan, one outbox item per direction.

    The dedupe key carries the version and the values, so planning the same change
    twice (every poll until it is sent) queues it once.
    """
    items = []
    for direction, fields in (
        (SyncDirection.DOMIQ_TO_RESMAN, plan.result.to_resman),
        (SyncDirection.RESMAN_TO_DOMIQ, plan.result.to_domiq),
    ):
        if fields:
            items.append(
                NewOutboxItem(
                    conversation_id=conversation_id,
                    direction=direction,
                    sync_type=write_type(fields),
                    payload=FieldWrite(fields=dict(fields), version=version),
                    dedupe_key=f"{direction.value}:{conversation_id}:v{version}:{digest(fields)}",
                )
            )
    return items


def link_item(lead: Lead) -> NewOutboxItem:
    """Create, adopt or link a lead's prospect: the store's push, same dedupe key."""
    return NewOutboxItem(
        conversation_id=lead.conversation_id,
        direction=SyncDirection.DOMIQ_TO_RESMAN,
        sync_type=SyncType.UPDATE if lead.resman_prospect_id else SyncType.CREATE,
        payload=LinkWrite(version=lead.version),
        dedupe_key=f"push:{lead.conversation_id}:v{lead.version}",
    )


def resync_item(lead: Lead, resman: Mapping[str, Any]) -> NewOutboxItem:
    """ResMan changed a lead that is busy: merge it again once its lane is free (the
    poll cursor moves on, so the change must be kept here, not in memory)."""
    key = digest(valid_only(resman))
    return NewOutboxItem(
        conversation_id=lead.conversation_id,
        direction=SyncDirection.DOMIQ_TO_RESMAN,
        sync_type=SyncType.UPDATE,
        payload=Resync(version=lead.version, resync=key),
        dedupe_key=f"resync:{lead.conversation_id}:{key}",
    )


def remerge_item(conversation_id: str, version: int, superseded_id: int) -> NewOutboxItem:
    """A write to DomIQ lost its race with a DomIQ edit: merge both sides again, kept in
    the outbox (the ResMan change it carried was polled already; a crash before the
    next pass must not forget it)."""
    return NewOutboxItem(
        conversation_id=conversation_id,
        direction=SyncDirection.DOMIQ_TO_RESMAN,
        sync_type=SyncType.UPDATE,
        payload=Resync(version=version, resync=f"superseded:{superseded_id}"),
        dedupe_key=f"resync:{conversation_id}:superseded:{superseded_id}",
    )


def report_item(conversation_id: str) -> NewOutboxItem:
    """Tell DomIQ where the lead stands (coalesced: one queued report per lead)."""
    return NewOutboxItem(
        conversation_id=conversation_id,
        direction=SyncDirection.RESMAN_TO_DOMIQ,
        sync_type=SyncType.STATUS,
        payload=StatusReport(),
        dedupe_key=f"report:{conversation_id}",
    )


def conflict_id(conversation_id: str, field: str, base: Any, domiq: Any, resman: Any) -> str:
    """Stable for one disagreement, new for the next one on the same field."""
    return f"cf_{conversation_id}_{field}_{digest([base, domiq, resman])}"


def wants_prospect(lead: Lead) -> bool:
    """Which unlinked DomIQ leads get a ResMan prospect: qualified ones. A new chat is
    not a lead for ResMan yet; a disqualified one is only ever sent as a lost event on
    a prospect it already has."""
    return lead.qualification is Qualification.QUALIFIED
