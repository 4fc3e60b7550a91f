"""What every part of the store shares: the state, its indexes, the subscribers.

`LeadSyncStore` (`store.py`) is this base plus a mixin per kind of action
(`store_leads`, `store_live`, `store_conflicts`, `store_logs`, `store_loading`) and the
read-model queries (`store_queries`); actions reach the mixins only through
`dispatch` (`store.py`), under the store's lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from leadsync_tui.models import Lead, LeadSyncConflict, LeadSyncState, utc_now
from leadsync_tui.store.changes import Change, DriftProgress, LeadsChanged, LoadProgress
from leadsync_tui.store.db import Database

logger = logging.getLogger("leadsync_tui.store.store")
"""One logger for the whole store, whichever of its modules logs."""

Subscriber = Callable[[Sequence[Change]], None]
"""Called synchronously after each action that changed something."""


class ActionRefused(Exception):
    """An action that cannot be applied; the message says why, in words for a person."""


class StoreState:
    """The store's state and the helpers every kind of action uses."""

    def __init__(
        self,
        db: Database,
        *,
        now: Callable[[], datetime] = utc_now,
        metrics_window: timedelta = timedelta(hours=1),
        logs_per_lead: int = 200,
    ) -> None:
        self._db = db
        self._now = now
        self._metrics_window = metrics_window
        self._logs_per_lead = logs_per_lead
        self._state = LeadSyncState()
        self._subscribers: list[Subscriber] = []
        self._lock = asyncio.Lock()
        self._conflict_index: dict[str, int] = {}
        """Conflict id -> position in `state.conflicts`."""
        self._open_by_lead: dict[str, set[str]] = {}
        """Conversation id -> ids of its open conflicts (empty sets are removed)."""
        self._last_event_id: int | None = None
        self._last_event_id_loaded = False
        self._loaded = asyncio.Event()
        self._loaded.set()
        self._load_progress: LoadProgress | None = None
        self._load_error: BaseException | None = None
        self._drift: DriftProgress | None = None

    @property
    def state(self) -> LeadSyncState:
        """The current state. Read it; change it only by dispatching actions."""
        return self._state

    @property
    def db(self) -> Database:
        """The database behind the store, for the wiring (the change watch, command
        tickets to the engine). Screens read what the state does not hold through the
        read-model queries (`store_queries`), not here."""
        return self._db

    def conflict(self, conflict_id: str) -> LeadSyncConflict | None:
        position = self._conflict_index.get(conflict_id)
        return None if position is None else self._state.conflicts[position]

    def open_conflicts_for(self, conversation_id: str) -> list[LeadSyncConflict]:
        ids = self._open_by_lead.get(conversation_id, set())
        return [conflict for cid in sorted(ids) if (conflict := self.conflict(cid))]

    # ----------------------------------------------------------------- subscriptions

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback` with the changes of every action; returns the unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _notify(self, changes: tuple[Change, ...]) -> None:
        for callback in tuple(self._subscribers):
            try:
                callback(changes)
            except Exception:
                logger.exception("store subscriber %r failed; the others still run", callback)

    @property
    def drift_progress(self) -> DriftProgress | None:
        """The drift scan's last progress (None before the first scan of this run)."""
        return self._drift

    def note_drift(self, progress: DriftProgress) -> None:
        """The engine's drift scan moved on: kept for screens opened later, and told."""
        self._drift = progress
        self._notify((progress,))

    def _set(self, name: str, value: Any, change: Change) -> list[Change]:
        if getattr(self._state, name) == value:
            return []
        setattr(self._state, name, value)
        return [change]

    def _store_leads(self, leads: dict[str, Lead]) -> list[Change]:
        """Put already-persisted leads into the state."""
        if not leads:
            return []
        self._state.leads.update(leads)
        return [LeadsChanged(frozenset(leads))]
