"""`leadsync sync --headless [--once] [--max-wait S] [--retry-failed] [--metrics-port P]`:
the engine without a UI (`sync_run` runs it)."""

from __future__ import annotations

from dataclasses import replace

import click

from leadsync_tui.commands.options import (
    FloatIn,
    IntIn,
    begin,
    config_option,
    inherited,
    load_or_exit,
    log_level_option,
    out_err,
)
from leadsync_tui.config import LoadedSettings, load_settings

MAX_WAIT = FloatIn(
    "--max-wait must be a finite number of seconds, 0 or more, got {value}; e.g. --max-wait 60",
    min=0,
)
METRICS_PORT = IntIn(
    "--metrics-port {value!r} is not a TCP port; give a number from 1 to 65535 (0 = any free port)",
    min=0,
    max=65535,
)


def sync_settings(config: str | None, metrics_port: int | None) -> LoadedSettings:
    """The configuration `sync` runs with, found as at start (`ConfigError` if bad): the
    same for the first load and for every reload on SIGHUP."""
    loaded = load_settings(config)
    if metrics_port is None:
        return loaded
    settings = loaded.settings  # the option beats [sync] metrics_port
    sync = settings.sync.model_copy(update={"metrics_port": metrics_port})
    return replace(loaded, settings=settings.model_copy(update={"sync": sync}))


@click.command(
    "sync",
    short_help="run the sync engine without a UI",
    epilog="Exit codes: 0 done (or stopped by a signal); 1 --once left work or could not "
    "read an upstream; 2 cannot start; 3 another engine holds the sync lease (--once), or "
    "took it over from this one.",
)
@config_option()
@click.option("--headless", is_flag=True, required=True, help="no UI; JSON lines on stdout")
@click.option("--once", is_flag=True, help="one full reconcile, then exit")
@click.option(
    "--max-wait",
    type=MAX_WAIT,
    default=60.0,
    metavar="SECONDS",
    help="with --once: longest wait on retries before giving up (default 60)",
)
@click.option("--retry-failed", is_flag=True, help="move parked failed items back to pending")
@click.option(
    "--metrics-port",
    type=METRICS_PORT,
    default=None,
    metavar="PORT",
    help="serve Prometheus metrics on http://127.0.0.1:PORT/metrics (0 = any free port; "
    "default: [sync] metrics_port, else none)",
)
@log_level_option
@click.pass_context
def sync_command(
    ctx: click.Context,
    config: str | None,
    headless: bool,
    once: bool,
    max_wait: float,
    retry_failed: bool,
    metrics_port: int | None,
    log_level: str | None,
) -> None:
    """Run the sync engine without a UI. Only one engine per store sends: this one waits
    for the store's sync lease while another holds it (one `lease_held` JSON line)."""
    begin(ctx, "sync", log_level)
    config = inherited(ctx, "config", config)
    out, err = out_err()
    loaded = load_or_exit(ctx, config, err, lambda: sync_settings(config, metrics_port))
    from leadsync_tui.commands.sync_run import run_headless

    level = inherited(ctx, "log_level", log_level)
    ctx.exit(
        run_headless(
            loaded.settings,
            once=once,
            max_wait=max_wait,
            retry_failed=retry_failed,
            out=out,
            err=err,
            log_level=level.upper() if level else None,
            reload=lambda: sync_settings(config, metrics_port),
        )
    )
