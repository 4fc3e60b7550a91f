"""Keeps the store's picture of DomIQ current: a full pull, then the live feed.

This is the read half of the engine, the part the dashboard needs to show leads moving.
The feed connects first and the pull follows, so nothing that happens in between is
missed (the store ignores a lead older than the one it holds, so the overlap is
harmless). `resync_required` and an engine `pull` request trigger a full pull again.
Connection state goes to the store as it changes. Headless: no Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable, Sequence

from pydantic import SecretStr

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.domiq_feed import DomiqFeed, FeedState
from leadsync_tui.clients.errors import SyncError
from leadsync_tui.event_wait import wait_for_event
from leadsync_tui.models import EventType, Lead, SyncEvent
from leadsync_tui.store.actions import ConnectionChanged, SetError
from leadsync_tui.store.changes import Change, EngineRequest, EngineRequestKind
from leadsync_tui.store.store import LeadSyncStore

logger = logging.getLogger(__name__)

PULL_BATCH = 500
"""Leads merged per store transaction during a full pull."""
FEED_WAIT_BEFORE_PULL_S = 5.0
"""How long the first pull waits for the live feed to connect."""
EVENT_BATCH = 500
"""Live events applied per store transaction at most..."""
EVENT_FLUSH_S = 0.05
"""...and the longest an event waits for its batch to fill before it is applied."""


class DomiqWatcher:
    """Pulls every DomIQ lead into the store, then applies live events as they come."""

    def __init__(
        self,
        store: LeadSyncStore,
        client: DomiqClient,
        *,
        base_url: str,
        token: SecretStr,
        backoff_initial: float = 0.5,
        stale_after: float = 30.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self._base_url = base_url
        self._token = token
        self._backoff_initial = backoff_initial
        self._stale_after = stale_after
        self._tls = tls
        self._feed: DomiqFeed | None = None
        self._pull_wanted = asyncio.Event()
        self._feed_connected = asyncio.Event()
        self._latest_state: FeedState | None = None
        """The feed's newest state not reported yet: only the latest one matters."""
        self._state_changed = asyncio.Event()
        self._events: list[SyncEvent] = []
        """Live events received, not yet applied to the store (see `_flush_events`)."""
        self._events_waiting = asyncio.Event()
        self._batch_full = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self.on_domiq_copy: Callable[[Lead], None] | None = None
        """Told each lead the feed carries, as DomIQ holds it (the engine's `DomiqView`:
        another deployment linking a lead shows in the next local pass, not the next
        full pull)."""

    async def run(self) -> None:
        """Until cancelled: the feed, the pulls it asks for, and connection reports."""
        since = await self.store.last_event_id()
        self._feed = DomiqFeed(
            self._base_url,
            self._token,
            on_event=self._on_event,
            on_state=self._on_feed_state,
            since=since,
            backoff_initial=self._backoff_initial,
            stale_after=self._stale_after,
            tls=self._tls,
        )
        unsubscribe = self.store.subscribe(self._on_store_changes)
        self._pull_wanted.set()
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._feed.run())
                tasks.create_task(self._report_states())
                tasks.create_task(self._pull_when_wanted())
                tasks.create_task(self._flush_events_every_while())
        finally:
            unsubscribe()
            # Best effort: what is still buffered goes in now. Should this fail, nothing
            # is lost either: the stored resume point has not passed those events, so
            # the next start asks DomIQ for them again.
            with contextlib.suppress(Exception):
                await self._flush_events()

    def request_reconnect(self) -> None:
        """The operator asked to reconnect the live feed now."""
        if self._feed is not None:
            self._feed.request_reconnect()

    async def pull_all(self) -> int:
        """Merge every DomIQ lead into the store; returns how many were read."""
        batch: list[Lead] = []
        count = 0
        async for lead in self.client.iter_leads(page_size=PULL_BATCH):
            batch.append(lead)
            if len(batch) >= PULL_BATCH:
                await self.store.merge_leads(batch)
                count += len(batch)
                batch = []
        if batch:
            await self.store.merge_leads(batch)
            count += len(batch)
        return count

    async def _on_event(self, event: SyncEvent) -> None:
        """Buffer the event; `_flush_events` applies the buffer as one batch.

        One store transaction and one UI notification per batch (up to `EVENT_BATCH`
        events, at most `EVENT_FLUSH_S` old) instead of one per event. The resume point
        that survives a restart (the store's event cursor) moves in the same transaction
        as the batch's leads, so it never passes an event that is not stored. A full
        buffer is applied before this returns, so a flood waits here (and TCP holds
        DomIQ back) instead of piling up in memory.
        """
        if event.type is EventType.RESYNC_REQUIRED:
            await self._flush_events()  # what came before the resync goes in first
            self._pull_wanted.set()
            return
        self._events.append(event)
        self._events_waiting.set()
        if len(self._events) >= EVENT_BATCH:
            self._batch_full.set()
            await self._flush_events()

    async def _flush_events(self) -> None:
        """Apply the buffered events to the store as one batch, in arrival order."""
        async with self._flush_lock:
            if not self._events:
                return
            batch, self._events = self._events, []
            self._batch_full.clear()
            self._tell_copies(batch)
            try:
                await self.store.handle_messages(batch)
            except BaseException:
                self._events[:0] = batch  # not applied: keep them, ahead of newer ones
                self._events_waiting.set()
                raise

    def _tell_copies(self, batch: Sequence[SyncEvent]) -> None:
        if self.on_domiq_copy is None:
            return
        for event in batch:
            try:
                lead = event.lead()
            except ValueError:  # malformed: the store says so when it applies the batch
                continue
            if lead is not None:
                self.on_domiq_copy(lead)

    async def _flush_events_every_while(self) -> None:
        """Apply buffered events once the oldest is `EVENT_FLUSH_S` old (or sooner,
        when the batch is full)."""
        while True:
            await self._events_waiting.wait()
            await wait_for_event(self._batch_full, EVENT_FLUSH_S)
            self._events_waiting.clear()
            await self._flush_events()
            if self._events:
                self._events_waiting.set()

    def _on_store_changes(self, changes: Sequence[Change]) -> None:
        for change in changes:
            if isinstance(change, EngineRequest):
                if change.kind is EngineRequestKind.PULL:
                    self._pull_wanted.set()
                elif change.kind is EngineRequestKind.RECONNECT:
                    self.request_reconnect()

    def _on_feed_state(self, state: FeedState) -> None:
        if state.connected:
            self._feed_connected.set()
        self._latest_state = state
        self._state_changed.set()

    async def _pull_when_wanted(self) -> None:
        # Pull once the feed is subscribed: anything that changes after the pull has read
        # past it then arrives as an event instead of being missed. A feed that cannot
        # connect must not keep the leads off the screen, so pull anyway after a while.
        await wait_for_event(self._feed_connected, FEED_WAIT_BEFORE_PULL_S)
        while True:
            await self._pull_wanted.wait()
            self._pull_wanted.clear()
            try:
                await self.pull_all()
            except SyncError as exc:
                logger.warning("DomIQ pull failed: %s", exc)
                await self.store.dispatch(SetError(f"DomIQ pull failed: {exc}"))
                await asyncio.sleep(5)
                self._pull_wanted.set()

    async def _report_states(self) -> None:
        while True:
            await self._state_changed.wait()
            self._state_changed.clear()
            state, self._latest_state = self._latest_state, None
            if state is None:
                continue
            await self.store.dispatch(
                ConnectionChanged(
                    connected=state.connected,
                    last_ping=state.last_ping,
                    reconnect_attempts=state.reconnect_attempts,
                )
            )
