"""What the engine's parts share, built once by the composition root (`wiring`).

`EngineContext` is the shared half: one store, one database, one pair of clients, one
journal, one clock, one lock and one wait budget for every part, so no part builds its
own and two parts can never disagree on which lock guards the store's writes.
`EngineParts` is the engine's own components, each built from that context.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.command_runner import CommandRunner
from leadsync_tui.sync.drift import DriftScanner
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.lead_status import LeadStatus
from leadsync_tui.sync.lease import SyncLease
from leadsync_tui.sync.outbox_worker import OutboxWorker
from leadsync_tui.sync.reconcile import Reconciler
from leadsync_tui.sync.wait_budget import WaitBudget


@dataclass(frozen=True)
class EngineContext:
    """The collaborators every part of one engine shares."""

    store: LeadSyncStore
    db: Database
    domiq: DomiqClient
    resman: ResmanClient
    journal: Journal
    now: Callable[[], datetime]
    lock: asyncio.Lock
    """Serialises the parts' read-merge-write steps on the store (worker, reconcile,
    walk-in import): one lock, made once, here."""
    budget: WaitBudget
    """Shared with the clients' retry sleeps (see `wait_budget`)."""


@dataclass(frozen=True)
class EngineParts:
    """The engine's components, built from one `EngineContext` (`wiring.parts`)."""

    lease: SyncLease
    status: LeadStatus
    worker: OutboxWorker
    reconciler: Reconciler
    drift: DriftScanner
    commands: CommandRunner
