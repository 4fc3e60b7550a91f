"""Sends one outbox item to the other side and says what to commit when it is confirmed.

The sender only talks to the network and reads; it never writes the database. It returns
an `Outcome` (the link and snapshot to store, follow-up items, conflicts found, the DomIQ
lead as DomIQ now holds it) which the worker commits in one transaction with the item's
completion and its log row. Every path is safe to run twice, because a crash may come
after the write and before the commit:
- a create searches ResMan first (email, then phone, then name) and `prospect_match`
  decides: our own prospect (a create whose answer was lost, `PostOutcomeUnknown`, or
  whose commit died) or one strong match nobody holds is adopted; several, or ones other
  conversations hold, create nothing: a `duplicate_candidate` conflict asks a person,
  and its resolution (create new, link the chosen one, or link it too) comes back as
  an item; possible matches only (a shared phone, a namesake) never block a create;
- field writes set absolute values; a lost/reactivate event is only posted when the
  prospect is not already in that state;
- a write to a linked prospect reads it first (one SearchProspects by ProspectID per
  item) and merges the planned values with ResMan's against the link's snapshot: a
  field ResMan changed too becomes a conflict and is not posted, one ResMan already
  holds is not posted again. The feed's quick pass plans without reading ResMan, so
  this read is what keeps an agent's unpolled edit from being overwritten. MITS has no
  conditional write (no If-Match, no version or LastModified in SearchProspects'
  answer), so a ResMan edit to the same field that lands between our read and our post
  (one round trip, milliseconds) is still overwritten; other fields are never posted;
- a DomIQ PATCH that meets 412 reads the lead: if it holds our values, our write landed;
- a write to DomIQ reads the prospect first: values ResMan no longer holds (read before
  our own write of a newer DomIQ edit landed there) are merged again, never written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import (
    NotFound,
    SyncError,
    TransientError,
    ValidationFailed,
    VersionConflict,
)
from leadsync_tui.clients.mits import (
    FirstContact,
    Prospect,
    ProspectIds,
    ProspectName,
    build_create,
    build_lost,
    build_reactivate,
    build_update,
)
from leadsync_tui.clients.resman import MappingMissing, PropertyMapping, ResmanClient
from leadsync_tui.config import SYNCED_FIELDS, ResmanSettings
from leadsync_tui.models import (
    AttemptStatus,
    ConflictType,
    Lead,
    Qualification,
    Resolution,
    SyncDirection,
    SyncType,
)
from leadsync_tui.store.db import Database
from leadsync_tui.store.payloads import (
    FieldWrite,
    LinkWrite,
    ResolutionWrite,
    Resync,
    StatusReport,
)
from leadsync_tui.store.records import Link, NewOutboxItem, OutboxItem
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.lead_status import DomiqView
from leadsync_tui.sync.mapping import (
    StatusChange,
    fields_to_domiq_patch,
    fields_to_prospect_fields,
    is_invalid,
    lead_to_fields,
    new_prospect_fields,
    normalise_field,
    prospect_to_fields,
    resman_status_change,
)
from leadsync_tui.sync.merge import (
    LINKED_DUPLICATE_FIELD,
    FieldConflict,
    MergeResult,
    candidate_ids,
    merge,
)
from leadsync_tui.sync.plan import (
    MANUAL,
    MARKER,
    PairPlan,
    adopted_base,
    created_for,
    inferred_base,
    plan_items,
    plan_pair,
    remerge_item,
    valid_only,
)
from leadsync_tui.sync.prospect_match import Adopt, Ask, decide, judge
from leadsync_tui.sync.resman_name import name_to_post


class Sent(StrEnum):
    """What a send did, as the journal's `attempt` events say it (`outcome`)."""

    CREATED = "created"
    ADOPTED = "adopted"
    LINKED = "linked"
    MERGED = "merged"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    DUPLICATE_CANDIDATE = "duplicate_candidate"
    RESOLVED = "resolved"
    REPORTED = "reported"
    SUPERSEDED = "superseded"
    SKIPPED = "skipped"


@dataclass
class Outcome:
    """What a confirmed send changes here (committed by the worker in one transaction)."""

    sync_type: SyncType
    outcome: Sent
    link: Link | None = None
    follow_ups: list[NewOutboxItem] = field(default_factory=list)
    conflicts: list[FieldConflict] = field(default_factory=list)
    domiq_lead: Lead | None = None
    """DomIQ's copy after our write: merged into the store before the commit."""
    resolution: Resolution | None = None
    status: AttemptStatus = AttemptStatus.SUCCESS
    error: str | None = None
    recheck: bool = False
    """The lead must be merged again (DomIQ moved on under a planned write)."""


class Sender:
    """Knows how to deliver each kind of outbox item (see `plan` for the payloads)."""

    def __init__(
        self,
        *,
        store: LeadSyncStore,
        db: Database,
        domiq: DomiqClient,
        resman: ResmanClient,
        resman_settings: ResmanSettings,
        view: DomiqView,
        now: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._db = db
        self._domiq = domiq
        self._resman = resman
        self._settings = resman_settings
        self._mapping = PropertyMapping.from_settings(resman_settings)
        self._view = view
        self._now = now

    def use_properties(self, resman_settings: ResmanSettings) -> None:
        """A reloaded `[resman.properties]` map, for the items sent from now on."""
        self._settings = resman_settings
        self._mapping = PropertyMapping.from_settings(resman_settings)

    async def send(self, item: OutboxItem) -> Outcome:
        to_resman = item.direction is SyncDirection.DOMIQ_TO_RESMAN
        match item.payload:
            case ResolutionWrite() as decided:
                return await self._resolution(item, decided)
            case StatusReport():
                return await self._report(item)
            case FieldWrite() as write if to_resman:
                return await self._fields_to_resman(item, write)
            case FieldWrite() as write:
                return await self._fields_to_domiq(item, write)
            case LinkWrite() | Resync() if to_resman:
                return await self._sync_lead(item)
        raise SyncError(f"outbox item {item.id} has a payload this engine cannot send")

    # ----------------------------------------------------------------- reading

    async def _lead(self, cid: str) -> Lead:
        lead = self._store.state.leads.get(cid) or await self._db.get_lead(cid)
        if lead is None:
            raise NotFound(f"lead {cid} is not in the local store")
        return lead

    async def _link(self, cid: str) -> Link:
        link = await self._db.get_link(cid)
        if link is None:
            raise NotFound(f"lead {cid} has no ResMan prospect linked yet")
        return link

    async def _prospect(self, property_id: str, prospect_id: str) -> Prospect | None:
        found = await self._resman.search_prospects(property_id, prospect_id=prospect_id)
        wanted = prospect_id.strip("{}").lower()
        return next((p for p in found if p.prospect_id.strip("{}").lower() == wanted), None)

    async def _changed_since(self, property_id: str, prospect_id: str, since: datetime) -> bool:
        found = await self._resman.search_prospects(
            property_id, prospect_id=prospect_id, modified_start=since
        )
        return bool(found)

    def _open_fields(self, cid: str) -> frozenset[str]:
        return frozenset(c.field for c in self._store.open_conflicts_for(cid))

    # ----------------------------------------------------------------- link, create, adopt

    async def _sync_lead(self, item: OutboxItem) -> Outcome:
        """A push, a first link or a resync: merge the lead with its prospect as it is
        now; create (or adopt) the prospect when there is none."""
        lead = await self._lead(item.conversation_id)
        link = await self._db.get_link(lead.conversation_id)
        if link is not None:
            prospect = await self._prospect(link.property_id, link.prospect_id)
            if prospect is None:
                raise NotFound(
                    f"ResMan no longer has prospect {link.prospect_id} linked to this lead; "
                    "unlink or re-create it by hand, then retry"
                )
            return self._merged(lead, link.snapshot, prospect, link.property_id, Sent.MERGED)
        if lead.resman_prospect_id:
            property_id = self._mapping.property_id(lead.property_id)
            prospect = await self._prospect(property_id, lead.resman_prospect_id)
            held = await self._holder(lead.conversation_id, prospect)
            if prospect is not None and held is not None:
                ours = lead_to_fields(lead)
                asked = Ask((judge(ours, prospect, held),), linked=True)
                return _asked(asked, ours)
            if prospect is not None:
                d, r = lead_to_fields(lead), prospect_to_fields(prospect)
                if lead.last_sync_at is None:
                    base = None
                else:
                    base = inferred_base(
                        d,
                        r,
                        domiq_changed=lead.updated_at > lead.last_sync_at,
                        resman_changed=await self._changed_since(
                            property_id, prospect.prospect_id, lead.last_sync_at
                        ),
                    )
                return self._merged(lead, base, prospect, property_id, Sent.LINKED, SyncType.CREATE)
        if lead.qualification is Qualification.DISQUALIFIED:
            return Outcome(
                SyncType.CREATE,
                Sent.SKIPPED,
                status=AttemptStatus.FAILED,
                error="DomIQ disqualified this lead; it is not sent to ResMan",
            )
        return await self._create_or_adopt(lead)

    async def _create_or_adopt(self, lead: Lead) -> Outcome:
        """Search ResMan for this person, then create, adopt or ask (`prospect_match`)."""
        target = self._mapping.for_create(lead.property_id)
        cid = lead.conversation_id
        ours = lead_to_fields(lead)
        found = await self._matches(lead, target.property_id)
        owners = await self._owners(cid, found)
        decision = decide(cid, [judge(ours, p, owners.get(p.prospect_id)) for p in found])
        if isinstance(decision, Adopt):
            adopted = decision.candidate.prospect
            base = adopted_base(adopted, cid, prospect_to_fields(adopted))
            return self._merged(
                lead, base, adopted, target.property_id, Sent.ADOPTED, SyncType.CREATE
            )
        if isinstance(decision, Ask):
            return _asked(decision, ours)
        created = await self._create(lead)
        created.error = decision.note
        return created

    async def _owners(self, cid: str, found: list[Prospect]) -> dict[str, str]:
        """The other conversation holding each found prospect: linked to it here, made
        for it by leadsync (its marker), or naming it in DomIQ."""
        taken = await self._db.links_by_prospect([p.prospect_id for p in found])
        owners: dict[str, str] = {}
        for prospect in found:
            link = taken.get(prospect.prospect_id)
            maker = created_for(prospect)
            if link is not None and link.conversation_id != cid:
                owners[prospect.prospect_id] = link.conversation_id
            elif maker is not None and maker != cid:
                owners[prospect.prospect_id] = maker
            else:
                claimant = await self._db.lead_by_prospect(prospect.prospect_id)
                if claimant is not None and claimant.conversation_id != cid:
                    owners[prospect.prospect_id] = claimant.conversation_id
        return owners

    async def _matches(self, lead: Lead, property_id: str) -> list[Prospect]:
        """ResMan's search-before-create: by email, else phone, else name."""
        usable = valid_only(lead_to_fields(lead))
        return await self._resman.find_matches(
            property_id,
            usable.get("email"),
            usable.get("phone"),
            usable.get("first_name"),
            usable.get("last_name"),
        )

    async def _create(self, lead: Lead, sync_type: SyncType = SyncType.CREATE) -> Outcome:
        """Post a new prospect carrying our marker (so a lost answer is found again)."""
        target = self._mapping.for_create(lead.property_id)
        d = lead_to_fields(lead)
        fields = new_prospect_fields(d)
        xml = build_create(
            fields,
            FirstContact(
                agent_id=target.agent_id,
                source_id=target.source_id,
                event_date=self._now(),
                comments=f"{MARKER} {lead.conversation_id}",
            ),
        )
        result = await self._resman.post_lead(target.property_id, xml)
        link = Link(
            conversation_id=lead.conversation_id,
            prospect_id=result.prospect_id,
            person_id=result.person_id,
            property_id=target.property_id,
            snapshot=valid_only(d),
            agreed_at=self._now(),
        )
        return Outcome(sync_type, Sent.CREATED, link=link)

    async def _holder(self, cid: str, prospect: Prospect | None) -> str | None:
        """The other conversation already linked here to the prospect a lead names in
        DomIQ (two conversations claim one person): a person decides, as for a match."""
        if prospect is None:
            return None
        taken = await self._db.links_by_prospect([prospect.prospect_id])
        other = taken.get(prospect.prospect_id)
        return other.conversation_id if other and other.conversation_id != cid else None

    def _merged(
        self,
        lead: Lead,
        base: Mapping[str, Any] | None,
        prospect: Prospect,
        property_id: str,
        outcome: Sent,
        sync_type: SyncType = SyncType.UPDATE,
        *,
        shared_by: str | None = None,
    ) -> Outcome:
        plan = plan_pair(
            base,
            lead_to_fields(lead),
            prospect_to_fields(prospect),
            open_fields=self._open_fields(lead.conversation_id),
        )
        link = Link(
            conversation_id=lead.conversation_id,
            prospect_id=prospect.prospect_id,
            person_id=prospect.person_id,
            property_id=property_id,
            snapshot=plan.snapshot,
            agreed_at=self._now(),
            shared_by=shared_by,
        )
        return Outcome(
            sync_type,
            outcome,
            link=link,
            follow_ups=plan_items(lead.conversation_id, lead.version, plan),
            conflicts=list(plan.result.conflicts),
        )

    # ----------------------------------------------------------------- field writes

    async def _fields_to_resman(self, item: OutboxItem, write: FieldWrite) -> Outcome:
        """Write DomIQ's changes to a linked prospect, after reading it (see `_checked`)."""
        lead = await self._lead(item.conversation_id)
        link = await self._link(item.conversation_id)
        fields = write.fields
        current = await self._prospect(link.property_id, link.prospect_id)
        if current is None:
            raise NotFound(
                f"ResMan no longer has prospect {link.prospect_id} linked to this lead; "
                "unlink or re-create it by hand, then retry"
            )
        checked = _checked(link.snapshot, fields, current, self._open_fields(lead.conversation_id))
        if checked.to_resman:
            link = await self._write_resman(lead, link, checked.to_resman, current)
        elif current.person_id and link.person_id is None:
            link = link.model_copy(update={"person_id": current.person_id})
        version = write.version
        follow_ups = plan_items(
            lead.conversation_id, version, PairPlan(MergeResult(to_domiq=checked.to_domiq), {})
        )
        moved = link.model_copy(update={"snapshot": checked.snapshot, "agreed_at": self._now()})
        if checked.conflicts and not checked.to_resman:
            names = ", ".join(c.field for c in checked.conflicts)
            return Outcome(
                item.sync_type,
                Sent.CONFLICT,
                link=moved,
                follow_ups=follow_ups,
                conflicts=checked.conflicts,
                status=AttemptStatus.CONFLICT,
                error=(
                    f"ResMan changed {names} too since the last sync; nothing was written "
                    "to it: both values wait in the conflict"
                ),
            )
        return Outcome(
            item.sync_type,
            Sent.UPDATED if checked.to_resman else Sent.UNCHANGED,
            link=moved,
            follow_ups=follow_ups,
            conflicts=checked.conflicts,
        )

    async def _write_resman(
        self,
        lead: Lead,
        link: Link,
        fields: Mapping[str, Any],
        current: Prospect | None = None,
    ) -> Link:
        """Post the field values and the status event they carry; returns the link with
        the person id filled in (updates need it). `current`: the prospect as just read
        (saves a read; a value update never changes its lost/prospect state). Each post
        carries the name (`name_to_post`), read from ResMan first."""
        if current is None:
            current = await self._prospect(link.property_id, link.prospect_id)
        person_id = link.person_id or (current.person_id if current else None)
        if person_id is None:
            raise NotFound(f"ResMan prospect {link.prospect_id} has no main contact to update")
        link = link.model_copy(update={"person_id": person_id})
        ids = ProspectIds(prospect_id=link.prospect_id, person_id=person_id)
        name = name_to_post(current, link.snapshot, lead)
        values = {key: value for key, value in fields.items() if key != "qualification"}
        if values:
            xml = build_update(ids, fields_to_prospect_fields(values), name=name)
            await self._resman.post_lead(link.property_id, xml)
        change = resman_status_change(fields)
        if change is not None:
            if current is None:
                raise NotFound(f"ResMan no longer has prospect {link.prospect_id}")
            renamed = {k: v for k, v in values.items() if k in ProspectName.model_fields and v}
            name = name.model_copy(update=renamed)  # what the update just posted
            await self._post_status(ids, name, link.property_id, lead.property_id, change, current)
        return link

    async def _post_status(
        self,
        ids: ProspectIds,
        name: ProspectName,
        property_id: str,
        domiq_property_id: str,
        change: StatusChange,
        current: Prospect,
    ) -> None:
        entry = self._settings.properties.get(domiq_property_id)
        agent = entry.agent_id if entry else None
        if change is StatusChange.LOST and not current.is_lost:
            reason = entry.lost_reason_id if entry else None
            if not reason:
                raise MappingMissing(
                    f"DomIQ disqualified a lead of {domiq_property_id}, and ResMan marks a "
                    f"prospect lost only with a reason: set [resman.properties."
                    f"{domiq_property_id}] lost_reason_id (an ID from GetLostProspectReasons)",
                    field=f"resman.properties.{domiq_property_id}.lost_reason_id",
                )
            xml = build_lost(
                ids, name=name, reason_id=reason, event_date=self._now(), agent_id=agent
            )
            await self._resman.post_lead(property_id, xml)
        elif change is StatusChange.REACTIVATE and current.is_lost:
            xml = build_reactivate(
                ids,
                name=name,
                event_date=self._now(),
                agent_id=agent,
                source_id=entry.source_id if entry else None,
            )
            await self._resman.post_lead(property_id, xml)

    async def _fields_to_domiq(self, item: OutboxItem, write: FieldWrite) -> Outcome:
        lead = await self._lead(item.conversation_id)
        link = await self._link(item.conversation_id)
        fields = write.fields
        planned = write.version
        body = fields_to_domiq_patch(fields)
        if lead.version != planned:
            if lead.version == planned + 1 and _holds(lead, body):  # ours, seen on the feed
                return Outcome(item.sync_type, Sent.UPDATED, link=_moved(link, fields, self._now()))
            return _superseded(item, planned, lead.version, None)
        moved = await self._resman_moved(link, fields)
        if moved:
            return _superseded(item, planned, lead.version, None, resman_moved=moved)
        try:
            updated = await self._domiq.patch_lead(lead.conversation_id, body, planned)
        except VersionConflict:
            current = await self._domiq.get_lead(lead.conversation_id)
            if current.version != planned + 1 or not _holds(current, body):
                return _superseded(item, planned, current.version, current)
            updated = current  # our own write, whose answer was lost
        self._view.seen(updated)
        return Outcome(
            item.sync_type,
            Sent.UPDATED,
            link=_moved(link, fields, self._now()),
            domiq_lead=updated,
        )

    async def _resman_moved(self, link: Link, fields: Mapping[str, Any]) -> list[str]:
        """The planned fields ResMan no longer holds, read just before a write to DomIQ.

        The values were read from ResMan when the write was planned (a poll, a drift
        scan) and the snapshot they were merged against may have moved since: our own
        write of a newer DomIQ edit can land in ResMan after that read and before the
        plan. Written anyway, ResMan's old value would overwrite that edit in DomIQ (and
        then win in ResMan too, as the last DomIQ change). ResMan has no version to write
        against, so its value is read again here; a prospect gone is left to the paths
        that look for it."""
        current = await self._prospect(link.property_id, link.prospect_id)
        if current is None:
            return []
        now = prospect_to_fields(current)
        return [
            name
            for name, value in fields.items()
            if name in now and now[name] != normalise_field(name, value)
        ]

    # ----------------------------------------------------------------- resolutions, reports

    async def _resolution(self, item: OutboxItem, decided: ResolutionWrite) -> Outcome:
        """Write a conflict's decided value to one side; the snapshot takes it."""
        if decided.conflict_type is ConflictType.DUPLICATE_CANDIDATE:
            return await self._settle_duplicate(item, decided)
        name = decided.field
        value = normalise_field(name, decided.value)
        if is_invalid(value):
            raise ValidationFailed(
                f"the value chosen for {name} cannot be written: {value.reason}; resolve the "
                "conflict again with a valid value",
                field=name,
            )
        lead = await self._lead(item.conversation_id)
        link = await self._link(item.conversation_id)
        fields = {name: value}
        updated: Lead | None = None
        if item.direction is SyncDirection.DOMIQ_TO_RESMAN:
            link = await self._write_resman(lead, link, fields)
        else:
            updated = await self._patch_latest(lead, fields_to_domiq_patch(fields))
            self._view.seen(updated)
        return Outcome(
            SyncType.RESOLUTION,
            Sent.RESOLVED,
            link=_moved(link, fields, self._now()),
            domiq_lead=updated,
            resolution=decided.resolution,
        )

    async def _settle_duplicate(self, item: OutboxItem, decided: ResolutionWrite) -> Outcome:
        """Carry out a person's answer to a `duplicate_candidate`: `domiq_wins` creates a
        new prospect, `resman_wins` links the first candidate, `merged` the candidate
        whose id is the final value; a linked pair then syncs by the usual rules. For a
        candidate another conversation holds (`LINKED_DUPLICATE_FIELD`), linking it
        links this conversation to it too (`Link.shared_by` names the conflict).

        Safe to repeat: a lead already linked is only merged again, and a create whose
        answer was lost is found by its marker. A chosen prospect that cannot be linked
        (gone, or another lead's by now when it was free when decided) is not guessed
        around: the lead is searched again, which adopts a single match, asks again
        when it should, or creates when only possible matches are left."""
        resolution = decided.resolution
        lead = await self._lead(item.conversation_id)
        link = await self._db.get_link(lead.conversation_id)
        if link is not None:
            prospect = await self._prospect(link.property_id, link.prospect_id)
            if prospect is None:
                raise NotFound(
                    f"ResMan no longer has prospect {link.prospect_id} linked to this lead; "
                    "unlink or re-create it by hand, then retry"
                )
            done = self._merged(lead, link.snapshot, prospect, link.property_id, Sent.MERGED)
            return _as_resolution(done, resolution)
        target = self._mapping.for_create(lead.property_id)
        if resolution is Resolution.DOMIQ_WINS:
            matches = await self._matches(lead, target.property_id)
            ours = [p for p in matches if created_for(p) == lead.conversation_id]
            if ours:  # our create landed, its answer or commit did not
                base = adopted_base(ours[0], lead.conversation_id, prospect_to_fields(ours[0]))
                done = self._merged(lead, base, ours[0], target.property_id, Sent.ADOPTED)
            else:
                done = await self._create(lead)
            return _as_resolution(done, resolution)
        chosen = candidate_ids(decided.value)
        prospect = await self._prospect(target.property_id, chosen[0]) if chosen else None
        shared = decided.field == LINKED_DUPLICATE_FIELD
        holders = await self._owners(lead.conversation_id, [prospect]) if prospect else {}
        held = prospect is not None and prospect.prospect_id in holders
        if prospect is not None and (shared or not held):
            share = decided.conflict_id if held else None
            done = self._merged(
                lead, None, prospect, target.property_id, Sent.LINKED, shared_by=share
            )
            return _as_resolution(done, resolution)
        again = await self._create_or_adopt(lead)
        note = (
            f"ResMan prospect {chosen[0] if chosen else '(none given)'} cannot be linked "
            "(not found at this property, or another lead's); the lead was searched again"
        )
        again = _as_resolution(again, resolution)
        again.error = f"{note}: {again.error}" if again.error else note
        return again

    async def _patch_latest(self, lead: Lead, body: dict[str, Any]) -> Lead:
        """A decided value goes onto the lead as it is now, whatever its version."""
        version = lead.version
        for _ in range(2):
            try:
                return await self._domiq.patch_lead(lead.conversation_id, body, version)
            except VersionConflict:
                current = await self._domiq.get_lead(lead.conversation_id)
                if _holds(current, body):
                    return current
                version = current.version
        raise TransientError(f"DomIQ lead {lead.conversation_id} keeps changing; will retry")

    async def _report(self, item: OutboxItem) -> Outcome:
        lead = await self._lead(item.conversation_id)
        answer = await self._domiq.report_sync(
            lead.conversation_id,
            lead.resman_sync_status,
            lead.resman_prospect_id,
            lead.last_sync_at,
        )
        self._view.seen(answer)
        return Outcome(SyncType.STATUS, Sent.REPORTED)


def _asked(asked: Ask, ours: Mapping[str, Any]) -> Outcome:
    """A person decides who this lead is in ResMan: nothing is created or linked. The
    item completes: the open conflict holds the lead (reconcile plans no create for it)
    and its resolution queues the work (`_settle_duplicate`)."""
    return Outcome(
        SyncType.CREATE,
        Sent.DUPLICATE_CANDIDATE,
        conflicts=[asked.conflict(ours)],
        status=AttemptStatus.CONFLICT,
        error=asked.message,
    )


def _as_resolution(outcome: Outcome, resolution: Resolution) -> Outcome:
    """A create/link outcome logged as the resolution that asked for it."""
    outcome.sync_type = SyncType.RESOLUTION
    outcome.resolution = resolution
    return outcome


@dataclass(frozen=True)
class _Checked:
    """Planned writes to ResMan, checked against the prospect as it is now."""

    to_resman: dict[str, Any]
    to_domiq: dict[str, Any]
    conflicts: list[FieldConflict]
    snapshot: dict[str, Any]
    """The link's snapshot once `to_resman` has landed (`to_domiq` keeps its old base)."""


def _checked(
    snapshot: Mapping[str, Any],
    planned: Mapping[str, Any],
    prospect: Prospect,
    open_fields: frozenset[str],
) -> _Checked:
    """DomIQ's planned values three-way merged with ResMan's, as just read, against the
    last agreed `snapshot`, for the planned fields only (the merge of the poll path):
    - ResMan still holds the agreed value: ours is written;
    - ResMan already holds ours (an earlier attempt landed): agreed, nothing is posted;
    - ResMan changed it too, to something else: a conflict (left open, see `MANUAL`),
      nothing is posted for it, the snapshot keeps the agreed value;
    - ours is the agreed value and ResMan moved: ResMan's goes to DomIQ.
    The other fields are not posted, so ResMan's changes to them are kept; the poller
    brings them to DomIQ."""
    names = [name for name in SYNCED_FIELDS if name in planned]
    result = merge(
        snapshot,
        planned,
        prospect_to_fields(prospect),
        MANUAL,
        open_conflicts=open_fields,
        fields=names,
    )
    after = {**snapshot, **result.new_snapshot}
    for name in result.to_domiq:
        if name in snapshot:
            after[name] = snapshot[name]
        else:
            after.pop(name, None)
    return _Checked(
        to_resman=dict(result.to_resman),
        to_domiq=dict(result.to_domiq),
        conflicts=list(result.conflicts),
        snapshot=after,
    )


def _moved(link: Link, fields: Mapping[str, Any], at: datetime) -> Link:
    """The link once both sides hold `fields`."""
    return link.model_copy(update={"snapshot": {**link.snapshot, **fields}, "agreed_at": at})


def _holds(lead: Lead, body: Mapping[str, Any]) -> bool:
    current = lead.model_dump(mode="json")
    return all(current.get(name) == value for name, value in body.items())


def _superseded(
    item: OutboxItem,
    planned: int,
    now_at: int,
    current: Lead | None,
    *,
    resman_moved: Sequence[str] = (),
) -> Outcome:
    """A planned write to DomIQ that one side moved on under: merged again instead."""
    if resman_moved:
        why = f"ResMan no longer holds the {', '.join(resman_moved)} this write was planned with"
    else:
        why = (
            f"DomIQ changed the lead after this write was planned (version {planned}, now {now_at})"
        )
    return Outcome(
        item.sync_type,
        Sent.SUPERSEDED,
        domiq_lead=current,
        follow_ups=[remerge_item(item.conversation_id, now_at, item.id)],
        status=AttemptStatus.FAILED,
        error=f"{why}; it is merged again instead",
        recheck=True,
    )
