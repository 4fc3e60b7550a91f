"""`leadsync audit`: who did what, to which record, when and why — from the database alone.

Every human action (create, retry, resolve, escalate, bulk action, export) is appended
to the `audit` table by the UI; this lists it oldest first, as an aligned table or as
JSON lines. Times are UTC; `--since` takes an ISO date/time (UTC unless it carries an
offset) or a relative age such as `30m`, `2h`, `1d`.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from leadsync_tui.config import Settings
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.models import format_utc, utc_now
from leadsync_tui.store.db import DatabaseError
from leadsync_tui.store.db_errors import NoStoreYet
from leadsync_tui.store.opening import open_database
from leadsync_tui.store.records import AuditEntry
from leadsync_tui.store.storage_problem import describe, impossible_path, storage_error
from leadsync_tui.store_location import StoreLocation

SINCE_FORMS = (
    "an ISO date or time (2024-05-01, 2024-05-01T09:30, 2024-05-01T09:30:00+02:00) "
    "or an age: a number and s, m, h, d or w (45s, 30m, 2h, 1d, 2w)"
)
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_NO_LIMIT = 2**62
"""`audit_entries` keeps the most recent `limit`; the command lists them all."""


class SinceError(ValueError):
    """`--since` is neither an ISO date/time nor a relative age."""


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """`--since` as an aware UTC datetime, or `SinceError` naming the accepted forms."""
    match = _AGE.match(text)
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        try:
            return (now or utc_now()) - timedelta(seconds=amount * _UNIT_SECONDS[unit])
        except OverflowError:  # before year 1, or past what a timedelta holds
            raise SinceError(
                f"--since {text.strip()} reaches back before the year 1; use a smaller age "
                f"or an ISO date such as 2000-01-01 ({SINCE_FORMS})"
            ) from None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SinceError(f"--since {text!r} is not understood; use {SINCE_FORMS}") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def run_audit(
    settings: Settings,
    database: StoreLocation,
    *,
    since: datetime | None,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """Print the audit trail from `database`; 0, or 2 if there is no usable database."""
    impossible = None if database.is_postgresql else impossible_path(database.sqlite_path)
    if impossible is not None:
        print(f"leadsync audit: {impossible}", file=err)
        return ExitCode.USAGE
    if not database.is_postgresql and not database.sqlite_path.is_file():
        mode = "the demo's" if settings.is_demo else "the [sync] database"
        print(
            f"leadsync audit: there is no sync database yet at {database} ({mode} file); "
            "actions are recorded once leadsync has run (`leadsync` or "
            "`leadsync sync --headless --once`)",
            file=err,
        )
        return ExitCode.USAGE
    try:
        entries = asyncio.run(_read(database, since))
    except NoStoreYet as exc:
        print(f"leadsync audit: {exc}", file=err)
        return ExitCode.USAGE
    except Exception as exc:
        if database.is_postgresql and storage_error(exc) is not None:
            print(f"leadsync audit: {describe(exc, database)}", file=err)
            return ExitCode.USAGE
        if not isinstance(exc, DatabaseError | sqlite3.Error | OSError):
            raise
        print(
            f"leadsync audit: cannot read the sync database {database}: {exc}; check "
            "[sync] database points at a leadsync database and that this user may read it",
            file=err,
        )
        return ExitCode.USAGE
    if as_json:
        for entry in entries:
            out.write(json.dumps(as_dict(entry), default=str, sort_keys=False) + "\n")
    else:
        out.write(as_table(entries, since))
    return ExitCode.OK


async def _read(location: StoreLocation, since: datetime | None) -> list[AuditEntry]:
    db = await open_database(location, existing=True)
    try:
        return await db.audit_entries(since, limit=_NO_LIMIT)
    finally:
        await db.close()


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    """One JSON line: the entry with its time as `...Z`."""
    return {
        "at": format_utc(entry.at),
        "user": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }


HEADERS = ("TIME (UTC)", "USER", "ACTION", "TARGET", "CHANGE", "REASON")


def as_table(entries: Sequence[AuditEntry], since: datetime | None = None) -> str:
    """An aligned table, one row per entry; a plain sentence when there is none."""
    if not entries:
        after = f" since {format_utc(since)}" if since is not None else ""
        return f"no audit entries{after}\n"
    rows = [
        (
            format_utc(entry.at),
            entry.actor,
            entry.action,
            entry.target,
            describe_change(entry.before, entry.after),
            _one_line(entry.reason or ""),
        )
        for entry in entries
    ]
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS) - 1)]
    lines = []
    for row in [HEADERS, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def describe_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """`key: old -> new` for every key that differs (or is present on one side only)."""
    if before is None and after is None:
        return "-"
    old, new = before or {}, after or {}
    parts = []
    for key in sorted(old.keys() | new.keys()):
        if key in old and key in new and old[key] == new[key]:
            continue
        was = _value(old[key]) if key in old else "(none)"
        now = _value(new[key]) if key in new else "(none)"
        parts.append(f"{key}: {was} -> {now}")
    return "; ".join(parts) or "(no change)"


def _value(value: Any) -> str:
    if isinstance(value, str):
        return _one_line(value)
    return json.dumps(value, default=str, separators=(",", ":"))


def _one_line(text: str) -> str:
    return " ".join(text.split())
