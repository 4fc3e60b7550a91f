"""A DomIQ conversation: its transcript, and qualifying it (the spec's ChatModal).

Qualifying asks DomIQ (`POST /v1/conversations/{id}/qualify`, idempotent), which makes
the chat a lead when it was not one; the lead DomIQ answers goes into the store at once
(as the live feed's `lead.updated` would), so the table shows it and the engine, which
watches the store, queues its first sync: a qualified lead gets a ResMan prospect. The
qualification is a human action, so it is audited with the lead's qualification before
and after. Headless: no Textual here.
"""

from __future__ import annotations

from leadsync_tui.models import Lead, Qualification, TranscriptMessage
from leadsync_tui.sync.lead_desk import LeadDesk

QUALIFY_ACTION = "qualify_conversation"
"""The audit entry's `action` for a qualification."""


class AlreadyQualified(ValueError):
    """The lead is qualified already: there is nothing to do."""


async def transcript(desk: LeadDesk, conversation_id: str) -> list[TranscriptMessage]:
    """The conversation's messages, oldest first (DomIQ's order). Client errors
    (`errors.SyncError` subclasses, `NotFound` for an unknown id) pass through."""
    return await desk.domiq.transcript(conversation_id)


def can_qualify(lead: Lead | None) -> bool:
    """Whether a person may qualify this conversation here: a chat that is no lead yet
    (None) or a `new` lead. A disqualified lead was judged already; reviving it is an
    edit in DomIQ, not a qualification."""
    return lead is None or lead.qualification is Qualification.NEW


async def qualify(
    desk: LeadDesk,
    conversation_id: str,
    actor: str,
    *,
    reason: str | None = None,
) -> Lead:
    """Qualify the conversation in DomIQ, put the lead in the store, audit it; the lead.

    `AlreadyQualified` when the store holds it qualified (nothing is sent). Client
    errors pass through; then nothing was stored or audited.
    """
    if not actor.strip():
        raise ValueError("a qualification needs to say who qualified it")
    before = desk.store.state.leads.get(conversation_id)
    if before is not None and not can_qualify(before):
        raise AlreadyQualified(
            f"lead {conversation_id} is {before.qualification.value} already; "
            "only new leads and chats are qualified here"
        )
    lead = await desk.domiq.qualify(conversation_id)
    await desk.store.merge_leads([lead])
    await desk.store.record_audit(
        actor=actor,
        action=QUALIFY_ACTION,
        target=conversation_id,
        before={
            "qualification": before.qualification.value if before else None,
            "version": before.version if before else None,
        },
        after={"qualification": lead.qualification.value, "version": lead.version},
        reason=reason,
    )
    return lead
