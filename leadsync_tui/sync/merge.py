"""Three-way merge, field by field, of DomIQ and ResMan against the last agreed snapshot.

Inputs are the normalised dicts of `sync.mapping` (so `==` is the right comparison);
the output says what to write where, which conflicts arose, and what both sides will
hold once the writes land. Pure and deterministic: same inputs, same result, fields in
`SYNCED_FIELDS` order.

Per field, with b = snapshot, d = DomIQ, r = ResMan:

| case | result |
| --- | --- |
| field has an open conflict already | left alone; snapshot keeps b |
| d or r failed normalisation | `format_invalid` conflict, never auto-resolved |
| d == r | agreed: snapshot = d, no write |
| no b (first link), one side None | fill it from the other side |
| no b, both set and different | conflict (`value_mismatch`) |
| d == b | ResMan changed: write r to DomIQ |
| r == b | DomIQ changed: write d to ResMan |
| both changed, differently | conflict: `deleted_on_one_side` if one is None, else mismatch |

A conflict goes to the field's policy: `domiq_wins` / `resman_wins` write the winner to
the other side and are reported as auto-resolved; `manual_review` leaves it open and the
snapshot keeps b (or no value at all when there was none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadsync_tui.config import SYNCED_FIELDS, PolicySettings
from leadsync_tui.models import (
    ConflictResolution,
    ConflictSeverity,
    ConflictType,
    LeadSyncConflict,
    Resolution,
    ResolutionStatus,
)
from leadsync_tui.sync.mapping import InvalidValue, severity_for

_MISSING: Any = object()


@dataclass(frozen=True)
class FieldConflict:
    """One field the merge could not settle by itself (or settled by policy).

    Values are the normalised ones; a value that failed normalisation is shown raw,
    with `detail` saying why.
    """

    field: str
    domiq: Any
    resman: Any
    base: Any
    type: ConflictType
    severity: ConflictSeverity
    auto_resolution: Resolution | None = None
    """`domiq_wins`/`resman_wins` when the policy settled it; None while it is open."""
    detail: str | None = None

    @property
    def is_open(self) -> bool:
        return self.auto_resolution is None

    def to_lead_sync_conflict(
        self, *, id: str, conversation_id: str, detected_at: datetime | None = None
    ) -> LeadSyncConflict:
        """The record the store keeps and the conflict dialog shows.

        Open conflicts are `manual_review` (set aside by policy for a person);
        auto-resolved ones are `resolved` with the policy's resolution and value.
        """
        resolution = None
        status = ResolutionStatus.MANUAL_REVIEW
        if self.auto_resolution is not None:
            status = ResolutionStatus.RESOLVED
            final = self.domiq if self.auto_resolution is Resolution.DOMIQ_WINS else self.resman
            resolution = ConflictResolution(
                resolution=self.auto_resolution,
                final_value=final,
                reason=f"auto-resolved by the [policy] setting for {self.field}",
            )
        return LeadSyncConflict(
            id=id,
            conversation_id=conversation_id,
            field=self.field,
            domiq_value=self.domiq,
            resman_value=self.resman,
            base_value=self.base,
            conflict_type=self.type,
            conflict_severity=self.severity,
            resolution_status=status,
            detected_at=detected_at,
            resolution=resolution,
        )


@dataclass(frozen=True)
class MergeResult:
    """What to write to each side, the conflicts found, and the next snapshot.

    `new_snapshot` holds the values both sides will hold once the writes land; a field
    whose conflict stays open keeps its old snapshot value, and a field that was never
    agreed (first link, open conflict) is absent.
    """

    to_resman: dict[str, Any] = field(default_factory=dict)
    to_domiq: dict[str, Any] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)
    new_snapshot: dict[str, Any] = field(default_factory=dict)

    @property
    def has_writes(self) -> bool:
        return bool(self.to_resman or self.to_domiq)

    @property
    def open_conflicts(self) -> list[FieldConflict]:
        return [c for c in self.conflicts if c.is_open]

    @property
    def auto_resolved(self) -> list[FieldConflict]:
        return [c for c in self.conflicts if not c.is_open]


def _shown(value: Any) -> Any:
    return value.raw if isinstance(value, InvalidValue) else value


class _Builder:
    """Collects one merge's outcome field by field."""

    def __init__(self, policy: PolicySettings) -> None:
        self.policy = policy
        self.result = MergeResult()

    def keep(self, name: str, base: Any) -> None:
        if base is not _MISSING:
            self.result.new_snapshot[name] = base

    def agree(self, name: str, value: Any) -> None:
        self.result.new_snapshot[name] = value

    def write_resman(self, name: str, value: Any) -> None:
        self.result.to_resman[name] = value
        self.result.new_snapshot[name] = value

    def write_domiq(self, name: str, value: Any) -> None:
        self.result.to_domiq[name] = value
        self.result.new_snapshot[name] = value

    def invalid(self, name: str, base: Any, domiq: Any, resman: Any) -> None:
        reasons = [v.reason for v in (domiq, resman) if isinstance(v, InvalidValue)]
        self.result.conflicts.append(
            FieldConflict(
                field=name,
                domiq=_shown(domiq),
                resman=_shown(resman),
                base=None if base is _MISSING else base,
                type=ConflictType.FORMAT_INVALID,
                severity=severity_for(name),
                detail="; ".join(reasons),
            )
        )
        self.keep(name, base)

    def conflict(self, name: str, base: Any, domiq: Any, resman: Any) -> None:
        kind = ConflictType.VALUE_MISMATCH
        if base is not _MISSING and (domiq is None or resman is None):
            kind = ConflictType.DELETED_ON_ONE_SIDE
        decision = self.policy.for_field(name)
        auto: Resolution | None = None
        if decision is Resolution.DOMIQ_WINS:
            auto = decision
            self.write_resman(name, domiq)
        elif decision is Resolution.RESMAN_WINS:
            auto = decision
            self.write_domiq(name, resman)
        else:
            self.keep(name, base)
        self.result.conflicts.append(
            FieldConflict(
                field=name,
                domiq=domiq,
                resman=resman,
                base=None if base is _MISSING else base,
                type=kind,
                severity=severity_for(name),
                auto_resolution=auto,
            )
        )


def merge(
    base: Mapping[str, Any] | None,
    domiq: Mapping[str, Any],
    resman: Mapping[str, Any],
    policy: PolicySettings,
    *,
    open_conflicts: Set[str] = frozenset(),
    fields: Iterable[str] = SYNCED_FIELDS,
) -> MergeResult:
    """Merge one linked pair. `base` is None for a first link (e.g. an adopted prospect).

    `open_conflicts` names fields that already have an open conflict: they are left
    alone until a person settles them. A field missing from `domiq` or `resman` is not
    compared (a partial read is not a deletion).
    """
    out = _Builder(policy)
    for name in fields:
        b = _MISSING if base is None else base.get(name, _MISSING)
        if name in open_conflicts or name not in domiq or name not in resman:
            out.keep(name, b)
            continue
        d, r = domiq[name], resman[name]
        if isinstance(d, InvalidValue) or isinstance(r, InvalidValue):
            out.invalid(name, b, d, r)
        elif d == r:
            out.agree(name, d)
        elif b is _MISSING:
            if d is None:
                out.write_domiq(name, r)
            elif r is None:
                out.write_resman(name, d)
            else:
                out.conflict(name, b, d, r)
        elif d == b:
            out.write_domiq(name, r)
        elif r == b:
            out.write_resman(name, d)
        else:
            out.conflict(name, b, d, r)
    return out.result


def duplicate_conflict(
    matched_on: Iterable[str], ours: Mapping[str, Any], theirs: Mapping[str, Any]
) -> FieldConflict:
    """A `duplicate_candidate` conflict: a new lead looks like an existing record.

    The engine raises it when the pre-create search finds more than one match (or a
    match already linked to another lead), so a person picks instead of a guess.
    `field` is the first rule that matched (`email`, `phone` or `name`).
    """
    rules = list(matched_on)
    name = rules[0] if rules else "email"
    key = "first_name" if name == "name" else name

    def shown(record: Mapping[str, Any]) -> Any:
        if name == "name":
            return f"{record.get('first_name') or ''} {record.get('last_name') or ''}".strip()
        return _shown(record.get(key))

    return FieldConflict(
        field=key,
        domiq=shown(ours),
        resman=shown(theirs),
        base=None,
        type=ConflictType.DUPLICATE_CANDIDATE,
        severity=ConflictSeverity.HIGH,
        detail="matches on " + ", ".join(rules) if rules else None,
    )


DUPLICATE_FIELD = "resman_prospect_id"
"""The field of a `duplicate_candidate` raised by search-before-create: the decision is
which ResMan prospect (if any) this lead is."""
LINKED_DUPLICATE_FIELD = "linked_prospect_id"
"""The field of a `duplicate_candidate` whose prospect(s) other conversations already
hold: the decision is whether this conversation links to that prospect too (`resman_wins`,
or `merged` with a chosen id), gets a new prospect (`domiq_wins`) or waits."""
HELD_BY = "held by "
"""The last part of a candidate entry another conversation holds: `held by cnv_x`."""
_ENTRY_SEP = "; "
_PART_SEP = " · "


def identity_text(record: Mapping[str, Any]) -> str:
    """A person as a manager tells them apart: `Maya Okafor · maya@x.com · +15125550143`."""
    name = f"{record.get('first_name') or ''} {record.get('last_name') or ''}".strip()
    parts = [name or "(no name)"]
    parts += [str(_shown(record[key])) for key in ("email", "phone") if record.get(key)]
    return _PART_SEP.join(parts).replace(";", ",")  # `;` separates candidates


def candidates_text(
    candidates: Iterable[tuple[str, Mapping[str, Any]]], owners: Mapping[str, str] | None = None
) -> str:
    """`<prospect id> · <identity>[ · held by <conversation>]` per candidate, `; ` between
    them (the ResMan value of a `duplicate_candidate`; `candidate_ids` reads the ids back,
    `candidate_owners` the holders)."""
    held = owners or {}
    return _ENTRY_SEP.join(
        f"{prospect_id}{_PART_SEP}{identity_text(fields)}"
        + (f"{_PART_SEP}{HELD_BY}{held[prospect_id]}" if prospect_id in held else "")
        for prospect_id, fields in candidates
    )


def candidate_owners(value: Any) -> dict[str, str]:
    """The conversation holding each candidate, by prospect id, for the candidates
    another conversation holds (see `candidates_text`)."""
    if not isinstance(value, str):
        return {}
    found = {}
    for entry in value.split(";"):
        ids = candidate_ids(entry)
        last = entry.strip().split(_PART_SEP.strip())[-1].strip()
        if ids and last.startswith(HELD_BY):
            found[ids[0]] = last.removeprefix(HELD_BY).strip()
    return found


def candidate_ids(value: Any) -> list[str]:
    """The prospect ids a `duplicate_candidate` value names, in order: the ResMan value
    lists them all, a person's merged value names one (just the id, or an entry copied
    from the list), without braces; compare them case-blind, as ResMan's GUIDs."""
    if not isinstance(value, str):
        return []
    ids = []
    for entry in value.split(";"):
        head = entry.strip().split(_PART_SEP.strip())[0].strip()
        token = head.split()[0] if head.split() else ""
        if token.strip("{}"):
            ids.append(token.strip("{}"))
    return ids


def candidates_conflict(
    ours: Mapping[str, Any],
    candidates: Sequence[tuple[str, Mapping[str, Any]]],
    matched_on: Iterable[str],
    *,
    field: str = DUPLICATE_FIELD,
    owners: Mapping[str, str] | None = None,
) -> FieldConflict:
    """A `duplicate_candidate` conflict: several ResMan prospects could be this new lead.

    Raised instead of a create (which would double the person) or a guess. DomIQ's value
    is the lead's identity, ResMan's the candidates (id and identity each, best match
    first); severity is high, as for every identity decision. Resolving it: `domiq_wins`
    creates a new prospect, `resman_wins` links the first candidate, `merged` links the
    candidate whose id is the final value, `manual_review` writes nothing. With
    `field=LINKED_DUPLICATE_FIELD` the candidates are held by the conversations in
    `owners`, and linking one links this conversation to it too.
    """
    rules = list(dict.fromkeys(matched_on))
    how = f" on {', '.join(rules)}" if rules else ""
    return FieldConflict(
        field=field,
        domiq=identity_text(ours),
        resman=candidates_text(candidates, owners),
        base=None,
        type=ConflictType.DUPLICATE_CANDIDATE,
        severity=ConflictSeverity.HIGH,
        detail=f"{len(candidates)} ResMan prospects match{how}",
    )
