"""`leadsync config check [--online]`: every effective value with its source."""

from __future__ import annotations

from typing import TextIO

import click

from leadsync_tui.commands.options import (
    begin,
    config_option,
    inherited,
    load_or_exit,
    log_level_option,
    out_err,
)
from leadsync_tui.config import LoadedSettings
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.logging_setup import log_file_note
from leadsync_tui.roles import default_actor, role_for


@click.group("config", invoke_without_command=True, short_help="inspect the configuration")
@click.pass_context
def config_group(ctx: click.Context) -> None:
    """Inspect the configuration."""
    if ctx.invoked_subcommand is None:  # `leadsync config` alone: its help, as before
        click.echo(ctx.get_help())


@config_group.command(
    "check", short_help="validate and print every effective value with its source"
)
@config_option()
@click.option(
    "--online",
    is_flag=True,
    help="also sign in to DomIQ and ResMan and check every mapped property; exit 0/1/2",
)
@log_level_option
@click.pass_context
def check_command(
    ctx: click.Context, config: str | None, online: bool, log_level: str | None
) -> None:
    """Validate the configuration and print every effective value with its source."""
    begin(ctx, "config", log_level)
    out, err = out_err()
    loaded = load_or_exit(ctx, inherited(ctx, "config", config), err)
    print_values(loaded, out)
    if online:
        from leadsync_tui.setup.check_table import run_online_check

        ctx.exit(run_online_check(loaded.settings, out))
    ctx.exit(ExitCode.OK)


def print_values(loaded: LoadedSettings, out: TextIO) -> None:
    """The file, the mode, the role, then one line per setting: value and origin."""
    source = f"{loaded.path} ({loaded.path_reason})" if loaded.path else "none (demo mode)"
    print(f"config file: {source}", file=out)
    print(f"mode: {'demo (embedded simulators)' if loaded.settings.is_demo else 'live'}", file=out)
    user = default_actor()
    print(f"role: {role_for(loaded.settings, user).value} (user {user})", file=out)
    rows: list[tuple[str, str, str]] = list(loaded.effective_values())
    if loaded.settings.is_demo:  # the demo never touches sync.database: say which it uses
        from leadsync_tui.wiring import database_file

        demo_db = str(database_file(loaded.settings))
        rows = [(k, demo_db, "demo") if k == "sync.database" else (k, v, o) for k, v, o in rows]
    width = max(len(key) for key, _, _ in rows)
    for key, value, origin in rows:
        print(f"  {key:<{width}}  {value}  [{origin}]", file=out)
    print(log_file_note(), file=out)
    print("config OK", file=out)
