"""What a send did (`Sent`) and what the worker commits once it is confirmed (`Outcome`).

Apart from the writes themselves (`send_*.py`) because the worker, the walk-in import and
the tests read these without needing to know how any kind of item is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadsync_tui.models import AttemptStatus, Lead, Resolution, SyncType
from leadsync_tui.store.records import Link, NewOutboxItem
from leadsync_tui.sync.merge import FieldConflict


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


def moved_link(link: Link, fields: Mapping[str, Any], at: datetime) -> Link:
    """The link once both sides hold `fields`."""
    return link.model_copy(update={"snapshot": {**link.snapshot, **fields}, "agreed_at": at})
