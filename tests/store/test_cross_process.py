"""A resolution made in one window appears in a window of another process within a
second (#14), on a SQLite file and on PostgreSQL over loopback: the watcher is a real
second process (`window_process`) following the store as the TUI does."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

from leadsync_tui.models import ConflictResolution, Resolution
from leadsync_tui.store.actions import ConflictsDetected
from leadsync_tui.store.opening import open_database
from leadsync_tui.store.store import LeadSyncStore
from tests.store.conftest import make_conflict, make_lead
from tests.team_store import BOTH, team_store

WITHIN_S = 1.0


@pytest.mark.parametrize("kind", BOTH)
async def test_a_resolution_reaches_a_window_in_another_process_within_a_second(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    where = team_store(kind, request, tmp_path)
    async with await open_database(where) as db:
        store = LeadSyncStore(db)
        await store.merge_leads([make_lead("c1")])
        await store.dispatch(ConflictsDetected([make_conflict("k1", "c1")]))
        target = [kind, str(where)]
        if where.password is not None:
            target.append(where.password.get_secret_value())
        window = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.store.window_process",
            *target,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert window.stdout is not None
            ready = await asyncio.wait_for(window.stdout.readline(), 60)
            assert ready.strip() == b"ready"
            await store.resolve_conflict(
                "k1", ConflictResolution(resolution=Resolution.DOMIQ_WINS, reason="ok"), "maria"
            )
            committed = time.monotonic()
            line = await asyncio.wait_for(window.stdout.readline(), 30)
        finally:
            if window.returncode is None:
                window.kill()
            await window.wait()
    took = json.loads(line)["seen"] - committed
    print(f"{kind}: resolution seen in the other process after {took * 1000:.0f} ms")
    assert took <= WITHIN_S
