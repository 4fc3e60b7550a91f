"""The lead detail's field table: DomIQ | ResMan | last agreed, marked and coloured.

A differing row is marked `≠` (`▲` when a conflict holds the field), a side that moved
since the last agreed value `•`; a value too long for its cell is cut and shown in full
on the detail line. The table draws itself from a `LeadComparison`, so the screen only
says what to show and how wide.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.screens.conflict_words import format_value
from leadsync_tui.sync.lead_compare import FieldComparison, LeadComparison, ResmanSide
from leadsync_tui.sync.mapping import InvalidValue
from leadsync_tui.widgets.cell_style import cell_style
from leadsync_tui.widgets.sync_error_alert import clean_text

FIELD_LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "email": "email",
    "phone": "phone",
    "desired_move_in": "move-in",
    "desired_bedrooms": "bedrooms",
    "desired_bathrooms": "bathrooms",
    "max_rent": "max rent",
    "pets": "pets",
    "notes": "notes",
    "qualification": "status",
}
"""Short labels (the table must fit 80 columns); `qualification` is active/lost."""
assert set(FIELD_LABELS) == set(SYNCED_FIELDS)
FIELD_WIDTH = max(len(label) for label in FIELD_LABELS.values())
"""The label column's width, fixed: an auto width measured before the rows landed came
out narrower on some renders."""

DIFFERS, CONFLICT, MOVED = "≠", "▲", " •"
"""Row marks, and the suffix of a value that moved since the last agreed one."""
LEGEND = (
    f"{DIFFERS} DomIQ and ResMan differ · {CONFLICT} open conflict (c) · "
    f"{MOVED.strip()} changed since last agreed"
)
NONE_YET = "none yet"
"""The last agreed column for a field both sides never agreed on."""
VALUE_WIDTH_MIN, VALUE_WIDTH_MAX = 8, 40
FIXED_WIDTH = 24
"""Mark, label, the cells' padding and the scrollbar: what the three value columns share
the rest of the width after."""
ResmanState = Literal["loading", "ready", "error", "offline"]
"""Where the ResMan column stands; `offline`: the session has no desk."""


class ComparisonTable(DataTable[object]):
    """The synced fields side by side; its component classes colour the marks."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "comparison--differs",
        "comparison--conflict",
        "comparison--muted",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._comparison: LeadComparison | None = None
        self._state: ResmanState = "loading"
        self._masked = False
        self._truncated: set[str] = set()
        """Fields a cell had to cut: the detail line shows them in full."""

    def show(
        self, comparison: LeadComparison | None, state: ResmanState, *, width: int, masked: bool
    ) -> None:
        """Draw `comparison` (None: the lead is not known) with value columns `width`
        wide, the ResMan column as `state` says, values masked when `masked`."""
        self._comparison, self._state, self._masked = comparison, state, masked
        row = self.cursor_row
        with self.app.batch_update():
            self.clear(columns=True)
            self.add_column(" ", key="mark", width=1)
            self.add_column("Field", key="field", width=FIELD_WIDTH)
            for key, label in (("domiq", "DomIQ"), ("resman", "ResMan"), ("agreed", "Last agreed")):
                self.add_column(label, key=key, width=width)
            self._truncated.clear()
            if comparison is not None:
                for index, compared in enumerate(comparison.fields):
                    self.add_row(*self._cells(compared, index, width), key=compared.field)
                self.move_cursor(row=min(row, self.row_count - 1), scroll=False)

    def detail(self) -> str | None:
        """The highlighted row in full, when a cell had to cut it (else None)."""
        row = self._highlighted()
        if row is None or row.field not in self._truncated:
            return None
        parts = [f"{FIELD_LABELS[row.field]}: DomIQ {self._full(row.field, row.domiq)}"]
        if self._comparison and self._comparison.resman_side is ResmanSide.FOUND:
            parts.append(f"ResMan {self._full(row.field, row.resman)}")
        if row.has_agreed:
            parts.append(f"last agreed {self._full(row.field, row.agreed)}")
        return " · ".join(parts)

    def _highlighted(self) -> FieldComparison | None:
        if self._comparison is None or not self.row_count:
            return None
        index = self.cursor_row
        fields = self._comparison.fields
        return fields[index] if 0 <= index < len(fields) else None

    def _cells(self, row: FieldComparison, index: int, width: int) -> list[Text]:
        assert self._comparison is not None
        conflicted = row.field in {c.field for c in self._comparison.conflicts}
        mark, style = " ", Style()
        if conflicted:
            mark, style = CONFLICT, self._style("conflict")
        elif row.differs:
            mark, style = DIFFERS, self._style("differs")
        muted = self._style("muted")
        values = [
            self._value(row.field, row.domiq, row.domiq_moved, width),
            self._resman_cell(row, index, width),
            self._agreed_cell(row, index, width),
        ]
        return [
            Text(mark, style=style, end=""),
            Text(FIELD_LABELS[row.field], style=style, end=""),
            *(Text(text, style=muted if faint else Style(), end="") for text, faint in values),
        ]

    def _resman_cell(self, row: FieldComparison, index: int, width: int) -> tuple[str, bool]:
        assert self._comparison is not None
        side = self._comparison.resman_side
        if side is ResmanSide.FOUND:
            return self._value(row.field, row.resman, row.resman_moved, width)
        placeholder = {
            "loading": "⟳ reading…",
            "error": "✖ unavailable",
            "offline": "not connected",
        }.get(self._state, "")
        if side is ResmanSide.NOT_LINKED:
            placeholder = "not in ResMan yet"
        elif side is ResmanSide.MISSING:
            placeholder = "✖ not found"
        return (placeholder if index == 0 else "", True)

    def _agreed_cell(self, row: FieldComparison, index: int, width: int) -> tuple[str, bool]:
        assert self._comparison is not None
        if self._comparison.link is None:
            unknown = "not connected" if self._state == "offline" else "never synced"
            return (unknown if index == 0 else "", True)
        if not row.has_agreed:
            return NONE_YET, True
        return self._value(row.field, row.agreed, False, width)

    def _value(self, field: str, value: Any, moved: bool, width: int) -> tuple[str, bool]:
        """A value as shown in a cell of `width` (see `_full`), cut with "…" to fit."""
        full = self._full(field, value)
        suffix = MOVED if moved else ""
        if len(full) + len(suffix) > width:
            self._truncated.add(field)
            full = clean_text(full, width - len(suffix))
        return full + suffix, False

    def _full(self, field: str, value: Any) -> str:
        """A value formatted (and masked) as a manager reads it; `⚠` marks one that
        cannot be carried to the other side as it is."""
        if isinstance(value, InvalidValue):
            return f"⚠ {format_value(field, value.raw, mask=self._masked)}"
        return format_value(field, value, mask=self._masked)

    def _style(self, component: str) -> Style:
        return cell_style(self, f"comparison--{component}")
