"""`leadsync status`: sync health from the database alone (no network, no engine needed).

Healthy (exit 0): nothing parked, nothing overdue, attempts mostly succeed, the last
pass could read both sides. Degraded (exit 1): any of those is not so; each problem is
one line that says what to do. Unusable (exit 2): there is no database, or it cannot be
read. Open conflicts are listed but are not a fault: they wait for a person by design.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO

from leadsync_tui.config import Settings
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.models import AttemptStatus, LeadSyncConflict, SyncMetrics, format_utc
from leadsync_tui.store.db import DatabaseError
from leadsync_tui.store.db_errors import NoStoreYet, StoreMoved
from leadsync_tui.store.metrics import compute_metrics
from leadsync_tui.store.opening import open_database
from leadsync_tui.store.records import (
    Cursor,
    EngineRecord,
    OutboxCounts,
    OutboxItem,
    OutboxStatus,
)
from leadsync_tui.store.storage_problem import describe as describe_storage
from leadsync_tui.store.storage_problem import impossible_path, storage_error
from leadsync_tui.store_location import StoreLocation
from leadsync_tui.sync.clock_skew import CLOCK_CURSOR, skew_problem
from leadsync_tui.sync.drift_report import last_state as last_drift
from leadsync_tui.sync.drift_status import drift_line, drift_problems, drift_summary
from leadsync_tui.sync.engine_presence import ago, describe, is_alive
from leadsync_tui.sync.engine_state import ENGINE_CURSOR, FEED_CURSOR
from leadsync_tui.sync.foreign_deployment import FOREIGN_CURSOR, problem_line
from leadsync_tui.sync.outbox_worker import precise_now
from leadsync_tui.wiring import store_location

WINDOW = timedelta(hours=1)
"""The metrics' sliding window (the dashboard's too)."""
MIN_SUCCESS_RATE = 0.9
MIN_ATTEMPTS_FOR_RATE = 10
OVERDUE = timedelta(minutes=15)
"""A pending item due this long ago means nobody is sending the outbox."""
LISTED = 20


@dataclass
class Report:
    """Everything `status` prints."""

    database: StoreLocation
    demo: bool
    metrics: SyncMetrics
    attempts: int
    outbox: OutboxCounts
    conflicts: list[LeadSyncConflict]
    failed: list[OutboxItem]
    engine: dict[str, Any] | None
    feed: dict[str, Any] | None
    last_event_id: str | None
    resman_polled_through: str | None
    now: datetime
    running: EngineRecord | None
    """Who runs (or last ran) the engine on this database."""
    drift: dict[str, Any] | None = None
    """The last drift scan's summary (`sync.drift`), if one ran."""
    problems: list[str] = field(default_factory=list)
    foreign: dict[str, Any] | None = None
    """Another deployment noticed (`foreign_deployment.FOREIGN_CURSOR`)."""
    clock: dict[str, Any] | None = None
    """Our clock against ResMan's at the last poll (`clock_skew.CLOCK_CURSOR`)."""
    moved: dict[str, Any] | None = None
    """Where `store migrate` moved this store (`Cursor.STORE_MOVED`), if it did."""

    @property
    def alive(self) -> bool:
        """An engine runs now: only then are its feed state and in-flight items current."""
        return self.running is not None and is_alive(self.running, self.now)

    @property
    def health(self) -> str:
        return "degraded" if self.problems else "healthy"


def run_status(settings: Settings, *, as_json: bool, out: TextIO, err: TextIO | None = None) -> int:
    """Print the health report; the exit code (0 healthy, 1 degraded, 2 unusable)."""
    err = err or sys.stderr
    path = store_location(settings)
    impossible = None if path.is_postgresql else impossible_path(path.sqlite_path)
    if impossible is not None:
        return _unusable(path, impossible, as_json, out, err)
    if not path.is_postgresql and not path.sqlite_path.is_file():
        how = "leadsync sync --headless --once" + ("" if settings.is_demo else " --config PATH")
        return _unusable(
            path, f"there is no sync database at {path}; run `{how}` first", as_json, out, err
        )
    try:
        report = asyncio.run(_read(path, settings.is_demo))
    except NoStoreYet as exc:
        return _unusable(path, str(exc), as_json, out, err)
    except Exception as exc:
        if path.is_postgresql and storage_error(exc) is not None:
            return _unusable(path, describe_storage(exc, path), as_json, out, err)
        if not isinstance(exc, DatabaseError | sqlite3.Error | OSError):
            raise
        message = (
            f"cannot read the sync database {path}: {exc}; check [sync] database points at a "
            "leadsync database and that this user may read it"
        )
        return _unusable(path, message, as_json, out, err)
    if as_json:
        out.write(json.dumps(_as_dict(report), default=str) + "\n")
    else:
        out.write(_as_text(report))
    return ExitCode.PROBLEM if report.problems else ExitCode.OK


def _unusable(path: StoreLocation, message: str, as_json: bool, out: TextIO, err: TextIO) -> int:
    if as_json:
        out.write(json.dumps({"health": "unusable", "database": str(path), "error": message}))
        out.write("\n")
    print(f"leadsync status: {message}", file=err)
    return ExitCode.USAGE


async def _read(path: StoreLocation, demo: bool) -> Report:
    db = await open_database(path, existing=True)
    try:
        now = precise_now()
        logs = await db.recent_logs(now - WINDOW)
        counts = await db.outbox_counts()
        report = Report(
            database=path,
            demo=demo,
            metrics=compute_metrics(logs, counts, now, WINDOW),
            attempts=len(logs),
            outbox=counts,
            conflicts=await db.open_conflicts(),
            failed=await db.outbox_items(status=OutboxStatus.FAILED, limit=LISTED),
            engine=await db.get_json_cursor(ENGINE_CURSOR),
            feed=await db.get_json_cursor(FEED_CURSOR),
            last_event_id=await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID),
            resman_polled_through=await db.get_cursor(Cursor.RESMAN_MODIFIED_THROUGH),
            now=now,
            running=await db.engine_record(),
            clock=await db.get_json_cursor(CLOCK_CURSOR),
            drift=await last_drift(db),
            foreign=await db.get_json_cursor(FOREIGN_CURSOR),
            moved=await db.get_json_cursor(Cursor.STORE_MOVED),
        )
        pending = await db.outbox_items(status=OutboxStatus.PENDING, limit=100_000)
    finally:
        await db.close()
    report.problems = _problems(report, pending, now, logs_failed=_failed_share(logs))
    return report


def _failed_share(logs: list[Any]) -> float:
    failed = sum(1 for log in logs if log.sync_status is AttemptStatus.FAILED)
    return failed / len(logs) if logs else 0.0


def _problems(
    report: Report, pending: list[OutboxItem], now: datetime, *, logs_failed: float
) -> list[str]:
    problems = []
    if report.moved is not None:
        moved = report.moved
        problems.append(
            str(StoreMoved(report.database, moved.get("to", "?"), moved.get("at", "?")))
        )
    foreign = problem_line(report.foreign)
    if foreign is not None:
        problems.append(foreign)
    if report.outbox.failed:
        problems.append(
            f"{report.outbox.failed} outbox item(s) failed and wait for a person: read their "
            "errors below, fix the cause, then `leadsync sync --headless --once --retry-failed`"
        )
    overdue = [item for item in pending if now - item.next_attempt_at > OVERDUE]
    if overdue:
        problems.append(
            f"{len(overdue)} outbox item(s) are overdue by more than "
            f"{int(OVERDUE.total_seconds() // 60)} minutes: is `leadsync sync --headless` running?"
        )
    metrics = report.metrics
    if report.attempts >= MIN_ATTEMPTS_FOR_RATE and metrics.sync_success_rate < MIN_SUCCESS_RATE:
        problems.append(
            f"only {metrics.sync_success_rate:.0%} of the last hour's attempts succeeded "
            f"({logs_failed:.0%} failed): see the errors in the sync log"
        )
    skew = skew_problem(report.clock)
    if skew is not None:
        problems.append(skew)
    engine = report.engine or {}
    if engine.get("ok") is False and engine.get("error"):
        problems.append(
            f"the last sync pass could not read DomIQ or ResMan: {engine.get('error')}; check "
            "the endpoints and credentials (`leadsync config check`)"
        )
    problems += drift_problems(report.drift)
    return problems


def _as_dict(report: Report) -> dict[str, Any]:
    return {
        "health": report.health,
        "database": str(report.database),
        "demo": report.demo,
        "metrics": report.metrics.model_dump(),
        "attempts_in_window": report.attempts,
        "window_s": WINDOW.total_seconds(),
        "engine": {
            "alive": report.alive,
            "summary": describe(report.running, report.now),
            "record": None if report.running is None else report.running.model_dump(mode="json"),
            "interrupted": 0 if report.alive else report.outbox.in_flight,
        },
        "outbox": report.outbox.model_dump(),
        "open_conflicts": [
            {
                "id": c.id,
                "conversation_id": c.conversation_id,
                "field": c.field,
                "type": c.conflict_type.value,
                "severity": c.conflict_severity.value,
                "status": c.resolution_status.value,
                "detected_at": None if c.detected_at is None else format_utc(c.detected_at),
            }
            for c in report.conflicts
        ],
        "failed": [
            {
                "outbox_id": item.id,
                "conversation_id": item.conversation_id,
                "direction": item.direction.value,
                "type": item.sync_type.value,
                "attempts": item.attempts,
                "error": item.last_error,
            }
            for item in report.failed
        ],
        "feed": {
            "state": report.feed,
            "last_event_id": report.last_event_id,
            "resman_polled_through": report.resman_polled_through,
            "clock": report.clock,
            "last_pass": report.engine,
        },
        "drift": drift_summary(report.drift),
        "problems": report.problems,
    }


def _as_text(report: Report) -> str:
    m = report.metrics
    lines = [
        f"leadsync status: {report.health}",
        f"  database   {report.database}{' (demo)' if report.demo else ''}",
        f"  last hour  {report.attempts} attempts, {m.sync_success_rate:.1%} succeeded, "
        f"avg {m.avg_sync_latency:.0f} ms, p95 {m.p95_sync_latency:.0f} ms, "
        f"conflict rate {m.conflict_rate:.1%}",
        f"  engine     {describe(report.running, report.now)}",
        f"  outbox     {report.outbox.pending} pending, {_in_flight(report)}, "
        f"{report.outbox.failed} failed",
        f"  live feed  {_feed_text(report)}; last event {report.last_event_id or '-'}"
        f"; ResMan polled through {report.resman_polled_through or '-'}",
    ]
    engine = report.engine or {}
    if engine:
        outcome = _pass_outcome(engine)
        lines.append(f"  last pass  {engine.get('at')} ({engine.get('mode')}): {outcome}")
    lines.append(f"  drift      {drift_line(report.drift)}")
    lines.append(f"  conflicts  {len(report.conflicts)} open")
    for c in report.conflicts[:LISTED]:
        lines.append(
            f"    {c.conversation_id}  {c.field}  {c.conflict_type.value}  "
            f"{c.conflict_severity.value}  {c.resolution_status.value}"
        )
    if len(report.conflicts) > LISTED:
        lines.append(f"    ... and {len(report.conflicts) - LISTED} more")
    if report.failed:
        lines.append("  failed items")
        for item in report.failed:
            lines.append(
                f"    #{item.id} {item.conversation_id} {item.direction.value} "
                f"{item.sync_type.value} after {item.attempts} attempt(s): {item.last_error}"
            )
    if report.problems:
        lines.append("  problems")
        lines += [f"    - {problem}" for problem in report.problems]
    return "\n".join(lines) + "\n"


def _pass_outcome(engine: dict[str, Any]) -> str:
    if engine.get("ok"):
        return "ok"
    if engine.get("error"):
        return f"failed: {engine.get('error')}"
    return f"exited 1: {engine.get('left') or 'work left'}"


def _in_flight(report: Report) -> str:
    """Items claimed by an engine that is gone are not in flight: they wait for a start."""
    count = report.outbox.in_flight
    if report.alive or not count:
        return f"{count} in flight"
    return f"{count} interrupted (sent again on next start)"


def _feed_text(report: Report) -> str:
    """The feed's state as current only while an engine runs; else as last known."""
    feed = report.feed or {}
    state = feed.get("connected")
    word = "unknown" if state is None else "connected" if state else "disconnected"
    at = _when(feed.get("at"))
    running = report.running
    # the feed's time is written to the second: compare at that resolution
    started = None if running is None else running.started_at.replace(microsecond=0)
    if report.alive and started is not None and (at is None or at >= started):
        return word + (f" since {feed['at']}" if at else "")
    if at is None:
        return "unknown" + ("" if report.alive else " (no engine running)")
    last = f"last known {word} at {feed['at']}, {ago(report.now - at)} ago"
    return f"not yet known ({last})" if report.alive else last


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
