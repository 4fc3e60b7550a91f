"""What `leadsync status` says about the last drift scan (`sync.drift`).

Drift the scan repaired, or handed to a person as a conflict, is the sync working; drift
it could not repair (report-only, a record gone from one side, a repair left unsent) or
a scan that could not finish makes the sync degraded until a scan finds it in step.
"""

from __future__ import annotations

from typing import Any


def drift_problems(state: dict[str, Any] | None) -> list[str]:
    """The status problem lines for the last scan (none when it is fine)."""
    if not state:
        return []
    if state.get("error"):
        return [
            f"the last drift scan ({state.get('at')}) could not finish: {state['error']}; "
            "run `leadsync drift` again once both systems answer"
        ]
    unrepaired = int(state.get("unrepaired") or 0)
    if unrepaired:
        return [
            f"the last drift scan ({state.get('at')}) found {unrepaired} linked pair(s) out "
            "of step it did not repair: `leadsync drift --repair` repairs them (a record "
            "gone from one side needs a person: see `leadsync drift`)"
        ]
    return []


def drift_summary(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """The `status --json` view: counts, times and ids (no per-finding detail)."""
    if not state:
        return None
    keys = (
        "at",
        "pairs_checked",
        "out_of_step",
        "repaired",
        "conflicts",
        "unrepaired",
        "last_agreement_at",
        "error",
        "unrepaired_ids",
    )
    return {key: state.get(key) for key in keys}


def drift_line(state: dict[str, Any] | None) -> str:
    """One line for `status`: when the last scan ran and what it found."""
    if not state:
        return "no drift scan yet (`leadsync drift`)"
    if state.get("error"):
        return f"last scan {state.get('at')}: could not finish"
    line = (
        f"last scan {state.get('at')}: {state.get('pairs_checked', 0):,} pairs, "
        f"{state.get('out_of_step', 0):,} out of step"
    )
    if state.get("out_of_step"):
        line += (
            f" ({state.get('repaired', 0):,} repaired, {state.get('conflicts', 0):,} "
            f"conflict(s), {state.get('unrepaired', 0):,} unrepaired)"
        )
    agreed = state.get("last_agreement_at")
    return line + f"; last full agreement at {agreed or '-'}"
