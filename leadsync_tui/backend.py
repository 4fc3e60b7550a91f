"""Everything behind the screen, built once: store, clients, watcher, and (demo) simulators.

With no endpoints configured (demo mode) the embedded simulators are started on free
loopback ports and the settings are pointed at them, so the TUI and the headless engine
run the very same code path in a demo as against the real systems. The demo database is
a fresh file per run, because the simulators are seeded afresh each time. Headless.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import SecretStr

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.config import DomiqSettings, ResmanProperty, ResmanSettings, Settings
from leadsync_tui.models import utc_now
from leadsync_tui.sim.runner import RunningSims, SimOptions, run_simulators
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.domiq_watcher import DomiqWatcher


@dataclass(frozen=True)
class Backend:
    """What the app and the headless engine drive; `settings` are the effective ones."""

    settings: Settings
    store: LeadSyncStore
    database: Database
    domiq: DomiqClient
    watcher: DomiqWatcher
    sims: RunningSims | None

    @property
    def is_demo(self) -> bool:
        return self.sims is not None


def settings_for_sims(settings: Settings, sims: RunningSims) -> Settings:
    """The configured settings, pointed at the running simulators."""
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
                        source_id=link.source_id,
                        agent_id=link.agent_id,
                    )
                    for link in world.properties
                },
            ),
        }
    )


@asynccontextmanager
async def open_backend(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    sim_options: SimOptions | None = None,
) -> AsyncIterator[Backend]:
    """Open the store, the clients and (in demo mode) the simulators; close all on exit."""
    async with AsyncExitStack() as stack:
        sims: RunningSims | None = None
        if settings.is_demo:
            options = sim_options or SimOptions(domiq_port=0, resman_port=0)
            sims = await stack.enter_async_context(run_simulators(options))
            settings = settings_for_sims(settings, sims)
            demo_dir = Path(tempfile.mkdtemp(prefix="leadsync-demo-"))
            stack.callback(shutil.rmtree, demo_dir, True)
            path = demo_dir / "demo.db"
        else:
            path = settings.sync.database.expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
        database = await Database.open(path, now=clock)
        stack.push_async_callback(database.close)
        store = LeadSyncStore(database, now=clock)
        await store.fetch_leads()
        await store.fetch_conflicts()
        domiq = await stack.enter_async_context(
            DomiqClient.from_settings(settings.domiq, timeout=settings.sync.request_timeout)
        )
        assert settings.domiq.base_url is not None and settings.domiq.token is not None
        watcher = DomiqWatcher(
            store, domiq, base_url=settings.domiq.base_url, token=settings.domiq.token
        )
        yield Backend(settings, store, database, domiq, watcher, sims)
