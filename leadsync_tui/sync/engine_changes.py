"""What the engine hears from the store: pull and push requests, leads the feed changed,
the live feed's connection.

Split from `engine` so the store subscription and what it sets (a pull asked for, the
leads to merge locally, the feed's last known state) are one small module; the engine's
loops wait on the events kept here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from leadsync_tui.store.changes import (
    Change,
    ConnectionStateChanged,
    EngineRequest,
    EngineRequestKind,
    LeadsChanged,
)
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.engine_state import record_feed
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.outbox_worker import OutboxWorker


class ChangeListener:
    """The engine's subscription to the store's changes, and the state they set."""

    def __init__(
        self,
        store: LeadSyncStore,
        worker: OutboxWorker,
        journal: Journal,
        db: Database,
        now: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._worker = worker
        self._journal = journal
        self._db = db
        self._now = now
        self.pull_now = asyncio.Event()
        """Set by a pull request (or a reload): the reconcile loop passes at once."""
        self.dirty: set[str] = set()
        """Leads to merge in the next local pass (feed changes, the worker's rechecks)."""
        self.dirty_event = asyncio.Event()
        self.live = False
        """True while `run()` runs: only then are feed changes merged locally."""
        self.background: set[asyncio.Task[Any]] = set()
        """The feed-state writes in flight (the engine cancels them when it stops)."""
        self._feed_connected: bool | None = None

    @contextlib.contextmanager
    def listening(self) -> Iterator[None]:
        unsubscribe = self._store.subscribe(self._on_changes)
        try:
            yield
        finally:
            unsubscribe()

    def _on_changes(self, changes: Sequence[Change]) -> None:
        for change in changes:
            if isinstance(change, EngineRequest):
                if change.kind is EngineRequestKind.PULL:
                    self.pull_now.set()
                elif change.kind in (EngineRequestKind.PUSH, EngineRequestKind.RETRY):
                    self._worker.wake()
            elif isinstance(change, LeadsChanged) and self.live:
                self.dirty |= change.keys
                self.dirty_event.set()
            elif isinstance(change, ConnectionStateChanged):
                self._feed_changed(change)

    def mark_dirty(self, conversation_id: str) -> None:
        self.dirty.add(conversation_id)
        if self.live:
            self.dirty_event.set()

    def _feed_changed(self, change: ConnectionStateChanged) -> None:
        if change.connected == self._feed_connected:
            return
        self._feed_connected = change.connected
        self._journal.emit(
            "feed", connected=change.connected, reconnect_attempts=change.reconnect_attempts
        )
        task = asyncio.get_running_loop().create_task(record_feed(self._db, self._now(), change))
        self.background.add(task)
        task.add_done_callback(self.background.discard)
