"""`leadsync drift [--repair] [--json] [--max-wait S]`: one drift scan (`drift_run`)."""

from __future__ import annotations

import click

from leadsync_tui.commands.options import (
    FloatIn,
    begin,
    config_option,
    inherited,
    load_or_exit,
    log_level_option,
    out_err,
)

MAX_WAIT = FloatIn("--max-wait must be 0 or more seconds, e.g. --max-wait 60", min=0)


@click.command(
    "drift",
    short_help="read both systems whole and check every linked pair agrees; exit 0/1/2",
)
@config_option()
@click.option("--repair", is_flag=True, help="queue and send the repairs")
@click.option("--json", "as_json", is_flag=True, help="one JSON object (ids only)")
@click.option(
    "--max-wait",
    type=MAX_WAIT,
    default=60.0,
    metavar="SECONDS",
    help="with --repair: longest wait on retries while sending (default 60)",
)
@log_level_option
@click.pass_context
def drift_command(
    ctx: click.Context,
    config: str | None,
    repair: bool,
    as_json: bool,
    max_wait: float,
    log_level: str | None,
) -> None:
    """Read both systems whole and check every linked pair agrees: exit 0 in step,
    1 drift found (or the scan could not finish), 2 cannot start."""
    begin(ctx, "drift", log_level)
    out, err = out_err()
    loaded = load_or_exit(ctx, inherited(ctx, "config", config), err)
    from leadsync_tui.commands.drift_run import run_drift

    ctx.exit(
        run_drift(
            loaded.settings, repair=repair, as_json=as_json, max_wait=max_wait, out=out, err=err
        )
    )
