"""ResMan's MITS EventType vocabulary, shared by our client and our simulator.

One list, so the simulator accepts exactly what the client may send and the client reads
back exactly what the simulator writes (docs/resman-mits.md §8).
"""

from __future__ import annotations

EVENT_TYPES: tuple[str, ...] = (
    # Propexo's list of what ResMan accepts.
    "EmailToProspect",
    "EmailFromILS",
    "EmailFromProspect",
    "Email",
    "CallToProspect",
    "CallFromProspect",
    "Phone",
    "Show",
    "WalkIn",
    "Contact",
    "Other",
    "Cancel",
    "ReActivate",
    "Application",
    "TextToProspect",
    "TextFromProspect",
    # The wider MITS 4.0 list, and types seen coming back from ResMan.
    "ApplicationDenied",
    "Appointment",
    "Approve",
    "Approved",
    "CancelApplication",
    "CancelAppointment",
    "Chat",
    "Hold",
    "LeaseSign",
    "ReApply",
    "Release",
    "ReturnVisit",
    "Text",
    "Transfer",
    "WebService",
)
"""Known EventTypes in their canonical spelling."""

_BY_LOWER = {name.lower(): name for name in EVENT_TYPES}


def known_event_type(value: str) -> str | None:
    """The canonical spelling of an EventType matched case-insensitively, or None."""
    return _BY_LOWER.get(value.strip().lower())
