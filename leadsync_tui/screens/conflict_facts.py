"""The conflict dialog's read-only parts: its facts, the three values, the Final input.

Built from the conflict alone (and whether PII is masked), so the dialog's module keeps
only what changes as the manager decides: the choice, the reason, the running.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Label, Static

from leadsync_tui.models import ConflictType, LeadSyncConflict
from leadsync_tui.screens.conflict_edit import CandidateValidator, FieldValueValidator, edit_text
from leadsync_tui.screens.conflict_words import (
    SEVERITY_WORDS,
    duplicate_text,
    format_value,
    masked_text,
    words,
)
from leadsync_tui.widgets.sync_error_alert import clean_text


def fact(label: str, value: str, *, classes: str = "") -> Horizontal:
    """`Label  value` on one line; the value is never read as markup."""
    return Horizontal(
        Label(label, classes="fact-label"),
        Label(clean_text(value, 60), markup=False, classes=f"fact-value {classes}"),
        classes="fact",
    )


def severity_fact(conflict: LeadSyncConflict) -> Horizontal:
    """The severity, as a glyph and a word (it reads without colour too)."""
    severity = conflict.conflict_severity
    return fact("Severity", SEVERITY_WORDS[severity], classes=f"severity -{severity.value}")


def value_column(
    conflict: LeadSyncConflict, title: str, value: Any, key: str, mask: bool
) -> ComposeResult:
    """One side's value (`key`: domiq, resman or base) and whether it moved."""
    with Vertical(id=f"value-{key}", classes="value-column"):
        yield Label(title, classes="value-title")
        if conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE:
            shown = duplicate_text(value, mask=mask, ids=key == "resman")
        else:
            shown = format_value(conflict.field, value, mask=mask)
        yield Static(Content(shown), classes="value")
        if key != "base" and conflict.conflict_type is not ConflictType.DUPLICATE_CANDIDATE:
            moved = value != conflict.base_value
            yield Label("changed" if moved else "as agreed", classes="value-note")


def final_input(conflict: LeadSyncConflict, *, mask: bool) -> Input:
    """Where a merged value (or the duplicate to link) is typed, checked as typed."""
    if conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE:
        return Input(
            placeholder="the number or id of the candidate to link",
            validators=[CandidateValidator(conflict)],
            id="final",
        )
    field = conflict.field
    hidden = mask and masked_text(field, "x") != "x"  # a masked field
    return Input(
        "" if hidden else edit_text(conflict.domiq_value),
        placeholder=f"the {words(field)} to write to both sides"
        + (" (masked: type it)" if hidden else ""),
        validators=[FieldValueValidator(conflict.field)],
        id="final",
    )
