"""`leadsync sync --headless`: the engine without a UI, for systemd and cron.

Stdout gets one JSON object per line: every sync attempt, every status change, every
conflict, each reconcile pass, and a last `done` line. Lines hold ids, kinds, counts and
error texts, never a credential or a field value. SIGTERM/SIGINT stop the engine after
the items in flight; the outbox is consistent at any moment anyway. SIGHUP re-reads the
configuration (`reload`: a bad file is refused and the running one kept; `signals`).

Exit codes: the long-running mode exits 0 once stopped by a signal; `--once` exits 0
when the outbox is empty and nothing failed, 1 otherwise (work left after `--max-wait`
seconds of waiting on retries, parked items, an upstream that could not be read); 2 when
it cannot start (the database cannot be opened, the settings are unusable, the metrics
port is taken); 3 when another
engine holds the store's sync lease (`--once`), or took it over from this one (the long-
running mode steps down: it sends nothing more; a supervisor restarts it as a waiter).

Only the holder of the sync lease sends (`sync.lease`): the long-running mode that finds
it held prints one `lease_held` line (holder host, pid, heartbeat age) and waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from typing import TextIO

from leadsync_tui.clients.errors import SyncError
from leadsync_tui.clients.retry import exponential_wait
from leadsync_tui.config import LoadedSettings, Settings
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.logging_setup import QUIET_LEVEL, configure_json_logging, emit_event, remove
from leadsync_tui.sim.runner import SimOptions, SimulatorBindError
from leadsync_tui.store.db_errors import store_unreachable
from leadsync_tui.store.storage_problem import describe, storage_error
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.journal import EventSink
from leadsync_tui.sync.lease import LeaseHeld, LeaseLost
from leadsync_tui.sync.monitoring import MetricsPortError, monitoring
from leadsync_tui.sync.reload import Reloader
from leadsync_tui.sync.signals import HangupLatch, engine_signals, hangups_latched
from leadsync_tui.wiring import open_engine, store_location


def run_headless(
    settings: Settings,
    *,
    once: bool,
    max_wait: float,
    retry_failed: bool,
    out: TextIO,
    err: TextIO | None = None,
    sim_options: SimOptions | None = None,
    log_level: str | None = None,
    reload: Callable[[], LoadedSettings] | None = None,
) -> int:
    """Run the engine; the process exit code. Its events and log records reach `out`
    through the logging setup (`logging_setup.configure_json_logging`). `reload` loads
    the configuration again (SIGHUP, in the long-running mode)."""
    err = err or sys.stderr
    handler = configure_json_logging(out, log_level or QUIET_LEVEL)
    try:
        with hangups_latched() as latch:
            reloading = None if once or reload is None else (reload, latch)
            return asyncio.run(
                _run(
                    settings, once, max_wait, retry_failed, emit_event, err, sim_options, reloading
                ),
            )
    except KeyboardInterrupt:  # before our handlers were in place
        return ExitCode.OK if not once else ExitCode.PROBLEM
    finally:
        remove(handler)


STORE_RETRY_INITIAL_S = 1.0
STORE_RETRY_MAX_S = 30.0
"""A PostgreSQL store that does not answer is tried again after 1 s, doubling to 30 s."""


async def _run(
    settings: Settings,
    once: bool,
    max_wait: float,
    retry_failed: bool,
    sink: EventSink,
    err: TextIO,
    sim_options: SimOptions | None,
    reloading: tuple[Callable[[], LoadedSettings], HangupLatch] | None = None,
) -> int:
    if settings.is_demo and sim_options is None:
        sim_options = SimOptions(
            domiq_port=0, resman_port=0, activity_per_min=0.0 if once else 30.0
        )
    try:
        async with (
            open_engine(settings, on_event=sink, sim_options=sim_options) as setup,
            monitoring(setup.engine, setup.settings) as watch,
        ):
            engine = setup.engine
            sink(
                {
                    "event": "started",
                    "mode": "once" if once else "run",
                    "demo": setup.sims is not None,
                    "database": str(setup.store),
                }
            )
            load, latch = reloading or (None, None)
            reload = None if load is None else Reloader(load, settings, engine, watch).reload
            async with engine_signals(engine, reload, latch):
                if retry_failed:
                    await engine.retry_failed(actor="cli")
                if once:
                    return await _once(engine, max_wait, sink)
                await _serve(engine, sink)
                sink({"event": "stopped"})
                return ExitCode.OK
    except MetricsPortError as exc:
        print(f"leadsync: {exc}", file=err)
        sink({"event": "error", "error": str(exc)})
        return ExitCode.USAGE
    except LeaseHeld as exc:
        holder = exc.holder
        print(
            f"leadsync: another engine holds the sync lease ({holder.host} pid {holder.pid});"
            " nothing was sent",
            file=err,
        )
        sink({"event": "done", "exit_code": int(ExitCode.LEASE_HELD), "error": str(exc)})
        return ExitCode.LEASE_HELD
    except LeaseLost as exc:
        print(f"leadsync: stepped down: {exc}; nothing more was sent", file=err)
        sink({"event": "stopped", "exit_code": int(ExitCode.LEASE_HELD), "error": str(exc)})
        return ExitCode.LEASE_HELD
    except SyncError as exc:
        print(f"leadsync: the sync stopped: {exc.message}", file=err)
        sink({"event": "error", "error": exc.message})
        return ExitCode.PROBLEM
    except Exception as exc:  # storage fails in any task: a disk fills, a lock is held
        problem = storage_error(exc)
        if problem is None:
            raise
        if isinstance(problem, SimulatorBindError):
            message = f"the demo simulators could not start: {problem}"
        else:
            message = describe(problem, store_location(settings))
        print(f"leadsync: {message}", file=err)
        with contextlib.suppress(OSError):  # stdout may sit on the full disk too
            sink({"event": "error", "error": message})
        return ExitCode.USAGE


async def _serve(engine: SyncEngine, sink: EventSink) -> None:
    """Run the engine while this process holds the lease, until stopped. A PostgreSQL
    store that stops answering (a restart, a failover) is waited for, with a line each
    try, and the engine runs again once it answers (its lease, or a wait for the one
    who took it): before, any restart of the database ended the service with exit 2."""
    failures = 0
    while True:
        try:
            if await engine.wait_for_lease():
                await engine.run()
            return
        except Exception as exc:
            if not store_unreachable(exc):
                raise
            failures += 1
            wait = exponential_wait(
                failures, initial=STORE_RETRY_INITIAL_S, maximum=STORE_RETRY_MAX_S
            )
            reason = " ".join(str(exc).split())[:200]
            sink({"event": "store_unanswered", "error": reason, "retry_in_s": round(wait, 1)})
            if await engine.rest(wait):
                return


async def _once(engine: SyncEngine, max_wait: float, sink: EventSink) -> int:
    result = await engine.run_once(max_wait)
    code = ExitCode.OK if result.complete else ExitCode.PROBLEM
    left = await engine.db.outbox_items(limit=50)
    sink(
        {
            "event": "done",
            "exit_code": int(code),
            "passes": result.passes,
            "sent": result.sent,
            "pending": result.pending + result.in_flight,
            "failed": result.failed,
            "open_conflicts": result.open_conflicts,
            "metrics": engine.store.state.metrics.model_dump(),
            "error": result.error,
            "left": [
                {
                    "outbox_id": item.id,
                    "conversation_id": item.conversation_id,
                    "direction": item.direction.value,
                    "type": item.sync_type.value,
                    "status": item.status.value,
                    "attempts": item.attempts,
                    "error": item.last_error,
                }
                for item in left
            ]
            or None,
        }
    )
    return code
