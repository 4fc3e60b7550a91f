"""What a manager types in the conflict dialog: a merged value, or the duplicate to link.

Both are checked as typed with the sync's own rules (the normalisers, the candidates
shown), so a decision the sync would refuse never leaves the dialog.
"""

from __future__ import annotations

from typing import Any

from textual.validation import ValidationResult, Validator

from leadsync_tui.models import LeadSyncConflict
from leadsync_tui.screens.conflict_words import words
from leadsync_tui.sync.mapping import is_invalid, normalise_field
from leadsync_tui.sync.merge import candidate_ids
from leadsync_tui.sync.normalisers import NORMALISERS
from leadsync_tui.widgets.sync_error_alert import clean_text


def chosen_candidate(conflict: LeadSyncConflict, text: str) -> tuple[str | None, str | None]:
    """The prospect id a `duplicate_candidate`'s "pick by id" links (typed as the id or
    as the candidate's number in the list), or the problem."""
    listed = candidate_ids(conflict.resman_value)
    typed = text.strip().rstrip(".")
    if typed.isdigit() and 1 <= int(typed) <= len(listed):
        return listed[int(typed) - 1], None
    picked = candidate_ids(text.strip())
    if not picked:
        return None, "Enter the number or the id of the candidate to link."
    known = {i.lower(): i for i in listed}
    if picked[0].lower() not in known:
        return None, f"{clean_text(picked[0], 60)} is not one of the candidates shown."
    return known[picked[0].lower()], None


def edit_text(value: Any) -> str:
    """A value as text to edit in the merged input (booleans as yes/no)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def merged_value(field: str, text: str) -> tuple[Any, str | None]:
    """The value a merged resolution writes, or None and the problem in words."""
    if not text.strip():
        return None, "Enter the value to write to both sides."
    if field not in NORMALISERS:
        return text.strip(), None
    value = normalise_field(field, text)
    if is_invalid(value):
        return None, clean_text(value.reason, 200)
    if value is None:
        return None, f"{text.strip()!r} clears {words(field)}; a merged value cannot be empty."
    return value, None


class FieldValueValidator(Validator):
    """Checks a merged value with the sync's own normaliser, as the manager types."""

    def __init__(self, field: str) -> None:
        super().__init__()
        self.field = field

    def validate(self, value: str) -> ValidationResult:
        _, problem = merged_value(self.field, value)
        return self.success() if problem is None else self.failure(problem, value)


class CandidateValidator(Validator):
    """Checks that a duplicate's "pick by id" names one of the candidates shown."""

    def __init__(self, conflict: LeadSyncConflict) -> None:
        super().__init__()
        self.conflict = conflict

    def validate(self, value: str) -> ValidationResult:
        _, problem = chosen_candidate(self.conflict, value)
        return self.success() if problem is None else self.failure(problem, value)
