"""The commands through click's `CliRunner`: every option explained, ranges refused in
one line with exit 2, options given before the command name, shell completion."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from leadsync_tui.commands.root import leadsync
from leadsync_tui.exit_codes import ExitCode


def _commands(group: click.Group, path: str = "leadsync") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = [(path, group)]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{path} {name}")
        else:
            found.append((f"{path} {name}", command))
    return found


def test_every_option_of_every_command_says_what_it_does() -> None:
    for path, command in _commands(leadsync):
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{path} {param.opts[0]} has no help"


@pytest.mark.parametrize(
    "argv",
    [[], ["tui"], ["sync"], ["status"], ["drift"], ["audit"], ["sim"], ["init"], ["config"],
     ["config", "check"], ["store"], ["store", "migrate"]],
)  # fmt: skip
def test_every_command_has_help_and_the_log_level(argv: list[str]) -> None:
    result = CliRunner().invoke(leadsync, [*argv, "--help"], prog_name="leadsync")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: {' '.join(['leadsync', *argv])}")
    if argv not in (["config"], ["store"]):
        assert "--log-level" in result.output


def test_the_bare_command_is_the_tui() -> None:
    result = CliRunner().invoke(leadsync, ["--help"], prog_name="leadsync")
    assert "tui*" in result.output  # the default, marked
    for name in ("sync", "status", "drift", "audit", "sim", "init", "config"):
        assert f"\n  {name} " in result.output


def test_the_exit_codes_are_one_set() -> None:
    assert [int(code) for code in ExitCode] == [0, 1, 2, 3, 130]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["sync", "--headless", "--once", "--max-wait", "nan"],
         "--max-wait must be a finite number of seconds, 0 or more, got nan; e.g. --max-wait 60"),
        (["drift", "--max-wait", "-1"], "--max-wait must be 0 or more seconds, e.g. --max-wait 60"),
        (["sim", "--fault-rate", "nan"], "--fault-rate must be between 0 and 1, got nan"),
        (["sim", "--leads", "100001"], "--leads must be between 0 and 100,000, got 100,001"),
        (["sim", "--resman-port", "65536"], "--resman-port must be between 0 and 65535"),
        (["sync", "--headless", "--metrics-port", "-1"], "-1 is not a TCP port"),
    ],
)  # fmt: skip
def test_a_number_out_of_range_is_refused_before_anything_starts(
    argv: list[str], line: str
) -> None:
    result = CliRunner().invoke(leadsync, argv, prog_name="leadsync")
    assert result.exit_code == ExitCode.USAGE
    assert line in result.stderr
    assert result.stdout == ""  # nothing started
    assert "Traceback" not in result.output


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_is_taken_before_or_after_the_command_name(tmp_path: Path, where: str) -> None:
    missing = str(tmp_path / "nowhere.toml")
    argv = ["--config", missing, "status"] if where == "before" else ["status", "--config", missing]
    result = CliRunner().invoke(leadsync, argv, prog_name="leadsync")
    assert result.exit_code == ExitCode.USAGE
    assert f"leadsync: configuration problem in {missing}:" in result.stderr


def test_a_theme_textual_lacks_is_refused_with_the_choices() -> None:
    result = CliRunner().invoke(leadsync, ["--theme", "no-such-theme"], prog_name="leadsync")
    assert result.exit_code == ExitCode.USAGE
    assert "no theme 'no-such-theme'; choose one of:" in result.stderr
    assert "nord" in result.stderr


def test_shell_completion_prints_a_script_and_completes_commands() -> None:
    runner = CliRunner()
    script = runner.invoke(
        leadsync, [], prog_name="leadsync", env={"_LEADSYNC_COMPLETE": "bash_source"}
    )
    assert "_leadsync_completion" in script.output
    words = runner.invoke(
        leadsync,
        [],
        prog_name="leadsync",
        env={"_LEADSYNC_COMPLETE": "bash_complete", "COMP_WORDS": "leadsync st", "COMP_CWORD": "1"},
    )
    assert "plain,status" in words.output.splitlines()
    themes = runner.invoke(
        leadsync,
        [],
        prog_name="leadsync",
        env={
            "_LEADSYNC_COMPLETE": "bash_complete",
            "COMP_WORDS": "leadsync tui --theme no",
            "COMP_CWORD": "3",
        },
    )
    assert "plain,nord" in themes.output.splitlines()
