"""Sync logs and metrics: attempts appended and held per lead, metrics computed from them."""

from __future__ import annotations

from collections.abc import Sequence

from leadsync_tui.models import LeadSyncLog
from leadsync_tui.store.changes import Change, LogsChanged, MetricsChanged
from leadsync_tui.store.metrics import compute_metrics
from leadsync_tui.store.store_state import StoreState


class LogActions(StoreState):
    """The sync log (the newest `logs_per_lead` a lead in the state) and the metrics."""

    # ----------------------------------------------------------------- logs and metrics

    async def _logs_appended(self, logs: Sequence[LeadSyncLog]) -> list[Change]:
        if not logs:
            return []
        await self._db.append_logs(logs)
        return self._hold_logs(logs)

    def _hold_logs(self, logs: Sequence[LeadSyncLog]) -> list[Change]:
        """Put already-persisted logs into the state (the newest `logs_per_lead` a lead)."""
        if not logs:
            return []
        touched: set[str] = set()
        for log in logs:
            held = self._state.sync_logs.setdefault(log.conversation_id, [])
            held.append(log)
            if len(held) > self._logs_per_lead:
                del held[: len(held) - self._logs_per_lead]
            touched.add(log.conversation_id)
        return [LogsChanged(frozenset(touched))]

    async def _refresh_metrics(self) -> list[Change]:
        now = self._now()
        logs = await self._db.recent_logs(now - self._metrics_window)
        counts = await self._db.outbox_counts()
        metrics = compute_metrics(logs, counts, now, self._metrics_window)
        return self._set("metrics", metrics, MetricsChanged(metrics))

    def _held_logs(self, logs: Sequence[LeadSyncLog]) -> list[Change]:
        """Logs committed elsewhere, added to the state unless it holds them already."""
        held_ids = {
            log.id
            for key in {log.conversation_id for log in logs}
            for log in self._state.sync_logs.get(key, ())
        }
        return self._hold_logs([log for log in logs if log.id not in held_ids])
