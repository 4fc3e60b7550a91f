"""Carries out a person's decision on a conflict: a decided value, or who a duplicate is.

Apart because a resolution reuses the other kinds of write (a value goes to ResMan as a
field write does, to DomIQ as a PATCH on the lead as it is now; a duplicate's answer
links, creates or searches again as a first link does) and only adds what the person
chose. Safe to repeat, like them.
"""

from __future__ import annotations

from leadsync_tui.clients.errors import ValidationFailed
from leadsync_tui.models import ConflictType, Lead, Resolution, SyncDirection, SyncType
from leadsync_tui.store.payloads import ResolutionWrite
from leadsync_tui.store.records import OutboxItem
from leadsync_tui.sync.mapping import (
    fields_to_domiq_patch,
    is_invalid,
    normalise_field,
    prospect_to_fields,
)
from leadsync_tui.sync.merge import LINKED_DUPLICATE_FIELD, candidate_ids
from leadsync_tui.sync.plan import adopted_base, created_for
from leadsync_tui.sync.send_domiq import DomiqWrites
from leadsync_tui.sync.send_links import LinkWrites
from leadsync_tui.sync.send_outcome import Outcome, Sent, moved_link
from leadsync_tui.sync.send_reads import SendParts, SendReads
from leadsync_tui.sync.send_resman import ResmanWrites


class ResolutionWrites(SendReads):
    """Resolution writes (`ResolutionWrite` items), on top of the other kinds of write."""

    def __init__(
        self,
        parts: SendParts,
        *,
        links: LinkWrites,
        to_resman: ResmanWrites,
        to_domiq: DomiqWrites,
    ) -> None:
        super().__init__(parts)
        self._links = links
        self._to_resman = to_resman
        self._to_domiq = to_domiq

    async def write(self, item: OutboxItem, decided: ResolutionWrite) -> Outcome:
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
            link = await self._to_resman.write_resman(lead, link, fields)
        else:
            updated = await self._to_domiq.patch_latest(lead, fields_to_domiq_patch(fields))
            self._view.seen(updated)
        return Outcome(
            SyncType.RESOLUTION,
            Sent.RESOLVED,
            link=moved_link(link, fields, self._now()),
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
        linked = await self._links.merge_linked(lead)
        if linked is not None:  # already linked: only merged again
            return _as_resolution(linked, resolution)
        target = self._mapping.for_create(lead.property_id)
        if resolution is Resolution.DOMIQ_WINS:
            matches = await self._links.matches(lead, target.property_id)
            ours = [p for p in matches if created_for(p) == lead.conversation_id]
            if ours:  # our create landed, its answer or commit did not
                base = adopted_base(ours[0], lead.conversation_id, prospect_to_fields(ours[0]))
                done = self._links.merged(lead, base, ours[0], target.property_id, Sent.ADOPTED)
            else:
                done = await self._links.create(lead)
            return _as_resolution(done, resolution)
        chosen = candidate_ids(decided.value)
        prospect = await self._prospect(target.property_id, chosen[0]) if chosen else None
        shared = decided.field == LINKED_DUPLICATE_FIELD
        holders = await self._links.owners(lead.conversation_id, [prospect]) if prospect else {}
        held = prospect is not None and prospect.prospect_id in holders
        if prospect is not None and (shared or not held):
            share = decided.conflict_id if held else None
            done = self._links.merged(
                lead, None, prospect, target.property_id, Sent.LINKED, shared_by=share
            )
            return _as_resolution(done, resolution)
        again = await self._links.create_or_adopt(lead)
        note = (
            f"ResMan prospect {chosen[0] if chosen else '(none given)'} cannot be linked "
            "(not found at this property, or another lead's); the lead was searched again"
        )
        again = _as_resolution(again, resolution)
        again.error = f"{note}: {again.error}" if again.error else note
        return again


def _as_resolution(outcome: Outcome, resolution: Resolution) -> Outcome:
    """A create/link outcome logged as the resolution that asked for it."""
    outcome.sync_type = SyncType.RESOLUTION
    outcome.resolution = resolution
    return outcome
