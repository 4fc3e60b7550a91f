"""`leadsync audit [--since WHEN] [--json]`: who did what, oldest first (`audit_run`)."""

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
from leadsync_tui.exit_codes import ExitCode


@click.command("audit", short_help="list who did what (oldest first)")
@config_option()
@click.option(
    "--since",
    metavar="WHEN",
    default=None,
    help="only entries from then on: ISO date/time (UTC) or an age like 30m, 2h, 1d",
)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
@log_level_option
@click.pass_context
def audit_command(
    ctx: click.Context,
    config: str | None,
    since: str | None,
    as_json: bool,
    log_level: str | None,
) -> None:
    """List who did what (oldest first), from the sync database."""
    begin(ctx, "audit", log_level)
    out, err = out_err()
    from leadsync_tui.commands.audit_run import SinceError, parse_since, run_audit

    try:
        when = None if since is None else parse_since(since)
    except SinceError as exc:
        print(f"leadsync audit: {exc}", file=err)
        ctx.exit(ExitCode.USAGE)
    loaded = load_or_exit(ctx, inherited(ctx, "config", config), err)
    from leadsync_tui.wiring import store_location

    database = store_location(loaded.settings)
    ctx.exit(run_audit(loaded.settings, database, since=when, as_json=as_json, out=out, err=err))
