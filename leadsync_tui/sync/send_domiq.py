"""Writes values to a DomIQ lead: planned field writes from ResMan, and decided values.

Apart because DomIQ has versions and ResMan does not, so a write to DomIQ is checked
against both sides before it goes:
- a planned write whose lead moved on in DomIQ, or whose values ResMan no longer holds
  (read before our own write of a newer DomIQ edit landed there), is merged again
  (`remerge_item`), never written;
- a PATCH that meets 412 reads the lead: if it holds our values, our write landed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadsync_tui.clients.errors import TransientError, VersionConflict
from leadsync_tui.models import AttemptStatus, Lead
from leadsync_tui.store.payloads import FieldWrite
from leadsync_tui.store.records import Link, OutboxItem
from leadsync_tui.sync.mapping import fields_to_domiq_patch, normalise_field, prospect_to_fields
from leadsync_tui.sync.plan import remerge_item
from leadsync_tui.sync.send_outcome import Outcome, Sent, moved_link
from leadsync_tui.sync.send_reads import SendReads


class DomiqWrites(SendReads):
    """Field writes to DomIQ (`FieldWrite` items from ResMan) and a decided value's PATCH."""

    async def fields_to_domiq(self, item: OutboxItem, write: FieldWrite) -> Outcome:
        lead = await self._lead(item.conversation_id)
        link = await self._link(item.conversation_id)
        fields = write.fields
        planned = write.version
        body = fields_to_domiq_patch(fields)
        if lead.version != planned:
            if lead.version == planned + 1 and _holds(lead, body):  # ours, seen on the feed
                return Outcome(
                    item.sync_type, Sent.UPDATED, link=moved_link(link, fields, self._now())
                )
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
            link=moved_link(link, fields, self._now()),
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

    async def patch_latest(self, lead: Lead, body: dict[str, Any]) -> Lead:
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
