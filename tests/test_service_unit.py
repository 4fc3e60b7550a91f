"""`deploy/leadsync-sync.service`: a unit systemd accepts, that keeps the engine's promises
(restart on failure, a stop longer than the engine's grace, a sandbox it can still write
its store in), and whose environment points `leadsync` at /etc and /var/lib."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from leadsync_tui.config import SyncSettings

UNIT = Path(__file__).parents[1] / "deploy" / "leadsync-sync.service"


def directives() -> dict[str, list[str]]:
    """Every `Key=value` of the unit, by key (a key may repeat)."""
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    # verify also checks that ExecStart's program exists: point it at this venv's.
    here = Path(sys.executable).parent / "leadsync"
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/leadsync", str(here)))
    run = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout + run.stderr == ""


def test_the_unit_restarts_on_failure_stops_gracefully_and_is_sandboxed() -> None:
    unit = directives()
    assert unit["ExecStart"] == ["/usr/local/bin/leadsync sync --headless"]
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["RestartPreventExitStatus"] == ["2"]  # a bad config: restarting cannot help
    assert unit["KillSignal"] == ["SIGTERM"]
    grace = SyncSettings().request_timeout
    assert int(unit["TimeoutStopSec"][0]) >= grace + 10
    for key, value in {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "StateDirectory": "leadsync",
        "ConfigurationDirectory": "leadsync",
        "User": "leadsync",
        "StandardOutput": "journal",
    }.items():
        assert unit[key] == [value], key


def test_the_units_environment_reads_etc_and_writes_var_lib(tmp_path: Path) -> None:
    """The unit's Environment= lines, with its %E/%S/%C as folders here: `config check`
    reads the config from the configuration directory and puts the store in the state
    directory."""
    roots = {"%E": tmp_path / "etc", "%S": tmp_path / "var-lib", "%C": tmp_path / "cache"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADSYNC_", "XDG_"))}
    for assignment in directives()["Environment"]:
        key, _, value = assignment.partition("=")
        for spec, root in roots.items():
            value = value.replace(spec, str(root))
        env[key] = value
    config = roots["%E"] / "leadsync" / "config.toml"
    config.parent.mkdir(parents=True, mode=0o700)
    config.write_text(  # endpoints set: not the demo, whose store is its own file
        '[domiq]\nbase_url = "https://domiq.example"\ntoken = "t"\n'
        '[resman]\nbase_url = "https://resman.example"\nintegration_partner_id = "p"\n'
        'api_key = "k"\naccount_id = "400"\n'
        "[sync]\npoll_interval = 10\n"
    )
    config.chmod(0o600)
    run = subprocess.run(
        [sys.executable, "-m", "leadsync_tui.cli", "config", "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert f"config file: {config} ($LEADSYNC_CONFIG)" in run.stdout
    values = {line.split()[0]: line.split()[1:] for line in run.stdout.splitlines()}
    assert values["sync.poll_interval"] == ["10.0", "[file]"]
    assert values["sync.database"] == [str(roots["%S"] / "leadsync" / "leadsync.db"), "[default]"]
