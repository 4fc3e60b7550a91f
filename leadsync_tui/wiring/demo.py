"""The demo's half of the wiring: settings pointed at the embedded simulators, and a
demo database started afresh on every demo run (kept afterwards, so `leadsync status`
can read what the last demo run did).

Two demos at once (`make demo` in a second terminal) each run their own simulators, so
each has its own world: the first holds the demo database (an advisory lock beside it,
released when its process ends, however it ends); a demo that finds it held runs on a
database of its own, `leadsync-demo-<pid>.db`, removed when it stops. Starting afresh
never deletes a database another demo is using.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from leadsync_tui.config import DomiqSettings, ResmanProperty, ResmanSettings, Settings
from leadsync_tui.private_files import private_dir

if TYPE_CHECKING:
    from leadsync_tui.sim.runner import RunningSims


def settings_for_sims(settings: Settings, sims: RunningSims) -> Settings:
    """The configured settings, pointed at the running simulators (with the world's
    default lost reason, which a disqualification needs)."""
    world = sims.world
    return settings.model_copy(
        update={
            "domiq": DomiqSettings(base_url=sims.domiq_url, token=SecretStr(world.token)),
            "resman": ResmanSettings(
                base_url=sims.resman_url,
                integration_partner_id=world.partner_id,
                api_key=SecretStr(world.api_key),
                account_id=world.account_id,
                properties={
                    link.domiq_id: ResmanProperty(
                        property_id=link.property_id,
                        name=link.name,
                        source_id=link.source_id,
                        agent_id=link.agent_id,
                        lost_reason_id=world.default_lost_reason_id,
                    )
                    for link in world.properties
                },
            ),
        }
    )


logger = logging.getLogger(__name__)


@contextlib.contextmanager
def demo_database(path: Path) -> Iterator[Path]:
    """A fresh demo database for this process's life: `path` when no other demo holds
    it, else one of this process's own (removed on exit)."""
    private_dir(path.parent)
    with open(path.with_name(path.name + ".lock"), "a", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            own = path.with_name(f"{path.stem}-{os.getpid()}{path.suffix}")
            logger.info("another demo runs on %s: this one runs on %s", path, own)
            fresh_database(own)
            try:
                yield own
            finally:
                fresh_database(own)
            return
        fresh_database(path)
        yield path  # the lock is released when the file closes (or the process ends)


def fresh_database(path: Path) -> None:
    """Delete the database file (and its WAL and shared memory), if any."""
    private_dir(path.parent)
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
