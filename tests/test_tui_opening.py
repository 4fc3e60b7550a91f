"""The TUI opens its engine before the first frame: a database that cannot be opened
ends in one line naming it and the fix, exit 2, no screen and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_database_path_that_is_a_folder_ends_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "leads.db"
    database.mkdir()
    config = tmp_path / "leadsync.toml"
    config.write_text(
        "[domiq]\nbase_url = 'http://127.0.0.1:9'\ntoken = 'token'\n"
        "[resman]\nbase_url = 'http://127.0.0.1:9'\nintegration_partner_id = 'partner'\n"
        "api_key = 'key'\naccount_id = '1'\n"
        "[resman.properties.prop_a]\nproperty_id = 'P1'\n"
        f"[sync]\ndatabase = '{database}'\n"
    )
    config.chmod(0o600)
    done = subprocess.run(
        [sys.executable, "-m", "leadsync_tui.cli", "--config", str(config)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    problems = [line for line in done.stderr.splitlines() if "warning" not in line]
    assert problems == [
        f"leadsync: cannot use the sync database {database}: unable to open database file; "
        "check the path ([sync] database), its permissions and free disk space"
    ]
    assert "Traceback" not in done.stderr + done.stdout
    assert "\x1b[" not in done.stdout  # no screen was drawn
