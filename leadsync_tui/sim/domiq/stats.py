"""Counters behind `GET /_sim/stats`: what the simulator served and which faults it injected."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadsync_tui.sim.domiq.state import DomiqState
from leadsync_tui.sim.faults import Fault

WS_DROP = "ws_drop"
"""The fault kind counted when the live feed is cut before an event frame."""


def _no_faults() -> dict[str, int]:
    return {kind.value: 0 for kind in Fault} | {WS_DROP: 0}


@dataclass
class SimStats:
    requests: int = 0
    """`/v1` HTTP requests received, faulted or not."""
    ws_connections: int = 0
    """Live feed connections accepted with a valid token."""
    faults: dict[str, int] = field(default_factory=_no_faults)

    def count_fault(self, kind: str) -> None:
        self.faults[kind] = self.faults.get(kind, 0) + 1

    def report(self, state: DomiqState) -> dict[str, Any]:
        return {
            "leads": state.lead_count,
            "events": state.retained_events,
            "last_event_id": state.last_event_id,
            "subscribers": state.subscriber_count,
            "requests": self.requests,
            "ws_connections": self.ws_connections,
            "faults": dict(self.faults),
        }
