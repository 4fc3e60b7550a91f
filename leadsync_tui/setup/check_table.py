"""The online check as a person reads it: an aligned table, ✔/✘ per check, the fix under
each ✘, then one summary line. Plain text (it goes to a terminal, a log or a CI job);
ids and the names of properties, sources and staff accounts only, never a secret."""

from __future__ import annotations

import asyncio
from typing import TextIO

from leadsync_tui.config import Settings
from leadsync_tui.setup.online_check import CheckRow, OnlineReport, check_online

PASS = "✔"
FAIL = "✘"
NOT_CHECKED = "-"
_HEADERS = ("PROPERTY", "CHECK", "RESULT")


def _mark(row: CheckRow) -> str:
    return {True: PASS, False: FAIL, None: NOT_CHECKED}[row.passed]


def render(report: OnlineReport) -> list[str]:
    """The table's lines, then notes, then the summary."""
    rows = report.rows
    first = max([len(_HEADERS[0]), *(len(r.subject) for r in rows)])
    second = max([len(_HEADERS[1]), *(len(r.check) for r in rows)])
    lines = [f"{_HEADERS[0]:<{first}}  {_HEADERS[1]:<{second}}  {_HEADERS[2]}"]
    indent = " " * (first + second + 4)
    for row in rows:
        lines.append(f"{row.subject:<{first}}  {row.check:<{second}}  {_mark(row)} {row.detail}")
        if row.fix:
            lines.append(f"{indent}  fix: {row.fix}")
    lines += [f"note: {note}" for note in report.notes]
    lines.append(summary(report))
    return lines


def summary(report: OnlineReport) -> str:
    checked = sum(row.passed is not None for row in report.rows)
    if not report.reached:
        return "online check: cannot go on: a system could not be reached or used (exit 2)"
    if report.failed:
        return f"online check: {report.failed} of {checked} checks failed (exit 1)"
    return f"online check: all {checked} checks passed"


def print_report(report: OnlineReport, out: TextIO) -> int:
    """Print the table; the exit code (0 passed, 1 a check failed, 2 unreachable)."""
    for line in render(report):
        print(line, file=out)
    return report.exit_code


def run_online_check(settings: Settings, out: TextIO) -> int:
    """`config check --online` after the offline part: check, print, exit code."""
    print("", file=out)
    print("online check (both systems, every mapped property):", file=out)
    report = asyncio.run(check_online(settings))
    return print_report(report, out)
