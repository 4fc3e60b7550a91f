"""A database connection an error path forgot must not keep leadsync alive: aiosqlite's
worker threads are not daemons, so the process would hang after its last line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FORGETS_ITS_DATABASE = """
import asyncio, sys
from leadsync_tui.store import connections
from leadsync_tui.store.db import Database

kept = []  # still referenced (a traceback, a global): the garbage collector cannot help

async def forget() -> None:
    kept.append(await Database.open(sys.argv[1]))  # never closed

asyncio.run(forget())
print("stopped", connections.stop_leaked())
"""


def test_a_database_left_open_is_stopped_and_the_process_exits(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FORGETS_ITS_DATABASE, str(tmp_path / "leadsync.db")],
        capture_output=True,
        text=True,
        timeout=60,  # a hang, not a speed goal: without stop_leaked it never exits
    )
    assert done.returncode == 0, done.stderr
    assert "stopped 1" in done.stdout


def test_the_cli_stops_what_a_command_left_open(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from leadsync_tui import cli\n"
        "from leadsync_tui.store.db import Database\n"
        "import asyncio\n"
        "kept = []\n"
        "def leaky(*args, **kwargs):\n"
        "    kept.append(asyncio.run(Database.open(sys.argv[1])))\n"
        "    return 3\n"
        "from leadsync_tui.commands import status_run as status\n"
        "status.run_status = leaky\n"
        "sys.exit(cli.main(['status']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "leadsync.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
