"""The leads in view, written to a CSV file exactly as the table shows them.

`e` on the dashboard exports the rows shown (filter, key filter and sort applied, in
that order) with every column, not only those that fit the terminal, plus both ids and
the exact last sync time. Masked PII stays masked in the file: an export made while
sharing a screen must not carry what the screen hid. Cells that a spreadsheet would run
as a formula are defused with a leading apostrophe (CSV injection). The file is the
operator's alone (0600), whatever the umask.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from leadsync_tui.models import Lead
from leadsync_tui.private_files import open_private
from leadsync_tui.widgets.leads_columns import cell_text
from leadsync_tui.widgets.pii import mask_email, mask_name, mask_phone

HEADER: tuple[str, ...] = (
    "conversation_id",
    "name",
    "property",
    "email",
    "phone",
    "qualification",
    "status",
    "last_sync_at",
    "last_sync",
    "resman_prospect_id",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_file_name(now: datetime) -> str:
    """`leadsync-export-20261125-103000.csv`: sorts by time, never overwrites a minute ago's."""
    return f"leadsync-export-{now:%Y%m%d-%H%M%S}.csv"


def lead_row(lead: Lead, now: datetime, *, mask: bool) -> list[str]:
    """One lead as CSV cells, in `HEADER` order."""
    name = mask_name(lead.first_name, lead.last_name) if mask else lead.full_name
    email = lead.email or ""
    phone = lead.phone or ""
    if mask:
        email = mask_email(email) if email else ""
        phone = mask_phone(phone) if phone else ""
    cells = [
        lead.conversation_id,
        name,
        lead.property_id,
        email,
        phone,
        lead.qualification.value,
        lead.resman_sync_status.value,
        lead.last_sync_at.isoformat() if lead.last_sync_at else "",
        cell_text("last_sync", lead, now, mask),
        lead.resman_prospect_id or "",
    ]
    return [defuse(cell) for cell in cells]


def defuse(cell: str) -> str:
    """Keep a spreadsheet from running a cell as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def write_csv(path: Path, leads: Iterable[Lead], now: datetime, *, mask: bool) -> int:
    """Write the header and one row per lead to `path` (created or replaced, 0600: it
    holds customer data); the row count."""
    count = 0
    with open_private(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for lead in leads:
            writer.writerow(lead_row(lead, now, mask=mask))
            count += 1
    return count
