"""`leadsync init [...]`: set up the real DomIQ and ResMan: the guided screen in a terminal
(`screens.init_app`), else every answer from the options (`setup.init_command`)."""

from __future__ import annotations

import sys
from typing import Any

import click

from leadsync_tui.commands.options import begin, config_option, inherited, log_level_option, out_err
from leadsync_tui.setup.init_options import InitAnswers


@click.command(
    "init",
    short_help="set up the real DomIQ and ResMan: try them, pair properties, write config",
    epilog="Each answer defaults to what the file already says. The property mapping is "
    "proposed by name when not given; DOMIQ_PROP is a DomIQ property id (as in its leads), "
    "'*' means every property.",
)
@config_option(
    help="the file to write, or to edit when it exists (default: $LEADSYNC_CONFIG, "
    "else the XDG config file)"
)
@click.option("--domiq-url", metavar="URL", help="DomIQ's API, e.g. https://api...")
@click.option("--domiq-token", metavar="TOKEN", help="DomIQ's API token; '-' reads it from stdin")
@click.option("--resman-url", metavar="URL", help="e.g. https://api.myresman.com")
@click.option("--resman-partner-id", metavar="ID", help="ResMan IntegrationPartnerID")
@click.option("--resman-api-key", metavar="KEY", help="ResMan API key; '-' reads it from stdin")
@click.option("--resman-account-id", metavar="N", help="ResMan AccountID")
@click.option(
    "--pair",
    multiple=True,
    metavar="DOMIQ_PROP=RESMAN_PROP",
    help="pair a DomIQ property with a ResMan PropertyID (or exact name); repeatable",
)
@click.option("--source", multiple=True, metavar="DOMIQ_PROP=ID", help="prospect source")
@click.option("--agent", multiple=True, metavar="DOMIQ_PROP=ID", help="agent (employee)")
@click.option(
    "--lost-reason",
    multiple=True,
    metavar="[DOMIQ_PROP=]ID",
    help="lost-prospect reason (no DOMIQ_PROP= means every property)",
)
@click.option(
    "--non-interactive",
    is_flag=True,
    help="ask nothing: take every answer from the options and the existing file "
    "(the default when stdin or stdout is not a terminal)",
)
@log_level_option
@click.pass_context
def init_command(ctx: click.Context, /, log_level: str | None, **given: Any) -> None:
    """Set up the real DomIQ and ResMan: try them, pair properties, write the config."""
    begin(ctx, "init", log_level)
    given["config"] = inherited(ctx, "config", given["config"])
    answers = InitAnswers(**given)
    if not answers.non_interactive and sys.stdin.isatty() and sys.stdout.isatty():
        from leadsync_tui.screens.init_app import run_guided

        ctx.exit(run_guided(answers, out_err()[1]))
    from leadsync_tui.setup.init_command import run_init

    ctx.exit(run_init(answers, *out_err()))
