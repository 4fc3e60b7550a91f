"""One lead, both systems, field by field: what the lead detail screen shows.

`compare_lead(desk, cid)` reads the lead as the store holds it (DomIQ's side), its link
and last agreed values from the database, and the linked prospect from ResMan now, and
lines them up per synced field (`SYNCED_FIELDS`, normalised by `mapping`, so formatting
differences are not differences). `local_comparison` is the same without ResMan: the
screen shows it at once while ResMan is read, and alone when it has no systems to talk to.

Which prospect is the lead's: the link's (the engine made it); without a link, the
ProspectID DomIQ carries (a seeded or already linked pair the engine has not read yet),
in the property the settings map the lead's property to; neither: "not in ResMan yet".

Failures are typed: `UnknownLead` (not in the store) and `ResmanUnavailable` (the read
failed; `retryable` says whether trying again may help). Headless: no Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from leadsync_tui.clients.errors import SyncError
from leadsync_tui.clients.mits import Prospect
from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.models import Lead, LeadSyncConflict
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import AuditEntry, Link
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.mapping import lead_to_fields, prospect_to_fields

AUDIT_LIMIT = 200
"""Audit entries read per target (the lead, each of its conflicts)."""


class ResmanSide(StrEnum):
    """What the ResMan column holds."""

    NOT_READ = "not_read"
    """ResMan was not asked (yet): a local comparison."""
    FOUND = "found"
    """The linked prospect, as ResMan answered just now."""
    NOT_LINKED = "not_linked"
    """The lead has no prospect: not in ResMan yet."""
    MISSING = "missing"
    """The lead names a prospect that ResMan does not have (deleted, merged away)."""


class UnknownLead(LookupError):
    """The conversation is not a lead the store knows."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"lead {conversation_id} is not known here")
        self.conversation_id = conversation_id


class ResmanUnavailable(Exception):
    """ResMan could not be read for this lead; `message` says why, for the screen."""

    def __init__(self, message: str, *, retryable: bool, cause: SyncError) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        """True when the same read may work later (a timeout, a 5xx, a rate limit)."""
        self.cause = cause


@dataclass(frozen=True)
class FieldComparison:
    """One synced field on both sides, normalised (`normalisers.NORMALISERS`).

    `resman` is None when that side is not known (see `LeadComparison.resman_side`).
    A value may be an `mapping.InvalidValue` (it cannot be carried to the other side as
    it is).
    """

    field: str
    domiq: Any
    resman: Any
    agreed: Any
    """The last agreed value (None: empty, or never agreed; see `has_agreed`)."""
    has_agreed: bool
    """The snapshot holds this field: both sides once agreed on `agreed`. A field whose
    first sync found a conflict, or a lead never synced, has no agreed value yet."""
    differs: bool
    """DomIQ and ResMan hold different values (only when ResMan was read)."""
    domiq_moved: bool
    """DomIQ's value is not the last agreed one (only when there is one)."""
    resman_moved: bool
    """ResMan's value is not the last agreed one (only when both are known)."""


@dataclass(frozen=True)
class LeadComparison:
    """Everything the lead detail screen shows about one lead, but its sync log."""

    conversation_id: str
    lead: Lead
    link: Link | None
    """Our link to the prospect, with the last agreed values; None until the engine made one
    (or when the database was not read)."""
    resman_side: ResmanSide
    prospect: Prospect | None = None
    prospect_id: str | None = None
    """The ProspectID looked up (the link's, else DomIQ's), None when there is none."""
    fields: tuple[FieldComparison, ...] = ()
    conflicts: tuple[LeadSyncConflict, ...] = ()
    """The lead's open conflicts."""
    audit: tuple[AuditEntry, ...] = ()
    """What people did to this lead and its conflicts, oldest first."""

    @property
    def differing(self) -> tuple[str, ...]:
        """The fields where DomIQ and ResMan disagree."""
        return tuple(f.field for f in self.fields if f.differs)

    def with_prospect(self, side: ResmanSide, prospect: Prospect | None) -> LeadComparison:
        """The same comparison with the ResMan column filled in."""
        theirs = prospect_to_fields(prospect) if prospect is not None else None
        return replace(
            self,
            resman_side=side,
            prospect=prospect,
            fields=_fields(self.lead, theirs, self.link),
        )


def _fields(
    lead: Lead, theirs: Mapping[str, Any] | None, link: Link | None
) -> tuple[FieldComparison, ...]:
    ours = lead_to_fields(lead)
    snapshot = link.snapshot if link is not None else {}
    rows = []
    for name in SYNCED_FIELDS:
        domiq = ours[name]
        resman = None if theirs is None else theirs[name]
        agreed = snapshot.get(name)
        has_agreed = name in snapshot
        rows.append(
            FieldComparison(
                field=name,
                domiq=domiq,
                resman=resman,
                agreed=agreed,
                has_agreed=has_agreed,
                differs=theirs is not None and domiq != resman,
                domiq_moved=has_agreed and domiq != agreed,
                resman_moved=has_agreed and theirs is not None and resman != agreed,
            )
        )
    return tuple(rows)


def store_comparison(store: LeadSyncStore, conversation_id: str) -> LeadComparison:
    """DomIQ's side as the store holds it, and its open conflicts; nothing read from the
    database (no link, no last agreed values, no audit trail) nor from ResMan."""
    lead = store.state.leads.get(conversation_id)
    if lead is None:
        raise UnknownLead(conversation_id)
    return LeadComparison(
        conversation_id=conversation_id,
        lead=lead,
        link=None,
        resman_side=ResmanSide.NOT_READ,
        prospect_id=lead.resman_prospect_id,
        fields=_fields(lead, None, None),
        conflicts=tuple(store.open_conflicts_for(conversation_id)),
    )


async def local_comparison(
    store: LeadSyncStore, conversation_id: str, *, stored: bool = True
) -> LeadComparison:
    """DomIQ's side and the last agreed values, without asking ResMan.

    Not `stored` (the app has no engine: a fixture store) this is `store_comparison`,
    from what the store holds in memory; otherwise the link and the audit are read too.
    """
    if not stored:
        return store_comparison(store, conversation_id)
    db = store.db
    lead = store.state.leads.get(conversation_id) or await db.get_lead(conversation_id)
    if lead is None:
        raise UnknownLead(conversation_id)
    link = await db.get_link(conversation_id)
    return LeadComparison(
        conversation_id=conversation_id,
        lead=lead,
        link=link,
        resman_side=ResmanSide.NOT_READ,
        prospect_id=link.prospect_id if link is not None else lead.resman_prospect_id,
        fields=_fields(lead, None, link),
        conflicts=tuple(store.open_conflicts_for(conversation_id)),
        audit=tuple(await lead_audit_entries(db, conversation_id)),
    )


async def compare_lead(desk: LeadDesk, conversation_id: str) -> LeadComparison:
    """The lead on both sides now; `ResmanUnavailable` when ResMan cannot be read."""
    local = await local_comparison(desk.store, conversation_id)
    return await read_resman(desk, local)


async def read_resman(desk: LeadDesk, local: LeadComparison) -> LeadComparison:
    """`local` with the ResMan column read now (see the module docstring for which
    prospect); `ResmanUnavailable` when ResMan cannot be read."""
    lead, link = local.lead, local.link
    if link is not None:
        property_id, prospect_id = link.property_id, link.prospect_id
    elif lead.resman_prospect_id:
        prospect_id = lead.resman_prospect_id
        try:
            property_id = desk.mapping.property_id(lead.property_id)
        except SyncError as exc:  # MappingMissing: names the config key to set
            raise ResmanUnavailable(exc.message, retryable=False, cause=exc) from exc
    else:
        return local.with_prospect(ResmanSide.NOT_LINKED, None)
    try:
        found = await desk.resman.search_prospects(property_id, prospect_id=prospect_id)
    except SyncError as exc:
        raise ResmanUnavailable(
            f"Could not read the prospect: {exc.message}", retryable=exc.retryable, cause=exc
        ) from exc
    prospect = _the_prospect(found, prospect_id)
    side = ResmanSide.FOUND if prospect is not None else ResmanSide.MISSING
    return local.with_prospect(side, prospect)


def _the_prospect(found: Iterable[Prospect], prospect_id: str) -> Prospect | None:
    """The prospect with this id among a search's answers (GUIDs compare any case)."""
    wanted = prospect_id.strip("{}").lower()
    return next((p for p in found if p.prospect_id.strip("{}").lower() == wanted), None)


async def lead_audit_entries(db: Database, conversation_id: str) -> list[AuditEntry]:
    """The lead's audit trail: entries about the lead itself (a push, a qualification)
    and about any of its conflicts (resolutions, escalations), oldest first."""
    targets = [conversation_id]
    targets += [conflict.id for conflict in await db.conflicts_for(conversation_id)]
    entries: dict[int | None, AuditEntry] = {}  # by id: an entry is read once
    for target in targets:
        for entry in await db.audit_entries(target=target, limit=AUDIT_LIMIT):
            entries[entry.id] = entry
    return sorted(entries.values(), key=lambda entry: (entry.at, entry.id or 0))
