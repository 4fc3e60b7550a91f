"""leadsync's widgets: self-contained, fed by the screens, never talking to the network."""

from __future__ import annotations

from leadsync_tui.widgets.age import format_age
from leadsync_tui.widgets.lead_sync_status import BADGES, LeadSyncStatus, status_badge
from leadsync_tui.widgets.leads_table import LeadsTable
from leadsync_tui.widgets.pii import mask_email, mask_name, mask_phone

__all__ = [
    "BADGES",
    "LeadSyncStatus",
    "LeadsTable",
    "format_age",
    "mask_email",
    "mask_name",
    "mask_phone",
    "status_badge",
]
