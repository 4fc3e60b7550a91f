"""The `leadsync` group: every command by name, the bare `leadsync` runs the TUI.

The TUI's options, `--config` and `--log-level` are taken before the command name too
(`leadsync --read-only`, `leadsync --config X status`), as they always were."""

from __future__ import annotations

import click
from click_default_group import DefaultGroup

from leadsync_tui.commands.audit import audit_command
from leadsync_tui.commands.config import config_group
from leadsync_tui.commands.drift import drift_command
from leadsync_tui.commands.init import init_command
from leadsync_tui.commands.options import config_option, log_level_option
from leadsync_tui.commands.sim import sim_command
from leadsync_tui.commands.status import status_command
from leadsync_tui.commands.store import store_group
from leadsync_tui.commands.sync import sync_command
from leadsync_tui.commands.tui import tui_command, tui_options

PROG = "leadsync"


class Commands(DefaultGroup):
    """The default-command group, its commands listed in the order they were added."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> object:
        """No command (`leadsync`, `leadsync --read-only`) runs the default one. Done here,
        not on parsing, so that shell completion still offers the command names."""
        if not ctx._protected_args and not ctx.args and self.default_cmd_name:
            ctx._protected_args = [self.default_cmd_name]
        return super().invoke(ctx)


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """`--version`, worked out only when asked (it may run git)."""
    if not value or ctx.resilient_parsing:
        return
    from leadsync_tui.version import version_text

    click.echo(version_text())
    ctx.exit(0)


@click.group(
    PROG,
    cls=Commands,
    default="tui",
    no_args_is_help=False,
    context_settings=CONTEXT,
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="show the version (and the git commit when run from a checkout) and exit",
)
@config_option()
@tui_options
@log_level_option
def leadsync(
    config: str | None,
    read_only: bool,
    mask_pii: bool,
    watch_only: bool,
    theme: str | None,
    log_level: str | None,
) -> None:
    """Watch and steer the two-way lead sync between DomIQ and ResMan. With no config
    file it runs a demo on embedded simulators.

    Shell completion: eval "$(_LEADSYNC_COMPLETE=bash_source leadsync)" (zsh_source,
    fish_source for those shells)."""


for command in (
    tui_command,
    sync_command,
    status_command,
    drift_command,
    audit_command,
    sim_command,
    init_command,
    config_group,
    store_group,
):
    leadsync.add_command(command)
