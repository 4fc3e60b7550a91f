"""What the engine tells the outside: one plain dict per attempt and per state change.

`leadsync sync --headless` prints each as a JSON line; the TUI and the tests can pass any
callable. Events carry ids, kinds, counts and error texts (which the clients already
scrub of secrets), never field values or settings: a log line must be safe to ship.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from leadsync_tui.models import (
    AttemptStatus,
    LeadSyncLog,
    Resolution,
    SyncDirection,
    SyncStatus,
    SyncType,
    format_utc,
)

logger = logging.getLogger(__name__)

EventSink = Callable[[dict[str, Any]], None]
"""Receives every engine event; it must not block (it runs on the event loop)."""


def ignore(event: dict[str, Any]) -> None:
    """The default sink."""


class Journal:
    """Builds `LeadSyncLog` rows and sends engine events to the sink."""

    def __init__(self, sink: EventSink, now: Callable[[], datetime]) -> None:
        self._sinks: list[EventSink] = [sink]
        self._now = now

    def listen(self, sink: EventSink) -> Callable[[], None]:
        """Also send every event to `sink` (metrics, alerts); call the result to stop.

        One stream for all of them, so what is counted is exactly what is logged."""
        self._sinks.append(sink)

        def stop() -> None:
            if sink in self._sinks:
                self._sinks.remove(sink)

        return stop

    def emit(self, event: str, **fields: Any) -> None:
        """One event; a failing sink is logged, never allowed to stop the engine."""
        record: dict[str, Any] = {"at": format_utc(self._now()), "event": event}
        record.update({key: value for key, value in fields.items() if value is not None})
        for sink in tuple(self._sinks):
            try:
                sink(record)
            except Exception:
                logger.exception("engine event sink failed on %s", event)

    def attempt(
        self,
        conversation_id: str,
        direction: SyncDirection,
        sync_type: SyncType,
        status: AttemptStatus,
        *,
        error: str | None = None,
        latency_ms: float | None = None,
        resolution: Resolution | None = None,
        outbox_id: int | None = None,
        attempt: int | None = None,
        outcome: str | None = None,
    ) -> LeadSyncLog:
        """The log row of one attempt, announced as an `attempt` event."""
        log = LeadSyncLog(
            id=f"log_{uuid.uuid4().hex}",
            conversation_id=conversation_id,
            sync_direction=direction,
            sync_status=status,
            sync_type=sync_type,
            created_at=self._now(),
            error_message=error,
            conflict_resolution=resolution,
            latency_ms=None if latency_ms is None else round(latency_ms, 1),
        )
        self.emit(
            "attempt",
            conversation_id=conversation_id,
            direction=direction.value,
            type=sync_type.value,
            status=status.value,
            outcome=outcome,
            error=error,
            resolution=None if resolution is None else resolution.value,
            latency_ms=log.latency_ms,
            outbox_id=outbox_id,
            attempt=attempt,
        )
        return log

    def status(self, conversation_id: str, before: SyncStatus | None, after: SyncStatus) -> None:
        if before != after:
            self.emit(
                "status",
                conversation_id=conversation_id,
                status=after.value,
                previous=None if before is None else before.value,
            )
