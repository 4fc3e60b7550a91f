"""What a ResMan `ErrorDescription` is about, read from its text: one classifier for the
client (which error to raise, `clients.errors.rejected`) and the store (how the metrics
screen groups logged errors, `store.error_groups`), kept below both so neither imports
the other.

Order matters: an unknown ProspectID is "not found" before it is "invalid"; a bad
source, agent or lost reason is a setting to fix even when the text names the
property; an unknown PropertyID is a credentials/scope problem, not a value.
"""

from __future__ import annotations

import re
from enum import StrEnum


class RejectionKind(StrEnum):
    """What a ResMan `ErrorDescription` is about, as far as its text tells."""

    AUTH = "auth"
    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    TRANSIENT = "transient"
    UNKNOWN = "unknown"


_NOT_FOUND = re.compile(
    r"\b(prospect|person|guest ?card)(?!\s*(source|reason))\s*(id)?\b.*"
    r"\b(not (be )?found|does not exist|unknown|no such)\b|"
    r"\b(unknown|invalid|no such)\s+(prospect|person|guest ?card)(?!\s*(source|reason))",
    re.IGNORECASE,
)
_AUTH = re.compile(
    r"credential|api ?key|integration ?partner|unauthori[sz]ed|not authori[sz]ed|"
    r"authenticat|access denied|permission|forbidden|"
    r"\b(account|property) ?(id)?\b.*\b(not (be )?found|does not exist|unknown|invalid)\b|"
    r"\b(unknown|invalid) (account|property)",
    re.IGNORECASE,
)
_DUPLICATE = re.compile(r"duplicate|already exists", re.IGNORECASE)
_TRANSIENT = re.compile(
    r"deadlock|time ?out|timed out|temporarily|try again|unavailable", re.IGNORECASE
)
_SETTINGS = 3
"""The first entries below are per-property settings, checked before credentials."""
_VALIDATION_FIELDS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"transaction ?source|prospect ?source|\bsource\b", re.IGNORECASE), "source_id"),
    (re.compile(r"\bagent|employee", re.IGNORECASE), "agent_id"),
    (re.compile(r"lost ?reason", re.IGNORECASE), "lost_reason_id"),
    (re.compile(r"first ?name", re.IGNORECASE), "first_name"),
    (re.compile(r"last ?name", re.IGNORECASE), "last_name"),
    (re.compile(r"e-?mail", re.IGNORECASE), "email"),
    (re.compile(r"phone", re.IGNORECASE), "phone"),
    (re.compile(r"move ?in", re.IGNORECASE), "desired_move_in"),
    (re.compile(r"\brent\b|desired ?rent", re.IGNORECASE), "max_rent"),
    (re.compile(r"bedroom", re.IGNORECASE), "desired_bedrooms"),
    (re.compile(r"bathroom", re.IGNORECASE), "desired_bathrooms"),
    (re.compile(r"\bname\b", re.IGNORECASE), None),
    (
        re.compile(
            r"required|missing|invalid|not valid|must|too long|exceeds|not well-formed|"
            r"eventtype|\bxml\b",
            re.IGNORECASE,
        ),
        None,
    ),
)


def rejection_kind(text: str) -> tuple[RejectionKind, str | None]:
    """The kind of rejection `text` describes, and the field it names (validation only)."""
    if _NOT_FOUND.search(text):
        return RejectionKind.NOT_FOUND, None
    for pattern, field in _VALIDATION_FIELDS[:_SETTINGS]:
        if pattern.search(text):
            return RejectionKind.VALIDATION, field
    if _AUTH.search(text):
        return RejectionKind.AUTH, None
    if _DUPLICATE.search(text):
        return RejectionKind.DUPLICATE, None
    if _TRANSIENT.search(text):
        return RejectionKind.TRANSIENT, None
    for pattern, field in _VALIDATION_FIELDS:
        if pattern.search(text):
            return RejectionKind.VALIDATION, field
    return RejectionKind.UNKNOWN, None
