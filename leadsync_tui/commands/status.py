"""`leadsync status [--json]`: sync health from the database alone (`status_run`)."""

from __future__ import annotations

import click

from leadsync_tui.commands.options import (
    begin,
    config_option,
    inherited,
    load_or_exit,
    log_level_option,
    out_err,
)


@click.command("status", short_help="print sync health; exit 0/1/2")
@config_option()
@click.option("--json", "as_json", is_flag=True, help="one JSON object")
@log_level_option
@click.pass_context
def status_command(
    ctx: click.Context, config: str | None, as_json: bool, log_level: str | None
) -> None:
    """Print sync health from the database alone: exit 0 healthy, 1 degraded (each problem
    one line saying what to do), 2 no usable database."""
    begin(ctx, "status", log_level)
    out, err = out_err()
    loaded = load_or_exit(ctx, inherited(ctx, "config", config), err)
    from leadsync_tui.commands.status_run import run_status

    ctx.exit(run_status(loaded.settings, as_json=as_json, out=out, err=err))
