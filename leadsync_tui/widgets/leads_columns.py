"""The leads table's columns: what each shows, how it sorts, and how columns collapse.

Kept apart from the widget so the rules are plain functions: the layout for a width, the
text of a cell, the sort value of a lead, the text a filter searches. None of it touches
Textual.

Collapse order at narrow widths (`COLLAPSE_STEPS`), applied one step at a time until the
minimum widths fit: drop Prospect ID, drop Property, drop Qualification, shorten Contact,
shorten Name. At 80 columns the table shows Name, Contact, Qualification, Status and Last
sync; every cell is cut with "…", never wrapped, and a line never overflows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType
from typing import Final

from rich.cells import cell_len, set_cell_size

from leadsync_tui.models import Lead, Qualification, SyncStatus
from leadsync_tui.widgets.age import format_age
from leadsync_tui.widgets.lead_sync_status import BADGE_WIDTH, BADGES, status_badge
from leadsync_tui.widgets.pii import mask_email, mask_name, mask_phone

NAME: Final = "name"
PROPERTY: Final = "property"
CONTACT: Final = "contact"
QUALIFICATION: Final = "qualification"
STATUS: Final = "status"
LAST_SYNC: Final = "last_sync"
PROSPECT_ID: Final = "prospect_id"

GUTTER_WIDTH = 2
"""Cells left of the first column: a cursor mark and a row mark, readable without colour."""
SEPARATOR_WIDTH = 1
"""Blank cells between two columns."""
SORT_MARK_WIDTH = 2
"""Room for " ▲" / " ▼" after a header label."""
EMPTY = "—"
"""A cell with no value (no contact, no prospect id yet)."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its label and how much room it wants."""

    key: str
    label: str
    min_width: int
    """Fewest cells before the column is dropped or shortened (a collapse step)."""
    ideal_width: int
    """Cells it gets before any spare room goes to the flexible columns."""
    flex: int = 0
    """Share of the room left once every column has its ideal width."""


COLUMNS: tuple[Column, ...] = (
    Column(NAME, "Name", 14, 22, flex=2),
    Column(PROPERTY, "Property", 12, 18, flex=1),
    Column(CONTACT, "Contact", 20, 30, flex=2),
    Column(QUALIFICATION, "Qualification", 12, 15),
    Column(STATUS, "Status", BADGE_WIDTH, BADGE_WIDTH + SORT_MARK_WIDTH),
    Column(LAST_SYNC, "Last sync", 9, 11),
    Column(PROSPECT_ID, "Prospect ID", 13, 36),
)
"""All columns, left to right."""

COLUMN_KEYS: tuple[str, ...] = tuple(column.key for column in COLUMNS)

COLLAPSE_STEPS: tuple[tuple[str, int], ...] = (
    (PROSPECT_ID, 0),
    (PROPERTY, 0),
    (QUALIFICATION, 0),
    (CONTACT, 10),
    (NAME, 8),
)
"""(column, new minimum width; 0 drops it), tried in this order until the table fits."""


@dataclass(frozen=True, slots=True)
class Slot:
    """A column placed on a line: where it starts and how wide it is."""

    column: Column
    x: int
    width: int


def layout_columns(width: int) -> tuple[Slot, ...]:
    """Place the columns in `width` cells: collapse until they fit, then share the rest.

    Spare room first brings every column toward its ideal width (in proportion to what
    it lacks), then goes to the flexible columns by weight. The result never exceeds
    `width`; if even the last collapse step does not fit, the rightmost columns are cut.
    """
    available = max(0, width - GUTTER_WIDTH)
    columns = list(COLUMNS)
    steps = iter(COLLAPSE_STEPS)
    while _needed(columns) > available:
        step = next(steps, None)
        if step is None:
            break
        key, new_min = step
        columns = [
            replace(c, min_width=new_min) if c.key == key else c
            for c in columns
            if not (c.key == key and new_min == 0)
        ]
    widths = [c.min_width for c in columns]
    spare = available - _needed(columns)
    if spare > 0:
        spare = _grow(widths, [c.ideal_width - c.min_width for c in columns], spare)
    if spare > 0:
        _grow(widths, [c.flex * available for c in columns], spare, cap=False)
    return _place(columns, widths, available)


def _needed(columns: list[Column]) -> int:
    return sum(c.min_width for c in columns) + SEPARATOR_WIDTH * max(0, len(columns) - 1)


def _grow(widths: list[int], wants: list[int], spare: int, *, cap: bool = True) -> int:
    """Hand `spare` cells out in proportion to `wants` (capped at it); return what is left."""
    total = sum(wants)
    if total <= 0:
        return spare
    if cap and spare >= total:
        for index, want in enumerate(wants):
            widths[index] += want
        return spare - total
    given = 0
    for index, want in enumerate(wants):
        share = spare * want // total
        widths[index] += share
        given += share
    # Rounding leftovers go one by one to the columns that want the most.
    order = sorted(range(len(wants)), key=lambda i: -wants[i])
    for index in order[: spare - given]:
        if wants[index] > 0:
            widths[index] += 1
            given += 1
    return spare - given


def _place(columns: list[Column], widths: list[int], available: int) -> tuple[Slot, ...]:
    slots: list[Slot] = []
    x = GUTTER_WIDTH
    end = GUTTER_WIDTH + available
    for column, width in zip(columns, widths, strict=True):
        width = min(width, end - x)
        if width <= 0:
            break
        slots.append(Slot(column, x, width))
        x += width + SEPARATOR_WIDTH
    return tuple(slots)


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells: padded, or cut with "…" (never wrapped)."""
    length = cell_len(text)
    if length == width:
        return text
    if length < width:
        return text + " " * (width - length)
    if width <= 1:
        return "…"[:width]
    return set_cell_size(text, width - 1) + "…"


def header_label(column: Column, width: int, sort_mark: str | None) -> str:
    """The header text for `column`, with " ▲"/" ▼" when it is the sort column."""
    if sort_mark is None:
        return fit(column.label, width)
    if width <= SORT_MARK_WIDTH:
        return fit(sort_mark, width)
    label = fit(column.label, width - SORT_MARK_WIDTH).rstrip()
    return fit(f"{label} {sort_mark}", width)


NO_NAMES: Mapping[str, str] = MappingProxyType({})
"""No property has a name: ids are shown."""


def property_label(property_id: str, names: Mapping[str, str]) -> str:
    """The property's name where the config gives one (`[resman.properties.<id>] name`),
    else its DomIQ id."""
    return names.get(property_id) or property_id


def property_detail(property_id: str, names: Mapping[str, str]) -> str:
    """ "Oakridge Commons (prop_oakridge)", or the id alone when it has no name."""
    name = names.get(property_id)
    return f"{name} ({property_id})" if name else property_id


def cell_text(
    column_key: str, lead: Lead, now: datetime, mask: bool, names: Mapping[str, str] = NO_NAMES
) -> str:
    """What a cell shows, before fitting. `mask` hides names, emails and phones; `names`
    are the properties' names."""
    if column_key == NAME:
        return mask_name(lead.first_name, lead.last_name) if mask else lead.full_name
    if column_key == PROPERTY:
        return property_label(lead.property_id, names)
    if column_key == CONTACT:
        return contact_text(lead, mask)
    if column_key == QUALIFICATION:
        return lead.qualification.value
    if column_key == STATUS:
        return status_badge(lead.resman_sync_status).plain
    if column_key == LAST_SYNC:
        return format_age(lead.last_sync_at, now)
    if column_key == PROSPECT_ID:
        return lead.resman_prospect_id or EMPTY
    raise KeyError(column_key)


def contact_text(lead: Lead, mask: bool) -> str:
    """Email if there is one, else phone, else a dash."""
    if lead.email:
        return mask_email(lead.email) if mask else lead.email
    if lead.phone:
        return mask_phone(lead.phone) if mask else lead.phone
    return EMPTY


_STATUS_WORDS: dict[str, str] = {str(status): badge.word for status, badge in BADGES.items()}


def search_text(lead: Lead, names: Mapping[str, str] = NO_NAMES) -> str:
    """What the `/` filter searches for this lead: every column's text, lower-cased.

    The age is left out (it changes by itself, so a match would come and go), and the
    real values are searched even while PII is masked, so an operator sharing a screen
    can still find a lead by its email. Both email and phone are searched.
    Fields are joined with a separator no typed filter contains, so a match never spans
    two fields. Built with one f-string: it runs once per row on a 100k load. The
    property is found by its id and by its name.
    """
    return (
        f"{lead.first_name} {lead.last_name}\x1f{lead.property_id}\x1f"
        f"{names.get(lead.property_id, '')}\x1f{lead.email or ''}"
        f"\x1f{lead.phone or ''}\x1f{lead.qualification}\x1f"
        f"{_STATUS_WORDS[lead.resman_sync_status]}\x1f{lead.resman_prospect_id or ''}"
    ).lower()


def fold(text: str) -> str:
    """How filter input is normalised to match `search_text`."""
    return text.strip().lower()


STATUS_RANK: Mapping[str, int] = MappingProxyType(
    {
        SyncStatus.FAILED: 0,
        SyncStatus.CONFLICT: 1,
        SyncStatus.SYNCING: 2,
        SyncStatus.NOT_SYNCED: 3,
        SyncStatus.SYNCED: 4,
    }
)
"""Ascending status sort puts what needs a person first."""

QUALIFICATION_RANK: Mapping[str, int] = MappingProxyType(
    {q: index for index, q in enumerate(Qualification)}
)
"""Ascending qualification sort follows the funnel: new, qualified, disqualified."""

_STATUS_RANK = dict(STATUS_RANK)
_QUALIFICATION_RANK = dict(QUALIFICATION_RANK)


def _last_sync_rank(lead: Lead) -> int:
    """Whole seconds since the epoch, plus one; never-synced leads are 0, the oldest."""
    return int(lead.last_sync_at.timestamp()) + 1 if lead.last_sync_at else 0


TEXT_SORT: Mapping[str, Callable[[Lead], str]] = MappingProxyType(
    {
        NAME: lambda lead: f"{lead.first_name} {lead.last_name}".lower(),
        PROPERTY: lambda lead: lead.property_id.lower(),
        CONTACT: lambda lead: (lead.email or lead.phone or "").lower(),
        PROSPECT_ID: lambda lead: (lead.resman_prospect_id or "").lower(),
    }
)
"""Columns that sort as text, case-insensitively."""

NUMBER_SORT: Mapping[str, Callable[[Lead], int]] = MappingProxyType(
    {
        QUALIFICATION: lambda lead: _QUALIFICATION_RANK[lead.qualification],
        STATUS: lambda lead: _STATUS_RANK[lead.resman_sync_status],
        LAST_SYNC: _last_sync_rank,
    }
)
"""Columns that sort by a small non-negative integer (< 2**31)."""
