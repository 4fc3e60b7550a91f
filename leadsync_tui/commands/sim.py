"""`leadsync sim [...]`: the DomIQ and ResMan simulators alone (`sim.command` serves them).

Every option has its range here; a value out of it is one line naming the option and a
value to pass instead (exit 2), before anything starts."""

from __future__ import annotations

import click

from leadsync_tui.commands.options import FloatIn, IntIn, begin, log_level_option, out_err
from leadsync_tui.sim.runner import SimOptions
from leadsync_tui.sim.world_records import MAX_LEADS


def _port(option: str) -> IntIn:
    return IntIn(
        f"{option} must be between 0 and 65535, got {{value}}; use 0 for any free port",
        min=0,
        max=65535,
    )


LEADS = IntIn(
    f"--leads must be between 0 and {MAX_LEADS:,}, got {{value:,}} (a world takes ~10 KB of "
    "memory per conversation); e.g. --leads 2000",
    min=0,
    max=MAX_LEADS,
)
ACTIVITY = FloatIn(
    "--activity-per-min must be 0 or more, got {value}; 0 keeps the world still, "
    "e.g. --activity-per-min 30",
    min=0,
)
FAULT_RATE = FloatIn(
    "--fault-rate must be between 0 and 1, got {value}; "
    "e.g. --fault-rate 0.1 fails one request in ten",
    min=0,
    max=1,
)
LATENCY = FloatIn("--latency-ms must be 0 or more, got {value}; e.g. --latency-ms 150", min=0)
SEARCH_LIMIT = IntIn(
    "--search-limit must be 1 or more, got {value}; e.g. --search-limit 500", min=1
)
_DEFAULTS = SimOptions()


@click.command("sim", short_help="run the DomIQ and ResMan simulators alone")
@click.option("--host", default=_DEFAULTS.host, show_default=True, help="address to listen on")
@click.option(
    "--domiq-port",
    type=_port("--domiq-port"),
    default=_DEFAULTS.domiq_port,
    show_default=True,
    metavar="PORT",
    help="the DomIQ simulator's port; 0 = any free",
)
@click.option(
    "--resman-port",
    type=_port("--resman-port"),
    default=_DEFAULTS.resman_port,
    show_default=True,
    metavar="PORT",
    help="the ResMan simulator's port; 0 = any free",
)
@click.option(
    "--seed", type=int, default=_DEFAULTS.seed, show_default=True, metavar="N",
    help="the world's random seed (the same seed builds the same world)",
)  # fmt: skip
@click.option(
    "--leads", type=LEADS, default=_DEFAULTS.leads, show_default=True, metavar="N",
    help="conversations in the world",
)  # fmt: skip
@click.option(
    "--activity-per-min", type=ACTIVITY, default=_DEFAULTS.activity_per_min,
    show_default=True, metavar="N", help="changes per minute on both sides; 0 = still",
)  # fmt: skip
@click.option(
    "--fault-rate", type=FAULT_RATE, default=_DEFAULTS.fault_rate, show_default=True,
    metavar="F", help="share of requests that fail, 0..1",
)  # fmt: skip
@click.option(
    "--latency-ms", type=LATENCY, default=_DEFAULTS.latency_ms, show_default=True,
    metavar="L", help="added to every answer, in milliseconds",
)  # fmt: skip
@click.option(
    "--search-limit", type=SEARCH_LIMIT, default=_DEFAULTS.search_limit, show_default=True,
    metavar="N", help="most prospects one ResMan search returns",
)  # fmt: skip
@log_level_option
@click.pass_context
def sim_command(
    ctx: click.Context,
    host: str,
    domiq_port: int,
    resman_port: int,
    seed: int,
    leads: int,
    activity_per_min: float,
    fault_rate: float,
    latency_ms: float,
    search_limit: int,
    log_level: str | None,
) -> None:
    """Run the DomIQ and ResMan simulators alone, in the foreground, until Ctrl+C."""
    begin(ctx, "sim", log_level)
    options = SimOptions(
        host=host,
        domiq_port=domiq_port,
        resman_port=resman_port,
        seed=seed,
        leads=leads,
        activity_per_min=activity_per_min,
        fault_rate=fault_rate,
        latency_ms=latency_ms,
        search_limit=search_limit,
    )
    from leadsync_tui.sim.command import run_sim_command

    ctx.exit(run_sim_command(options, *out_err()))
