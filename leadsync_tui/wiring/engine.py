"""Builds a ready engine from settings: database, store, clients, watcher (and demo sims).

In demo mode (no endpoints configured) the embedded simulators are started on free
loopback ports and the settings point at them (the TUI and `sync --headless` share this
path, so a demo runs exactly the code that runs against the real systems); the demo
database is `demo_database_file()`, started afresh on every demo run (the simulators
are seeded afresh too) and kept afterwards, so `leadsync status` can read what the last
demo run did; a second demo while one runs gets a database of its own (`demo`).

Against real endpoints one TLS context (`config.tls_context`: the public CAs plus
`[tls] ca_bundle`, hostnames checked) serves both clients and DomIQ's live feed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.config import (
    Settings,
    tls_context,
)
from leadsync_tui.locations import demo_database_file as demo_database_file
from leadsync_tui.models import utc_now
from leadsync_tui.store.opening import open_database, refuse_if_moved
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.store_location import StoreLocation
from leadsync_tui.sync.context import EngineContext
from leadsync_tui.sync.domiq_watcher import DomiqWatcher
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.journal import EventSink, Journal, ignore
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.outbox_worker import precise_now
from leadsync_tui.sync.wait_budget import WaitBudget
from leadsync_tui.wiring.demo import demo_database, settings_for_sims
from leadsync_tui.wiring.parts import build_engine

if TYPE_CHECKING:
    # Only the demo runs the simulators (imported there): ~80 ms of start-up otherwise.
    from leadsync_tui.sim.runner import RunningSims, SimOptions


def database_file(settings: Settings) -> Path:
    """The SQLite file `sync --headless` and `status` use with these settings (even when
    `[store] url` moves the store to PostgreSQL: `store migrate` reads it from there)."""
    return settings.database_file


def store_location(settings: Settings) -> StoreLocation:
    """Where the store is with these settings: the file, or `[store] url`."""
    return settings.store_location


def client_retry(settings: Settings, budget: WaitBudget) -> RetryPolicy:
    """Retries inside one call stay short (the outbox retries across calls) and wait
    out of the engine's budget, so `--max-wait` bounds them too."""
    return RetryPolicy(
        attempts=5,
        total_seconds=max(10.0, 2 * settings.sync.request_timeout),
        initial_wait=0.2,
        max_wait=5.0,
        sleep=budget.sleep,
        on_retry=budget.note,
    )


@dataclass(frozen=True)
class EngineSetup:
    """An engine and what it was built from; `settings` are the effective ones."""

    settings: Settings
    engine: SyncEngine
    store: StoreLocation
    sims: RunningSims | None
    desk: LeadDesk
    """The same clients, for the screens' own calls (a transcript, a new lead, ...)."""


@asynccontextmanager
async def open_engine(
    settings: Settings,
    *,
    on_event: EventSink = ignore,
    clock: Callable[[], datetime] = utc_now,
    sim_options: SimOptions | None = None,
    watcher: bool = True,
    progressive: bool = False,
) -> AsyncIterator[EngineSetup]:
    """Open everything the engine needs (and the simulators in demo mode); close on exit.

    The store holds every lead on entry, unless `progressive` (the TUI): then the
    caller runs `store.load_leads_progressively()`, and the engine waits for it. Opening
    leaves the outbox alone: the engine runs (and reclaims what a gone engine left in
    flight) only once it holds the sync lease."""
    async with AsyncExitStack() as stack:
        sims: RunningSims | None = None
        location = store_location(settings)
        # Real endpoints: certificates always checked, against the public CAs plus
        # `[tls] ca_bundle`. The demo's simulators are plain http on loopback.
        tls = None if settings.is_demo else tls_context(settings)
        if settings.is_demo:
            from leadsync_tui.sim.runner import SimOptions, run_simulators

            options = sim_options or SimOptions(domiq_port=0, resman_port=0)
            sims = await stack.enter_async_context(run_simulators(options))
            settings = settings_for_sims(settings, sims)
            location = StoreLocation.sqlite(
                stack.enter_context(demo_database(location.sqlite_path))
            )
        db = await open_database(location, now=clock)
        stack.push_async_callback(db.close)
        if location.url is None:
            await refuse_if_moved(db, location)
        store = LeadSyncStore(db, now=clock)
        await store.fetch_conflicts()
        if progressive:
            store.begin_load()
        else:
            await store.fetch_leads()
        timeout = settings.sync.request_timeout
        budget = WaitBudget()
        retry = client_retry(settings, budget)
        verify = True if tls is None else tls
        domiq = await stack.enter_async_context(
            DomiqClient.from_settings(settings.domiq, timeout=timeout, retry=retry, verify=verify)
        )
        resman = await stack.enter_async_context(
            ResmanClient.from_settings(settings.resman, timeout=timeout, retry=retry, verify=verify)
        )
        feed: DomiqWatcher | None = None
        if watcher:
            assert settings.domiq.base_url is not None and settings.domiq.token is not None
            feed = DomiqWatcher(
                store, domiq, base_url=settings.domiq.base_url, token=settings.domiq.token, tls=tls
            )
        desk = LeadDesk(settings, store, db, domiq, resman)
        context = EngineContext(
            store=store,
            db=db,
            domiq=domiq,
            resman=resman,
            journal=Journal(on_event, precise_now),
            now=precise_now,
            lock=asyncio.Lock(),
            budget=budget,
        )
        engine = build_engine(settings, context, watcher=feed, desk=desk)
        yield EngineSetup(settings, engine, location, sims, desk)
