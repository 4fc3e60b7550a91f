"""What the commands share: typed, range-checked numbers whose refusal is one line that
names the option and a value to pass instead, `--config` and `--log-level` (given before
or after the command name), and loading the configuration."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

import click

from leadsync_tui.config import ConfigError, LoadedSettings, load_settings
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.logging_setup import LOG_LEVELS, configure_for_command

F = TypeVar("F", bound=Callable[..., Any])


class OptionProblem(click.BadParameter):
    """A value of the right kind out of its range: the message says it all, in one line."""

    def format_message(self) -> str:
        return self.message


class _Bounded:
    """Mixed into click's ranges: a refusal reads `problem` (formatted with the value)."""

    problem: str

    def _refuse(
        self, value: float, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        raise OptionProblem(self.problem.format(value=value), ctx=ctx, param=param)


class IntIn(_Bounded, click.IntRange):
    """A whole number within bounds; text that is no number is click's usage error."""

    def __init__(self, problem: str, min: int | None = None, max: int | None = None) -> None:
        super().__init__(min=min, max=max)
        self.problem = problem

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.INT.convert(value, param, ctx)
        try:
            return super().convert(number, param, ctx)
        except click.BadParameter:
            return self._refuse(number, param, ctx)


class FloatIn(_Bounded, click.FloatRange):
    """A finite number within bounds: `nan` and `inf` compare false, so they are refused
    here by name (click's range alone would let `nan` through)."""

    def __init__(self, problem: str, min: float | None = None, max: float | None = None) -> None:
        super().__init__(min=min, max=max)
        self.problem = problem

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            return self._refuse(number, param, ctx)
        try:
            return super().convert(number, param, ctx)
        except click.BadParameter:
            return self._refuse(number, param, ctx)


def config_option(
    help: str = "config file (default: $LEADSYNC_CONFIG, else the XDG config dir; none = demo)",
) -> Callable[[F], F]:
    """`--config PATH` (also accepted before the command name: `leadsync --config X status`)."""
    return click.option("--config", metavar="PATH", default=None, help=help)


def log_level_option(function: F) -> F:
    """`--log-level`, on the group and every command."""
    return click.option(
        "--log-level",
        type=click.Choice(LOG_LEVELS, case_sensitive=False),
        default=None,
        help="how much to log (default: INFO to the TUI's log file, WARNING elsewhere)",
    )(function)


def inherited(ctx: click.Context, name: str, value: Any) -> Any:
    """An option given after the command name, else the same option given before it."""
    if value not in (None, False):
        return value
    return ctx.find_root().params.get(name, value)


def begin(ctx: click.Context, command: str, log_level: str | None) -> None:
    """The logging setup for `command` (`logging_setup.configure_for_command`)."""
    level = inherited(ctx, "log_level", log_level)
    configure_for_command(command, level.upper() if level else None)


def out_err() -> tuple[TextIO, TextIO]:
    """Where a command prints, looked up when it runs (`CliRunner` swaps them)."""
    return sys.stdout, sys.stderr


def load(
    config: str | None, err: TextIO, loader: Callable[[], LoadedSettings] | None = None
) -> LoadedSettings | None:
    """The settings, warnings printed; `None` after printing every problem of a bad file."""
    try:
        loaded = loader() if loader is not None else load_settings(config)
    except ConfigError as exc:
        where = f" in {exc.path}" if exc.path else ""
        print(f"leadsync: configuration problem{where}:", file=err)
        for problem in exc.problems:
            print(f"  - {problem}", file=err)
        return None
    for warning in loaded.warnings:
        print(f"leadsync: warning: {warning}", file=err)
    return loaded


def load_or_exit(
    ctx: click.Context,
    config: str | None,
    err: TextIO,
    loader: Callable[[], LoadedSettings] | None = None,
) -> LoadedSettings:
    """The settings, or the command ends with exit 2 after every problem was printed:
    what every command does first."""
    loaded = load(config, err, loader)
    if loaded is None:
        ctx.exit(ExitCode.USAGE)
    return loaded
