"""The `leadsync` command's surface: help, version, subcommands and their options."""

from __future__ import annotations

import subprocess
import sys

import pytest

from leadsync_tui import __version__
from leadsync_tui.cli import build_parser, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"leadsync {__version__}"


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("tui", "sync", "status", "audit", "sim", "config"):
        assert command in out


def test_subcommand_options_parse() -> None:
    parser = build_parser()
    sync = parser.parse_args(["sync", "--headless", "--once", "--max-wait", "5"])
    assert (sync.headless, sync.once, sync.max_wait) == (True, True, 5.0)
    status = parser.parse_args(["status", "--json"])
    assert status.json
    audit = parser.parse_args(["audit", "--since", "2h", "--json", "--config", "x.toml"])
    assert (audit.since, audit.json, audit.config) == ("2h", True, "x.toml")
    assert parser.parse_args(["audit"]).since is None
    sim = parser.parse_args(["sim", "--domiq-port", "0", "--resman-port", "0", "--seed", "3"])
    assert (sim.domiq_port, sim.resman_port, sim.seed, sim.leads) == (0, 0, 3, 200)
    tui = parser.parse_args(["--config", "x.toml", "tui", "--read-only", "--theme", "nord"])
    assert (tui.config, tui.read_only, tui.theme) == ("x.toml", True, "nord")


@pytest.mark.parametrize("theme", ["textual-light", "catppuccin-latte", "tokyo-night"])
def test_theme_takes_any_textual_theme(theme: str) -> None:
    assert build_parser().parse_args(["--theme", theme]).theme == theme


def test_an_unknown_theme_is_a_usage_error_naming_the_themes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--theme", "neon"])
    assert exited.value.code == 2
    assert "textual-light" in capsys.readouterr().err


def test_a_bad_option_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sim", "--domiq-port", "eighty"])
    assert exited.value.code == 2


def test_the_console_script_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "leadsync_tui.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "leadsync" in done.stdout
