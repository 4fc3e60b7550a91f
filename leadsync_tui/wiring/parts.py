"""The engine's components, built from one context: the only place they are made.

Each part receives exactly the collaborators it needs from the `EngineContext`; the
lock, the journal and the clock are the context's, so every part shares them.
"""

from __future__ import annotations

import random
from datetime import timedelta

from leadsync_tui.clients.resman import PropertyMapping
from leadsync_tui.config import Settings
from leadsync_tui.sync.command_runner import CommandRunner
from leadsync_tui.sync.conflict_recorder import ConflictRecorder
from leadsync_tui.sync.context import EngineContext, EngineParts
from leadsync_tui.sync.domiq_watcher import DomiqWatcher
from leadsync_tui.sync.drift import DriftScanner
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.foreign_deployment import ForeignDeployment
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.lead_status import DomiqView, LeadStatus
from leadsync_tui.sync.lease import SyncLease
from leadsync_tui.sync.outbox_worker import OutboxWorker
from leadsync_tui.sync.reconcile import Reconciler
from leadsync_tui.sync.resman_poller import ResmanPoller
from leadsync_tui.sync.sender import Sender
from leadsync_tui.sync.walk_ins import WalkInImporter


def build_engine(
    settings: Settings,
    context: EngineContext,
    *,
    watcher: DomiqWatcher | None = None,
    desk: LeadDesk,
    rng: random.Random | None = None,
) -> SyncEngine:
    """An engine on `context`, with its parts; `desk` runs the watching windows'
    commands with the same clients."""
    return SyncEngine(
        settings, context, build_parts(settings, context, desk=desk, rng=rng), watcher=watcher
    )


def build_parts(
    settings: Settings,
    context: EngineContext,
    *,
    desk: LeadDesk,
    rng: random.Random | None = None,
) -> EngineParts:
    """Every component of one engine, sharing `context`."""
    store, db, journal, now, lock = (
        context.store,
        context.db,
        context.journal,
        context.now,
        context.lock,
    )
    sync = settings.sync
    status = LeadStatus(store, db, journal, DomiqView(), now)
    recorder = ConflictRecorder(store, settings.policy, journal, now)
    mapping = PropertyMapping.from_settings(settings.resman)
    foreign = ForeignDeployment(db, journal, now, store)
    sender = Sender(
        store=store,
        db=db,
        domiq=context.domiq,
        resman=context.resman,
        resman_settings=settings.resman,
        view=status.view,
        now=now,
    )
    worker = OutboxWorker(
        db=db,
        store=store,
        sender=sender,
        recorder=recorder,
        status=status,
        journal=journal,
        lock=lock,
        concurrency=sync.concurrency,
        max_attempts=sync.max_attempts,
        now=now,
        rng=rng,
        hold=lambda: foreign.active,
    )
    importer = WalkInImporter(
        store=store,
        db=db,
        domiq=context.domiq,
        status=status,
        recorder=recorder,
        journal=journal,
        lock=lock,
        concurrency=sync.concurrency,
        now=now,
    )
    reconciler = Reconciler(
        store=store,
        db=db,
        domiq=context.domiq,
        poller=ResmanPoller(db, context.resman, mapping, now, journal),
        importer=importer,
        recorder=recorder,
        status=status,
        journal=journal,
        lock=lock,
        now=now,
        foreign=foreign,
    )
    drift = DriftScanner(
        store=store,
        db=db,
        domiq=context.domiq,
        resman=context.resman,
        mapping=mapping,
        reconciler=reconciler,
        journal=journal,
        now=now,
        on_progress=store.note_drift,
    )
    return EngineParts(
        lease=SyncLease(db, journal, now, expiry=timedelta(seconds=sync.lease_expiry)),
        status=status,
        worker=worker,
        reconciler=reconciler,
        drift=drift,
        commands=CommandRunner(desk, journal),
    )
