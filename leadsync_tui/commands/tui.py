"""`leadsync [tui options]` and `leadsync tui`: the terminal UI (the default command).

Textual is imported only when the UI runs (or a `--theme` is checked): the headless
commands never load it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from leadsync_tui.commands.options import (
    begin,
    config_option,
    inherited,
    load_or_exit,
    log_level_option,
    out_err,
)
from leadsync_tui.exit_codes import ExitCode

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_THEME = "textual-dark"


def _themes() -> list[str]:
    from textual.theme import BUILTIN_THEMES

    return sorted(BUILTIN_THEMES)


class ThemeName(click.ParamType[str]):
    """Any theme Textual has; the list is read from Textual when it is needed."""

    name = "theme"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        themes = _themes()
        if value not in themes:
            self.fail(f"no theme {value!r}; choose one of: {', '.join(themes)}", param, ctx)
        return value

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return [CompletionItem(name) for name in _themes() if name.startswith(incomplete)]


def tui_options(function: F) -> F:
    """`--read-only`, `--mask-pii`, `--watch-only`, `--theme`: on `leadsync` and `tui`."""
    for option in reversed(
        [
            click.option(
                "--read-only", is_flag=True, help="viewer role: hide every action that changes data"
            ),
            click.option(
                "--mask-pii",
                is_flag=True,
                help="mask names, emails and phones (for screen sharing)",
            ),
            click.option(
                "--watch-only",
                is_flag=True,
                help="never run the sync engine in this window, only show the store (another "
                "leadsync holds the sync lease; without this flag the window takes it over "
                "once that one is gone)",
            ),
            click.option(
                "--theme",
                type=ThemeName(),
                default=None,
                metavar="THEME",
                help="colour theme: any Textual theme, e.g. textual-light, nord "
                f"(default {DEFAULT_THEME})",
            ),
        ]
    ):
        function = option(function)
    return function


@click.command("tui", short_help="open the terminal UI (the default)")
@config_option()
@tui_options
@log_level_option
@click.pass_context
def tui_command(
    ctx: click.Context,
    config: str | None,
    read_only: bool,
    mask_pii: bool,
    watch_only: bool,
    theme: str | None,
    log_level: str | None,
) -> None:
    """Open the terminal UI (the default command)."""
    begin(ctx, "tui", log_level)
    _, err = out_err()
    loaded = load_or_exit(ctx, inherited(ctx, "config", config), err)
    from leadsync_tui.commands.tui_session import run_tui

    code = run_tui(
        loaded.settings,
        err,
        read_only=inherited(ctx, "read_only", read_only),
        mask_pii=inherited(ctx, "mask_pii", mask_pii),
        theme=inherited(ctx, "theme", theme) or DEFAULT_THEME,
        watch_only=inherited(ctx, "watch_only", watch_only),
    )
    # The TUI's screen hid what was printed before it; say the warnings again on exit
    # (not when it never opened: they are still on the screen).
    for warning in loaded.warnings if code != ExitCode.USAGE else ():
        print(f"leadsync: warning: {warning}", file=err)
    ctx.exit(code)
