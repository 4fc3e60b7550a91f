"""A conflict the engine finds is stored with the change that found it. Before, an
engine SIGKILLed after committing a pair's link and snapshot but before it recorded the
pair's conflict lost the conflict for good: nothing merged the pair again, so its values
stayed apart and nobody was asked (seen in the ten-kill team run on PostgreSQL: a phone
that differed with no conflict open)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync_tui.store.db import Database
from leadsync_tui.sync.conflict_recorder import ConflictRecorder, Detected
from tests.engine.conftest import sim_rig


async def test_conflicts_are_in_the_store_before_anything_else_happens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def killed_right_after_the_commit(self: ConflictRecorder, detected: Detected) -> int:
        return 0  # the process died here: nothing after the commit happens

    monkeypatch.setattr(ConflictRecorder, "publish", killed_right_after_the_commit)
    async with sim_rig(tmp_path, leads=40) as rig:
        conflicting = set(rig.sims.world.conflicting_pairs)
        assert conflicting
        async with rig.engine() as engine:
            await engine.run_once(max_wait=10)
            assert not engine.store.state.open_conflicts  # the state never took them in

        # The next engine (another process) finds every one of them in the store.
        db = await Database.open(rig.settings.sync.database)
        try:
            stored = {conflict.conversation_id for conflict in await db.open_conflicts()}
        finally:
            await db.close()
        assert conflicting <= stored
