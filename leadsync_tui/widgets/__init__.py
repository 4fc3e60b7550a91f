"""leadsync's widgets: self-contained, fed by the screens, never talking to the network."""

from __future__ import annotations

from leadsync_tui.widgets.age import format_age
from leadsync_tui.widgets.conflict_banner import ConflictNotificationBanner
from leadsync_tui.widgets.lead_sync_status import BADGES, LeadSyncStatus, status_badge
from leadsync_tui.widgets.leads_table import LeadsTable
from leadsync_tui.widgets.pii import mask_email, mask_name, mask_phone
from leadsync_tui.widgets.realtime_indicator import RealTimeSyncIndicator
from leadsync_tui.widgets.sync_error_alert import SyncErrorAlert
from leadsync_tui.widgets.sync_log_viewer import LeadSyncLogViewer
from leadsync_tui.widgets.sync_metrics import SyncMetricsWidget

__all__ = [
    "BADGES",
    "ConflictNotificationBanner",
    "LeadSyncLogViewer",
    "LeadSyncStatus",
    "LeadsTable",
    "RealTimeSyncIndicator",
    "SyncErrorAlert",
    "SyncMetricsWidget",
    "format_age",
    "mask_email",
    "mask_name",
    "mask_phone",
    "status_badge",
]
