"""The embedded DomIQ simulator: in-memory state plus the v1 REST + WebSocket contract.

Build a `DomiqState`, wrap it with `create_domiq_app(state, token=..., faults=...)` and
serve that with `leadsync_tui.http_server.serve_asgi`; seed it with `seed_lead` and drive
it (as the bot would) with `start_conversation`, `edit_lead` and `qualify`.
"""

from __future__ import annotations

from leadsync_tui.sim.domiq.app import create_domiq_app
from leadsync_tui.sim.domiq.errors import (
    BadRequest,
    DomiqError,
    Duplicate,
    InvalidField,
    NotFound,
    VersionMismatch,
)
from leadsync_tui.sim.domiq.state import DEFAULT_EVENT_WINDOW, DomiqState, Subscription

__all__ = [
    "DEFAULT_EVENT_WINDOW",
    "BadRequest",
    "DomiqError",
    "DomiqState",
    "Duplicate",
    "InvalidField",
    "NotFound",
    "Subscription",
    "VersionMismatch",
    "create_domiq_app",
]
