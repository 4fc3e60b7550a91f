"""`leadsync drift [--repair] [--json]`: one drift scan, then exit.

Exit 0 when every linked pair is in step, 1 when the scan found drift (or could not
finish), 2 when it cannot start. Without `--repair` it only reports. With it, the repairs
are queued in the outbox like any pass and then sent as `sync --headless --once` sends
them (waiting on retries at most `--max-wait` seconds). Another engine on the same
database is no hazard: the repairs are sent only under the store's sync lease, so while
that engine holds it this run queues them (a repair planned twice is queued once, by
its dedupe key) and that engine sends them; they are reported unrepaired here.

In demo mode (no config file) the simulators start afresh, so the scan follows one
`sync --headless --once` of their world.

Stdout: one line per finding and a summary, or with `--json` one JSON object (the last
line). Both carry ids, kinds, field names and counts, never a name, email or phone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import TextIO

from leadsync_tui.clients.errors import SyncError
from leadsync_tui.config import Settings
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.sim.runner import SimOptions
from leadsync_tui.store.storage_problem import describe, storage_error
from leadsync_tui.sync.drift_report import DriftReport
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.lease import LeaseHeld
from leadsync_tui.wiring import open_engine, store_location


def run_drift(
    settings: Settings,
    *,
    repair: bool,
    as_json: bool,
    max_wait: float,
    out: TextIO,
    err: TextIO | None = None,
) -> int:
    """Scan once; the process exit code."""
    err = err or sys.stderr
    try:
        report = asyncio.run(_scan(settings, repair=repair, max_wait=max_wait))
    except Exception as exc:
        problem = storage_error(exc)
        if problem is None:
            raise
        print(f"leadsync drift: {describe(problem, store_location(settings))}", file=err)
        return ExitCode.USAGE
    except SyncError as exc:
        print(f"leadsync drift: the scan stopped: {exc.message}", file=err)
        return ExitCode.PROBLEM
    if as_json:
        out.write(json.dumps(report.summary(), separators=(",", ":")) + "\n")
    else:
        out.write(as_text(report, repair=repair))
    if report.error:
        print(f"leadsync drift: the scan could not finish: {report.error}", file=err)
    return ExitCode.OK if report.in_step else ExitCode.PROBLEM


async def _scan(settings: Settings, *, repair: bool, max_wait: float) -> DriftReport:
    # Another engine may be sending this outbox: its items in flight are its own.
    quiet_sims = SimOptions(domiq_port=0, resman_port=0, activity_per_min=0.0)
    async with open_engine(
        settings,
        watcher=False,
        sim_options=quiet_sims if settings.is_demo else None,
    ) as setup:
        engine = setup.engine
        if setup.sims is not None:  # the demo's world is new: sync it first, then prove it
            await engine.run_once(max_wait)
        report = await engine.drift.scan(repair=repair)
        if repair and (report.repaired or report.conflicts):
            await _send(engine, report, max_wait)
        return report


async def _send(engine: SyncEngine, report: DriftReport, max_wait: float) -> None:
    """Send the queued repairs; a repair still in the outbox afterwards is unrepaired."""
    with contextlib.suppress(LeaseHeld):  # the engine holding the lease sends them
        await engine.drain(max_wait)
    await engine.worker.stop(grace=engine.settings.sync.request_timeout)
    left = {item.conversation_id for item in await engine.db.outbox_items(limit=10_000_000)}
    engine.drift.settle(report)
    report.unrepaired += [cid for cid in report.repaired if cid in left]
    report.repaired = [cid for cid in report.repaired if cid not in left]
    await engine.drift.finish(report)


def as_text(report: DriftReport, *, repair: bool) -> str:
    lines = [
        f"  {f.conversation_id}  {f.prospect_id}  {f.kind.value}"
        + (f" ({f.side})" if f.side else "")
        + (f": {', '.join(f.fields)}" if f.fields else "")
        for f in report.findings
    ]
    summary = (
        f"drift scan: {report.pairs_checked:,} pairs checked · {report.out_of_step:,} out of step"
    )
    if report.busy:
        summary += f" · {report.busy:,} busy (left to the outbox)"
    if repair:
        summary += (
            f" · {len(report.repaired):,} repaired · {len(report.conflicts):,} conflict(s)"
            f" · {len(report.unrepaired):,} unrepaired"
        )
    elif report.findings:
        summary += " (report only: `leadsync drift --repair` repairs them)"
    lines.append(summary)
    if report.last_agreement_at is not None:
        lines.append(f"last full agreement at {report.last_agreement_at:%Y-%m-%d %H:%M:%S} UTC")
    return "\n".join(lines) + "\n"
