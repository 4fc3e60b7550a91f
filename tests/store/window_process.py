"""A watching window in a process of its own, for `test_cross_process`: it opens the
store, follows what others commit, prints `ready`, and prints the monotonic time it saw
conflict `k1` resolved (Linux's monotonic clock is one for every process), then exits.

    python -m tests.store.window_process sqlite PATH | postgresql URL [PASSWORD]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import SecretStr

from leadsync_tui.models import ResolutionStatus
from leadsync_tui.store.change_watch import follow, watch_for
from leadsync_tui.store.changes import Change
from leadsync_tui.store.opening import open_database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.store_location import StoreLocation


async def main(where: StoreLocation) -> None:
    async with await open_database(where) as db:
        store = LeadSyncStore(db)
        watch = watch_for(db)
        await watch.start()
        await store.fetch_leads()
        await store.fetch_conflicts()
        resolved = asyncio.Event()

        def on_changes(changes: Sequence[Change]) -> None:
            conflict = store.conflict("k1")
            if conflict is not None and conflict.resolution_status is ResolutionStatus.RESOLVED:
                resolved.set()

        store.subscribe(on_changes)
        task = asyncio.create_task(follow(store, watch))
        print("ready", flush=True)
        await resolved.wait()
        print(json.dumps({"seen": time.monotonic()}), flush=True)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


if __name__ == "__main__":
    kind, target, *password = sys.argv[1:]
    location = (
        StoreLocation.sqlite(Path(target))
        if kind == "sqlite"
        else StoreLocation.postgresql(target, SecretStr(password[0]) if password else None)
    )
    asyncio.run(main(location))
