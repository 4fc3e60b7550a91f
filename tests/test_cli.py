"""The `leadsync` command's surface: help, version, subcommands and their options."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from leadsync_tui import __version__
from leadsync_tui.cli import main
from leadsync_tui.version import source_checkout, version_text
from tests.cli_parsing import parsed


def test_version_names_the_commit_of_a_checkout(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).parents[1]
    head = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short=7", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    if head.returncode != 0:  # a source tree without git (an sdist, an export)
        assert out == f"leadsync {__version__}"
        return
    assert re.fullmatch(
        rf"leadsync {re.escape(__version__)} \(git {head.stdout.strip()}(-dirty)?\)", out
    )


def test_version_without_git_is_just_the_version(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "leadsync_tui.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": str(tmp_path)},  # no git to be found
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"leadsync {__version__}\n"


def test_an_installed_copy_is_not_a_checkout(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "leadsync_tui"
    package.mkdir(parents=True)
    (tmp_path / ".git").mkdir()  # a venv inside some repository
    assert source_checkout(package) is None
    assert version_text(package) == f"leadsync {__version__}"


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("tui", "sync", "status", "audit", "sim", "config"):
        assert command in out


def test_subcommand_options_parse() -> None:
    sync = parsed(["sync", "--headless", "--once", "--max-wait", "5"])
    assert (sync["headless"], sync["once"], sync["max_wait"]) == (True, True, 5.0)
    status = parsed(["status", "--json"])
    assert status["as_json"]
    audit = parsed(["audit", "--since", "2h", "--json", "--config", "x.toml"])
    assert (audit["since"], audit["as_json"], audit["config"]) == ("2h", True, "x.toml")
    assert parsed(["audit"])["since"] is None
    sim = parsed(["sim", "--domiq-port", "0", "--resman-port", "0", "--seed", "3"])
    assert (sim["domiq_port"], sim["resman_port"], sim["seed"], sim["leads"]) == (0, 0, 3, 200)
    tui = parsed(["--config", "x.toml", "tui", "--read-only", "--theme", "nord"])
    assert (tui["config"], tui["read_only"], tui["theme"]) == ("x.toml", True, "nord")


@pytest.mark.parametrize("theme", ["textual-light", "catppuccin-latte", "tokyo-night"])
def test_theme_takes_any_textual_theme(theme: str) -> None:
    assert parsed(["--theme", theme])["theme"] == theme


def test_an_unknown_theme_is_a_usage_error_naming_the_themes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--theme", "neon"]) == 2
    assert "textual-light" in capsys.readouterr().err


def test_a_bad_option_is_a_usage_error() -> None:
    assert main(["sim", "--domiq-port", "eighty"]) == 2


def test_the_console_script_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "leadsync_tui.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "leadsync" in done.stdout


INTERRUPT_DURING = """
import os, signal, sys
from importlib.abc import MetaPathFinder
from importlib.metadata import entry_points

MODULE = sys.argv[1]

class CtrlC(MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == MODULE:
            os.kill(os.getpid(), signal.SIGINT)
        return None

signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
sys.meta_path.insert(0, CtrlC())
(script,) = entry_points(group="console_scripts", name="leadsync")
sys.argv = ["leadsync", "status"]
sys.exit(script.load()())
"""
"""What the `leadsync` console script does (load its entry point, call it), with Ctrl+C
pressed while the module named by the first argument is being imported."""


@pytest.mark.parametrize(
    "module", ["click", "leadsync_tui.commands.root", "leadsync_tui.store.connections"]
)
def test_ctrl_c_while_starting_ends_quietly(module: str) -> None:
    """Ctrl+C during the start's imports printed a Python traceback of them."""
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPT_DURING, module],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 130, done.stderr
    assert len(done.stderr.splitlines()) <= 1 and "Traceback" not in done.stderr
    assert done.stdout == ""
