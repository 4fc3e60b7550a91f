"""How a conflict and a decision read: choice labels, values as shown, what a choice does.

The conflict dialog, the lead detail, the bulk actions and the triage toasts all say
conflicts and resolutions the same way; the words live here, apart from the dialog's
layout and keys (`conflict_modal`). Values are cut (upstream text is hostile) and masked
when PII is masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from leadsync_tui.models import (
    ConflictResolution,
    ConflictSeverity,
    ConflictType,
    LeadSyncConflict,
    Resolution,
)
from leadsync_tui.sync.mapping import is_invalid, normalise_field
from leadsync_tui.sync.merge import HELD_BY, LINKED_DUPLICATE_FIELD, candidate_ids, candidate_owners
from leadsync_tui.sync.normalisers import NORMALISERS
from leadsync_tui.widgets.pii import mask_email, mask_phone
from leadsync_tui.widgets.sync_error_alert import clean_text

EMPTY = "—"
"""Shown for a value that is not there (a cleared field, no agreed value yet)."""
VALUE_LIMIT = 1000
"""Characters of one value shown: upstream text is hostile and notes can be long."""
CHOICE_ORDER = (
    Resolution.DOMIQ_WINS,
    Resolution.RESMAN_WINS,
    Resolution.MERGED,
    Resolution.MANUAL_REVIEW,
)
"""The choices in key order: `1` is DomIQ wins ... `4` is manual review."""
CHOICE_LABELS = {
    Resolution.DOMIQ_WINS: "1 DomIQ wins",
    Resolution.RESMAN_WINS: "2 ResMan wins",
    Resolution.MERGED: "3 Merged value",
    Resolution.MANUAL_REVIEW: "4 Manual review",
}
RESOLUTION_WORDS = {
    Resolution.DOMIQ_WINS: "DomIQ wins",
    Resolution.RESMAN_WINS: "ResMan wins",
    Resolution.MERGED: "merged value",
    Resolution.MANUAL_REVIEW: "manual review",
}
"""A resolution as people say it (toasts), not its stored value (`resman_wins`)."""
DUPLICATE_LABELS = {
    Resolution.DOMIQ_WINS: "1 New prospect",
    Resolution.RESMAN_WINS: "2 1st candidate",
    Resolution.MERGED: "3 Pick one",
    Resolution.MANUAL_REVIEW: "4 Manual review",
}
"""The same four choices for a `duplicate_candidate`, named by what they do to ResMan."""
LINKED_LABELS = {**DUPLICATE_LABELS, Resolution.RESMAN_WINS: "2 Link too"}
"""A `duplicate_candidate` another conversation holds: `2` links this one to it too."""
SEVERITY_WORDS = {
    ConflictSeverity.HIGH: "▲ HIGH",
    ConflictSeverity.MEDIUM: "◆ MEDIUM",
    ConflictSeverity.LOW: "▽ LOW",
}
"""A glyph and a word, so severity reads without colour too."""

OutcomeAction = Literal["resolved", "escalated", "skipped"]


@dataclass(frozen=True)
class ConflictOutcome:
    """What the manager did; the modal dismisses with it (None means cancelled)."""

    conflict_id: str
    action: OutcomeAction
    resolution: ConflictResolution | None = None
    """Set when `action` is "resolved": what the store recorded."""
    reason: str = ""


def outcome_message(outcome: ConflictOutcome) -> str | None:
    """The toast after a decision in the dialog (None after a skip)."""
    if outcome.resolution is not None:
        resolution = outcome.resolution.resolution
        if resolution is Resolution.MANUAL_REVIEW:
            return "Conflict left for manual review"
        return f"Conflict resolved ({RESOLUTION_WORDS[resolution]})"
    if outcome.action == "escalated":
        return "Escalated"
    return None


def words(value: str) -> str:
    """`value_mismatch` -> `value mismatch`, for enum values and field names."""
    return value.replace("_", " ")


def format_value(field: str, value: Any, *, mask: bool = False) -> str:
    """A value as a manager reads it: `$1,850`, `Jan 15, 2027`, yes/no, `—` for none.

    A value the field's normaliser cannot read (a `format_invalid` conflict) is shown as
    it came, cleaned of control characters. `mask` hides names, emails and phones.
    """
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    normal = normalise_field(field, value) if field in NORMALISERS else value
    if not is_invalid(normal) and normal is not None:
        if field == "max_rent":
            return f"${normal:,}"
        if field == "desired_move_in":
            day = date.fromisoformat(normal)
            return f"{day:%b} {day.day}, {day.year}"
    text = clean_text(str(value), VALUE_LIMIT)
    if mask:
        return masked_text(field, text)
    return text


def masked_text(field: str, text: str) -> str:
    """`text` of `field` as shown with PII masked (other fields unchanged)."""
    if field == "phone":
        return mask_phone(text)
    if field == "email":
        return mask_email(text)
    if field in ("first_name", "last_name"):
        return f"{text[:1].upper()}."
    return text


def effect_of(conflict: LeadSyncConflict, choice: Resolution | None, *, mask: bool) -> str:
    """One line saying what the chosen resolution will write, and where."""
    field = words(conflict.field)
    if choice is None:
        return "Choose a resolution: 1-4, or click one."
    if conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE:
        return _duplicate_effect(conflict, choice)
    if choice is Resolution.MERGED:
        return "Writes the final value below to both DomIQ and ResMan."
    if choice is Resolution.MANUAL_REVIEW:
        return f"Writes nothing; the conflict stays open and blocks {field}."
    wins = choice is Resolution.DOMIQ_WINS
    value = conflict.domiq_value if wins else conflict.resman_value
    source, target = ("DomIQ", "ResMan") if wins else ("ResMan", "DomIQ")
    if value is None or value == "":
        return f"Clears {field} in {target}, as {source} did."
    shown = format_value(conflict.field, value, mask=mask)
    return f"Writes {source}'s {field} {shown} to {target}."


def choice_labels(conflict: LeadSyncConflict) -> dict[Resolution, str]:
    """The radio labels: what each choice does, in this conflict's terms."""
    if conflict.conflict_type is not ConflictType.DUPLICATE_CANDIDATE:
        return CHOICE_LABELS
    return LINKED_LABELS if conflict.field == LINKED_DUPLICATE_FIELD else DUPLICATE_LABELS


def _duplicate_effect(conflict: LeadSyncConflict, choice: Resolution) -> str:
    """What each choice does when several ResMan prospects could be this lead."""
    ids = candidate_ids(conflict.resman_value)
    if conflict.field == LINKED_DUPLICATE_FIELD:
        return _linked_effect(conflict, choice, ids)
    if choice is Resolution.DOMIQ_WINS:
        return (
            "Creates a new ResMan prospect for this lead; the "
            f"{len(ids)} candidates are left as they are."
        )
    if choice is Resolution.RESMAN_WINS:
        first = ids[0] if ids else "?"
        return (
            f"Links this lead to the first candidate, {first}; then both sync as usual "
            "(values that differ become conflicts)."
        )
    if choice is Resolution.MERGED:
        return "Links this lead to the candidate you name below (number or id); creates nothing."
    return "Writes nothing; nothing is created or linked in ResMan until this is decided."


def _linked_effect(conflict: LeadSyncConflict, choice: Resolution, ids: list[str]) -> str:
    """What each choice does when the prospect is already another conversation's."""
    owners = candidate_owners(conflict.resman_value)
    first = ids[0] if ids else "?"
    if choice is Resolution.DOMIQ_WINS:
        return (
            "Creates a second ResMan prospect for this lead; choose it only when this is "
            "a different person."
        )
    if choice is Resolution.RESMAN_WINS:
        held = owners.get(first)
        also = f", which conversation {held} already syncs with" if held else ""
        return (
            f"Links this conversation to {first} too{also}; both then sync with that one "
            "guest card (values that differ become conflicts); creates nothing."
        )
    if choice is Resolution.MERGED:
        return "Links this conversation to the candidate you name below too; creates nothing."
    return "Writes nothing; nothing is created or linked in ResMan until this is decided."


def duplicate_text(value: Any, *, mask: bool = False, ids: bool = False) -> str:
    """A `duplicate_candidate` value, one person a line: `[id · ]name · email · phone`
    (`ids`: each line starts with a prospect id, ResMan's side). `mask` hides names,
    emails and phones; prospect ids stay, they are not personal."""
    if value is None or value == "":
        return EMPTY
    lines = []
    for number, entry in enumerate(str(value).split("; "), start=1):
        parts = [clean_text(part, VALUE_LIMIT) for part in entry.split(" · ")]
        if mask:
            head = parts[:1] if ids else []
            parts = head + [_masked_part(part) for part in parts[len(head) :]]
        lines.append(f"{number}. " * ids + " · ".join(parts))
    return "\n".join(lines)


def _masked_part(part: str) -> str:
    if part.startswith(HELD_BY):
        return part  # a conversation id, not personal
    if "@" in part:
        return mask_email(part)
    if part.startswith("+") and part[1:].isdigit():
        return mask_phone(part)
    return " ".join(f"{word[:1].upper()}." for word in part.split())
