"""`leadsync sim`: both simulators in the foreground, with everything needed to use them.

It prints the base URLs, the demo credentials, the property ids, the `/_sim/` control
routes, two `curl` commands that work as printed and a config block leadsync can read,
then serves until SIGINT/SIGTERM. Bad options (`commands.sim`) and unusable ports are
one-line messages and exit code 2; nothing ever ends in a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import shlex
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TextIO

from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.locations import default_config_file
from leadsync_tui.models import Qualification
from leadsync_tui.sim.runner import RunningSims, SimOptions, SimulatorBindError, run_simulators
from leadsync_tui.sim.world_records import DOMIQ_AGENT_NAME, DOMIQ_SOURCE_NAME

CONFIG_BEGIN = "# --- leadsync config: begin ---"
CONFIG_END = "# --- leadsync config: end ---"
"""Both markers are TOML comments: the block can be copied with them."""

PROGRESS_FROM = 5_000
"""From this many leads (~5 s to build) `leadsync sim` shows the build's progress."""

_PORT_OPTIONS = {"domiq": "--domiq-port", "resman": "--resman-port"}
_NAMES = {"domiq": "DomIQ", "resman": "ResMan"}


def with_progress(options: SimOptions, err: TextIO) -> SimOptions:
    """`options`; a world of `PROGRESS_FROM` leads or more says how far its build has
    come on `err` (it takes minutes)."""
    if options.leads < PROGRESS_FROM:
        return options

    def progress(done: int, total: int) -> None:
        print(
            f"leadsync sim: building the world: {done:,} of {total:,} conversations",
            file=err,
            flush=True,
        )

    return replace(options, progress=progress)


def run_sim_command(options: SimOptions, out: TextIO, err: TextIO) -> int:
    """Serve until interrupted, say goodbye; the exit code. The options are checked
    already (`commands.sim`: each has its range)."""
    options = with_progress(options, err)
    if options.progress is not None:
        print(f"leadsync sim: building a world of {options.leads:,} conversations...", file=err)
    try:
        asyncio.run(_serve_until_stopped(options, out))
    except KeyboardInterrupt:
        pass  # Ctrl+C before our handlers were in place: still a normal stop
    except SimulatorBindError as exc:
        print(f"leadsync sim: {bind_problem(exc)}", file=err)
        return ExitCode.USAGE
    except Exception as exc:
        print(f"leadsync sim: the simulators stopped unexpectedly: {exc}", file=err)
        return ExitCode.PROBLEM
    print("leadsync sim: simulators stopped. Goodbye.", file=out, flush=True)
    return ExitCode.OK


async def _serve_until_stopped(options: SimOptions, out: TextIO) -> None:
    stop = asyncio.Event()
    async with run_simulators(options) as sims:
        with _stop_on_signals(stop):
            out.write(banner(sims, options))
            out.flush()
            await stop.wait()


@contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` (where the loop supports signal handlers)."""
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # not the main thread, or Windows: Ctrl+C still ends asyncio.run
        installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def bind_problem(exc: SimulatorBindError) -> str:
    """Why a simulator could not listen, and what to pass instead."""
    option = _PORT_OPTIONS[exc.simulator]
    name = _NAMES[exc.simulator]
    where = f"{exc.host}:{exc.port}"
    if isinstance(exc.cause, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on --host {exc.host} ({exc.strerror}); "
            "use an address of this machine, e.g. --host 127.0.0.1"
        )
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {exc.port} ({option}, {name} simulator) is already in use on {exc.host}; "
            f"stop what uses it, or pass {option} 0 to pick a free port"
        )
    if exc.errno == errno.EACCES:
        return (
            f"not allowed to listen on port {exc.port} ({option}, {name} simulator); "
            f"use a port above 1023, or {option} 0 to pick a free port"
        )
    return f"cannot listen on {where} for the {name} simulator ({exc.strerror}); try {option} 0"


def banner(sims: RunningSims, options: SimOptions) -> str:
    """Everything a new user needs, ending with the config block and how to stop."""
    world = sims.world
    d, r = sims.domiq_url, sims.resman_url
    leads = world.domiq.all_leads()
    qualified = sum(1 for lead in leads if lead.qualification is Qualification.QUALIFIED)
    width = max(len(p.domiq_id) for p in world.properties)
    domiq_curl = shlex.join(
        ["curl", "-H", f"Authorization: Bearer {world.token}", f"{d}/v1/leads?limit=2"]
    )
    resman_curl = shlex.join(
        [
            "curl", "-X", "POST", f"{r}/Account/GetProperties",
            "-d", f"IntegrationPartnerID={world.partner_id}",
            "-d", f"ApiKey={world.api_key}",
            "-d", f"AccountID={world.account_id}",
        ]
    )  # fmt: skip
    fault_curl = shlex.join(["curl", "-X", "PUT", f"{d}/_sim/faults", "-d", '{"error_rate": 0.2}'])
    lines = [
        f"leadsync sim: DomIQ and ResMan simulators are up (seed {options.seed}, "
        f"{options.leads} conversations, activity {options.activity_per_min:g}/min, "
        f"fault rate {options.fault_rate:g}, latency {options.latency_ms:g} ms)",
        "",
        f"DomIQ   {d}",
        f"  token            {world.token}",
        f"ResMan  {r}",
        f"  partner id       {world.partner_id}",
        f"  api key          {world.api_key}",
        f"  account id       {world.account_id}",
        "",
        "Properties (DomIQ id -> ResMan PropertyID, default source id, default agent id):",
        *(
            line
            for p in world.properties
            for line in (
                f"  {p.domiq_id:<{width}} -> PropertyID {p.property_id}  ({p.name})",
                f"  {'':<{width}}    source     {p.source_id}  ({DOMIQ_SOURCE_NAME})",
                f"  {'':<{width}}    agent      {p.agent_id}  ({DOMIQ_AGENT_NAME})",
            )
        ),
        "",
        f"World: {len(leads)} DomIQ leads ({qualified} qualified), "
        f"{len(world.domiq.pending_conversations())} chats not yet qualified; "
        f"{len(world.resman.prospects)} ResMan prospects, {len(world.linked_pairs)} linked "
        f"({len(world.conflicting_pairs)} in conflict, {len(world.pending_pairs)} changed "
        f"on one side), {len(world.walk_ins)} walk-ins",
        "",
        "Simulator controls (JSON, loopback clients only):",
        f"  DomIQ   GET|PUT {d}/_sim/faults   GET {d}/_sim/stats",
        f"  ResMan  GET|PUT {r}/_sim/faults   GET {r}/_sim/stats   GET|PUT {r}/_sim/settings",
        f"  e.g.    {fault_curl}",
        "",
        "Try:",
        f"  {domiq_curl}",
        f"  {resman_curl}",
        "",
        f"Config for leadsync (save as {default_config_file()}, then chmod 600):",
        CONFIG_BEGIN,
        sims.config_toml().rstrip("\n"),
        CONFIG_END,
        "",
        "Serving until Ctrl+C (or SIGTERM).",
    ]
    return "\n".join(lines) + "\n"
