"""Links a lead to its ResMan prospect: a push, a first link or a resync, and creates.

Apart because finding who a lead is in ResMan (search, adopt, ask, create) is its own
job, which a duplicate's resolution (`send_resolution`) runs again. Safe to run twice:
- a create searches ResMan first (email, then phone, then name) and `prospect_match`
  decides: our own prospect (a create whose answer was lost, `PostOutcomeUnknown`, or
  whose commit died) or one strong match nobody holds is adopted; several, or ones other
  conversations hold, create nothing: a `duplicate_candidate` conflict asks a person,
  and its resolution (create new, link the chosen one, or link it too) comes back as
  an item; possible matches only (a shared phone, a namesake) never block a create;
- a linked lead is merged with its prospect as it is now (`plan_pair`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadsync_tui.clients.errors import NotFound
from leadsync_tui.clients.mits import FirstContact, Prospect, build_create
from leadsync_tui.models import AttemptStatus, Lead, Qualification, SyncType
from leadsync_tui.store.records import Link, OutboxItem
from leadsync_tui.sync.mapping import lead_to_fields, new_prospect_fields, prospect_to_fields
from leadsync_tui.sync.plan import (
    MARKER,
    adopted_base,
    created_for,
    inferred_base,
    plan_items,
    plan_pair,
    valid_only,
)
from leadsync_tui.sync.prospect_match import Adopt, Ask, decide, judge
from leadsync_tui.sync.send_outcome import Outcome, Sent
from leadsync_tui.sync.send_reads import SendReads


class LinkWrites(SendReads):
    """Links, creates and adopts prospects (`LinkWrite` and `Resync` items)."""

    async def merge_linked(self, lead: Lead) -> Outcome | None:
        """A linked lead merged with its prospect as ResMan has it now (`NotFound` when
        ResMan lost it); None when the lead has no link yet."""
        link = await self._db.get_link(lead.conversation_id)
        if link is None:
            return None
        prospect = await self._prospect(link.property_id, link.prospect_id)
        if prospect is None:
            raise NotFound(
                f"ResMan no longer has prospect {link.prospect_id} linked to this lead; "
                "unlink or re-create it by hand, then retry"
            )
        return self.merged(lead, link.snapshot, prospect, link.property_id, Sent.MERGED)

    async def sync_lead(self, item: OutboxItem) -> Outcome:
        """A push, a first link or a resync: merge the lead with its prospect as it is
        now; create (or adopt) the prospect when there is none."""
        lead = await self._lead(item.conversation_id)
        merged = await self.merge_linked(lead)
        if merged is not None:
            return merged
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
                return self.merged(lead, base, prospect, property_id, Sent.LINKED, SyncType.CREATE)
        if lead.qualification is Qualification.DISQUALIFIED:
            return Outcome(
                SyncType.CREATE,
                Sent.SKIPPED,
                status=AttemptStatus.FAILED,
                error="DomIQ disqualified this lead; it is not sent to ResMan",
            )
        return await self.create_or_adopt(lead)

    async def create_or_adopt(self, lead: Lead) -> Outcome:
        """Search ResMan for this person, then create, adopt or ask (`prospect_match`)."""
        target = self._mapping.for_create(lead.property_id)
        cid = lead.conversation_id
        ours = lead_to_fields(lead)
        found = await self.matches(lead, target.property_id)
        owners = await self.owners(cid, found)
        decision = decide(cid, [judge(ours, p, owners.get(p.prospect_id)) for p in found])
        if isinstance(decision, Adopt):
            adopted = decision.candidate.prospect
            base = adopted_base(adopted, cid, prospect_to_fields(adopted))
            return self.merged(
                lead, base, adopted, target.property_id, Sent.ADOPTED, SyncType.CREATE
            )
        if isinstance(decision, Ask):
            return _asked(decision, ours)
        created = await self.create(lead)
        created.error = decision.note
        return created

    async def owners(self, cid: str, found: list[Prospect]) -> dict[str, str]:
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

    async def matches(self, lead: Lead, property_id: str) -> list[Prospect]:
        """ResMan's search-before-create: by email, else phone, else name."""
        usable = valid_only(lead_to_fields(lead))
        return await self._resman.find_matches(
            property_id,
            usable.get("email"),
            usable.get("phone"),
            usable.get("first_name"),
            usable.get("last_name"),
        )

    async def create(self, lead: Lead, sync_type: SyncType = SyncType.CREATE) -> Outcome:
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

    def merged(
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


def _asked(asked: Ask, ours: Mapping[str, Any]) -> Outcome:
    """A person decides who this lead is in ResMan: nothing is created or linked. The
    item completes: the open conflict holds the lead (reconcile plans no create for it)
    and its resolution queues the work (`send_resolution`)."""
    return Outcome(
        SyncType.CREATE,
        Sent.DUPLICATE_CANDIDATE,
        conflicts=[asked.conflict(ours)],
        status=AttemptStatus.CONFLICT,
        error=asked.message,
    )
