"""A new lead from the TUI form, created: in DomIQ, in the store, on its way to ResMan.

Three steps, each usable on its own (no Textual here; the screen calls them):
- `lead_form.check_field(name, text, today)` reads one field as typed into the value
  `LeadData` holds, or a message naming the problem and the fix; `read_form` does the
  whole form.
- `lead_preflight.preflight(desk, data)` looks before creating: mapping, required fields,
  placeholders, duplicates in the store and in ResMan. Errors block; warnings may be
  confirmed.
- `create_lead(desk, data, key, actor)` (here) creates the lead in DomIQ under an
  idempotency key (the form keeps one key for its whole life, so a double submit or a
  retry after a timeout returns the same lead), puts it into the store, asks the engine to
  send it to ResMan (it only creates prospects on its own for qualified chats), and
  audits it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from leadsync_tui.models import Lead, LeadData, utc_now
from leadsync_tui.store.records import AuditEntry
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.lead_preflight import PreflightFinding

AUDIT_ACTION = "create"


def new_idempotency_key() -> str:
    """One per form: every submit of that form (a retry, a double press) sends it."""
    return f"leadsync-form-{uuid.uuid4().hex}"


async def create_lead(
    desk: LeadDesk,
    data: LeadData,
    idempotency_key: str,
    actor: str,
    *,
    confirmed: Sequence[PreflightFinding] = (),
    now: Callable[[], Any] = utc_now,
) -> Lead:
    """Create the lead in DomIQ (once per key), hold it in the store, send it to ResMan.

    A repeat with the same key and data returns the same lead and audits nothing new.
    DomIQ's refusals leave as `SyncError`s (409 when the key was already used with other
    values: the earlier submit did create a lead).
    """
    lead = await desk.domiq.create_lead(data, idempotency_key)
    cid = lead.conversation_id
    await desk.store.merge_leads([lead])
    audited = any(e.action == AUDIT_ACTION for e in await desk.db.audit_entries(target=cid))
    if not audited:
        reason = "new lead form"
        if confirmed:
            reason += "; confirmed: " + " | ".join(f.message for f in confirmed)
        await desk.db.append_audit(
            [
                AuditEntry(
                    at=now(),
                    actor=actor,
                    action=AUDIT_ACTION,
                    target=cid,
                    before=None,
                    after=data.model_dump(mode="json"),
                    reason=reason,
                )
            ]
        )
    held = desk.store.state.leads.get(cid, lead)
    if held.resman_prospect_id is None:
        # The engine creates prospects by itself only for qualified chats; a lead typed
        # in by staff is a lead for ResMan now.
        await desk.store.push_lead(cid, actor=actor)
    return desk.store.state.leads.get(cid, lead)
