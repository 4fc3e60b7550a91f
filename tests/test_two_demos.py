"""Two demos at once (`make demo` in a second terminal) leave each other alone: the
second one deleted the first one's database as it started afresh (the first went on
writing to a deleted file; `leadsync status` read the second's)."""

from __future__ import annotations

from leadsync_tui.config import Settings
from leadsync_tui.sim.runner import SimOptions
from leadsync_tui.wiring import demo_database_file, open_engine

OPTIONS = SimOptions(domiq_port=0, resman_port=0, leads=3, activity_per_min=0.0)


async def test_a_second_demo_runs_on_its_own_database_and_removes_it() -> None:
    shared = demo_database_file()
    async with open_engine(Settings(), sim_options=OPTIONS, watcher=False) as first:
        assert first.store.sqlite_path == shared
        await first.engine.db.set_cursor("probe", "first")
        before = shared.stat().st_ino
        async with open_engine(Settings(), sim_options=OPTIONS, watcher=False) as second:
            own = second.store.sqlite_path
            assert own != shared and own.parent == shared.parent
            await second.engine.db.set_cursor("probe", "second")
            assert shared.stat().st_ino == before
            assert await first.engine.db.get_cursor("probe") == "first"
        assert not own.exists()
        assert not list(shared.parent.glob(f"{own.name}*"))
        assert shared.stat().st_ino == before
    async with open_engine(Settings(), sim_options=OPTIONS, watcher=False) as third:
        assert third.store.sqlite_path == shared  # the first is gone: afresh, as before
        assert await third.engine.db.get_cursor("probe") is None
