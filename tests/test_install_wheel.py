"""`leadsync` installed as a tool (what `pipx install .` and `uv tool install .` do): the
wheel built from this tree, in a fresh venv, gives a working command with its styles.

The fresh venv borrows the running venv's dependencies through a `.pth` line (no network
needed); the editable install of this checkout there is not seen, so what runs is the
wheel's copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from leadsync_tui import __version__

ROOT = Path(__file__).parents[1]

# One worker runs the module under xdist (`--dist loadgroup`): the wheel and its venv (the
# module fixture, ~35 s on a busy 2-core machine) are built once, not once a worker.
pytestmark = pytest.mark.xdist_group("install_wheel")


def run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    """Run a command outside this checkout (`python -c` imports from its folder)."""
    done = subprocess.run(
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=Path(args[0]).parent if env is None else env["HOME"],
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the wheel of this tree; its `bin` folder."""
    base = tmp_path_factory.mktemp("wheel")
    wheels = base / "dist"
    run(sys.executable, "-m", "pip", "wheel", ROOT, "-w", wheels, "--no-deps", "-q")
    (wheel,) = wheels.glob("leadsync-*.whl")
    venv = base / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    Path(purelib.strip(), "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel)
    return venv / "bin"


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADSYNC_", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    env.update(XDG_DATA_HOME=str(home / "data"), XDG_STATE_HOME=str(home / "state"))
    return env


def test_the_installed_command_names_its_version_and_checks_a_config(
    installed: Path, tmp_path: Path
) -> None:
    env = clean_env(tmp_path)
    where = run(installed / "python", "-c", "import leadsync_tui; print(leadsync_tui.__file__)")
    assert where.startswith(str(installed.parent))  # the wheel's copy, not this checkout
    assert run(installed / "leadsync", "--version", env=env) == f"leadsync {__version__}\n"
    check = run(installed / "leadsync", "config", "check", env=env)
    assert "mode: demo (embedded simulators)" in check
    assert check.endswith("config OK\n")


def test_the_wheel_carries_every_stylesheet(installed: Path) -> None:
    styles = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "leadsync_tui").rglob("*.tcss"))
    listing = run(
        installed / "python",
        "-c",
        "import json, pathlib, leadsync_tui; root = pathlib.Path(leadsync_tui.__file__).parents[1];"
        " print(json.dumps(sorted(str(p.relative_to(root)) for p in"
        " (root / 'leadsync_tui').rglob('*.tcss'))))",
    )
    assert styles and json.loads(listing) == styles


def test_the_installed_engine_syncs_the_demo(installed: Path, tmp_path: Path) -> None:
    out = run(installed / "leadsync", "sync", "--headless", "--once", env=clean_env(tmp_path))
    done = json.loads(out.splitlines()[-1])
    assert done["event"] == "done" and done["exit_code"] == 0
