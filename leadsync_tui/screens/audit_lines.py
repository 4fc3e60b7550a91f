"""An audit entry in one line, as the lead detail lists a lead's trail.

When (UTC), who, what, the states it moved and why; never the personal values an entry
may hold (only the state keys are read).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadsync_tui.models import format_utc
from leadsync_tui.screens.comparison_table import FIELD_LABELS
from leadsync_tui.screens.conflict_words import words
from leadsync_tui.store.records import AuditEntry
from leadsync_tui.widgets.sync_error_alert import clean_text

_STATUS_KEYS = ("qualification", "resman_sync_status", "resolution_status")
"""Audit before/after keys worth a line: states, never personal values."""


def audit_line(entry: AuditEntry) -> str:
    """One audit entry in a line: when (UTC), who, what, the state it moved, and why."""
    line = f"{format_utc(entry.at)[5:16].replace('T', ' ')} {clean_text(entry.actor, 40)} "
    line += words(entry.action)
    field = (entry.before or {}).get("field")
    if isinstance(field, str) and field in FIELD_LABELS:
        line += f" ({FIELD_LABELS[field]})"
    moves = list(_moves(entry.before or {}, entry.after or {}))
    if moves:
        line += ": " + "; ".join(moves)
    if entry.reason:
        line += f" · “{clean_text(entry.reason, 200)}”"
    return line


def _moves(before: dict[str, Any], after: dict[str, Any]) -> Iterable[str]:
    for key in _STATUS_KEYS:
        if key in after and before.get(key) != after[key]:
            old = before.get(key)
            yield f"{words(str(old)) if old is not None else '—'} → {words(str(after[key]))}"
    resolution = after.get("resolution")
    if isinstance(resolution, dict) and isinstance(resolution.get("resolution"), str):
        yield words(resolution["resolution"])
