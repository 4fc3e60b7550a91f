"""`leadsync store migrate`: open both stores, copy (`store.store_copy`), say what to set.

Either everything is copied and the last line is the `[store] url` to put in the config,
or nothing is (the copy is one PostgreSQL transaction) and one line names the problem
and its fix. The password is never printed: the URL cannot hold one (`--to` refuses it)
and libpq's messages do not repeat it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.models import format_utc, utc_now
from leadsync_tui.store.db import Database
from leadsync_tui.store.opening import open_database
from leadsync_tui.store.pg_problem import is_pg_error
from leadsync_tui.store.records import EngineRecord
from leadsync_tui.store.storage_problem import describe, storage_error
from leadsync_tui.store.store_copy import (
    TABLES,
    CopyRefused,
    CopyReport,
    EngineRunning,
    TargetNotEmpty,
    copy_store,
)
from leadsync_tui.store_location import StoreLocation
from leadsync_tui.sync.engine_presence import ago, is_alive

PREFIX = "leadsync store migrate:"


class _Problem(Exception):
    """A failure already worded for the user (one line)."""


def run_migrate(
    source: Path,
    target_url: str,
    password: SecretStr | None,
    *,
    out: TextIO,
    err: TextIO,
) -> int:
    """Copy the SQLite store `source` into the PostgreSQL database `target_url`."""
    where_from = StoreLocation.sqlite(source)
    where_to = StoreLocation.postgresql(target_url, password)
    started = time.monotonic()
    try:
        report = asyncio.run(_migrate(where_from, where_to))
    except _Problem as exc:
        print(f"{PREFIX} {exc}", file=err)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print(f"{PREFIX} interrupted; nothing was copied to {target_url}", file=err)
        return ExitCode.INTERRUPTED
    seconds = time.monotonic() - started
    for line in report_lines(report):
        print(line, file=out)
    took = f"in {seconds:.1f} s"
    print(f"copied {report.total:,} rows from {source} to {target_url} {took}", file=out)
    print(
        f'done: set [store] url = "{target_url}" in the config of every leadsync of this '
        f"deployment (the password in [store] password, $PGPASSWORD or ~/.pgpass); {source} "
        "is no longer used",
        file=out,
    )
    return ExitCode.OK


def report_lines(report: CopyReport) -> list[str]:
    """One line a table: how many rows were copied, or why none were."""
    width = max(len(name) for name in (*TABLES, "change_feed"))
    lines = [f"{table:<{width}}  {report.counts[table]:>9,} copied" for table in TABLES]
    waiting = report.outbox
    at = TABLES.index("outbox")
    lines[at] += (
        f" ({waiting.pending:,} pending, {waiting.in_flight:,} in flight, "
        f"{waiting.failed:,} failed)"
    )
    lines.append(f"{'engine':<{width}}  not copied: the first engine on PostgreSQL takes the lease")
    lines.append(f"{'change_feed':<{width}}  not copied: starts empty")
    return lines


async def _migrate(where_from: StoreLocation, where_to: StoreLocation) -> CopyReport:
    source = await _open(where_from)
    try:
        target = await _open(where_to)
        try:
            return await _copy(source, target, where_from, where_to)
        finally:
            await target.close()
    finally:
        await source.close()


async def _open(where: StoreLocation) -> Database:
    try:
        return await open_database(where)
    except Exception as exc:
        if storage_error(exc) is None:
            raise
        raise _Problem(describe(exc, where)) from None


async def _copy(
    source: Database, target: Database, where_from: StoreLocation, where_to: StoreLocation
) -> CopyReport:
    now = utc_now()
    alive: Callable[[EngineRecord], bool] = lambda record: is_alive(record, now)  # noqa: E731
    try:
        return await copy_store(source, target, engine_alive=alive, target_name=str(where_to))
    except EngineRunning as exc:
        raise _Problem(engine_running(exc.record, where_from, now)) from None
    except TargetNotEmpty as exc:
        raise _Problem(target_not_empty(exc, where_to)) from None
    except CopyRefused as exc:
        raise _Problem(f"{exc}; nothing was copied to {where_to}") from None
    except Exception as exc:
        if storage_error(exc) is None:
            raise
        where = where_to if is_pg_error(exc) else where_from
        raise _Problem(f"{describe(exc, where)} (nothing was copied)") from None


def engine_running(record: EngineRecord, where: StoreLocation, now: datetime) -> str:
    """Why a store whose engine runs is not moved, and what to do."""
    return (
        f"an engine holds the sync lease on {where}: {record.host} pid {record.pid} "
        f"({record.mode}), since {format_utc(record.started_at)}, heartbeat "
        f"{ago(now - record.heartbeat_at)} ago; stop it first (the TUI's ctrl+q, or "
        "systemctl stop leadsync-sync), then run again: nothing was copied"
    )


def target_not_empty(exc: TargetNotEmpty, where: StoreLocation) -> str:
    """Why a database that holds a deployment is not written to."""
    held = ", ".join(f"{count:,} {table}" for table, count in exc.held.items())
    return (
        f"the PostgreSQL store {where} already holds leadsync data ({held}); two "
        "deployments are never merged: migrate into a new, empty database "
        "(createdb -O <user> <dbname>) and point --to at it"
    )
