"""Which name leadsync sends with a ResMan update that does not change the name.

Every post names its Customer (see `clients.mits_requests`), so an update of the phone
alone, a lost or a reactivate post still carries a FirstName and a LastName. ResMan's
name as just read comes first, so such a post never reverts a rename an agent made in
ResMan; then the last agreed snapshot; then DomIQ's lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadsync_tui.clients.mits import Prospect, ProspectName
from leadsync_tui.models import Lead


def name_to_post(current: Prospect | None, snapshot: Mapping[str, Any], lead: Lead) -> ProspectName:
    """The first complete (first and last) name of: ResMan now, the snapshot, the lead."""
    candidates = [
        (current.first_name, current.last_name) if current else (None, None),
        (snapshot.get("first_name"), snapshot.get("last_name")),
        (lead.first_name, lead.last_name),
    ]
    for first, last in candidates:
        if isinstance(first, str) and first.strip() and isinstance(last, str) and last.strip():
            return ProspectName(first_name=first, last_name=last)
    return ProspectName(first_name=lead.first_name, last_name=lead.last_name)
