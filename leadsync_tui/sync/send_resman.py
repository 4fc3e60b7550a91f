"""Writes DomIQ's field changes to a linked ResMan prospect, with the status event they carry.

Apart because a write to ResMan has no version to write against, so it reads the
prospect first and merges (`_checked`); a resolution's decided value (`send_resolution`)
is posted the same way:
- field writes set absolute values; a lost/reactivate event is only posted when the
  prospect is not already in that state;
- a write to a linked prospect reads it first (one SearchProspects by ProspectID per
  item) and merges the planned values with ResMan's against the link's snapshot: a
  field ResMan changed too becomes a conflict and is not posted, one ResMan already
  holds is not posted again. The feed's quick pass plans without reading ResMan, so
  this read is what keeps an agent's unpolled edit from being overwritten. MITS has no
  conditional write (no If-Match, no version or LastModified in SearchProspects'
  answer), so a ResMan edit to the same field that lands between our read and our post
  (one round trip, milliseconds) is still overwritten; other fields are never posted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadsync_tui.clients.errors import NotFound
from leadsync_tui.clients.mits import (
    Prospect,
    ProspectIds,
    ProspectName,
    build_lost,
    build_reactivate,
    build_update,
)
from leadsync_tui.clients.resman import MappingMissing
from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.models import AttemptStatus, Lead
from leadsync_tui.store.payloads import FieldWrite
from leadsync_tui.store.records import Link, OutboxItem
from leadsync_tui.sync.mapping import (
    StatusChange,
    fields_to_prospect_fields,
    prospect_to_fields,
    resman_status_change,
)
from leadsync_tui.sync.merge import FieldConflict, MergeResult, merge
from leadsync_tui.sync.plan import MANUAL, PairPlan, plan_items
from leadsync_tui.sync.resman_name import name_to_post
from leadsync_tui.sync.send_outcome import Outcome, Sent
from leadsync_tui.sync.send_reads import SendReads


class ResmanWrites(SendReads):
    """Field writes to ResMan (`FieldWrite` items from DomIQ), checked against it first."""

    async def fields_to_resman(self, item: OutboxItem, write: FieldWrite) -> Outcome:
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
            link = await self.write_resman(lead, link, checked.to_resman, current)
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

    async def write_resman(
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
