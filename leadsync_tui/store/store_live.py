"""The live feed: DomIQ events merged in batches, the event cursor, the connection state."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from leadsync_tui.models import EventType, Lead, SyncEvent
from leadsync_tui.store.actions import ConnectionChanged, MergeOrigin
from leadsync_tui.store.changes import (
    Change,
    ConnectionStateChanged,
    EngineRequest,
    EngineRequestKind,
    ErrorChanged,
)
from leadsync_tui.store.records import Cursor
from leadsync_tui.store.store_leads import LeadActions
from leadsync_tui.store.store_state import logger


class LiveFeedActions(LeadActions):
    """Events in, leads and the resume cursor out, in one transaction."""

    # ----------------------------------------------------------------- live feed

    async def _handle_messages(self, events: Iterable[SyncEvent]) -> list[Change]:
        incoming: list[Lead] = []
        newest_id: int | None = None
        heard = resync = False
        errors: list[str] = []
        for event in events:
            heard = True
            if event.type is EventType.RESYNC_REQUIRED:
                resync = True
                continue
            if event.type is EventType.HEARTBEAT:
                continue  # its id is the server's last id, not one we applied
            if event.id is not None:
                newest_id = event.id if newest_id is None else max(newest_id, event.id)
            try:
                lead = event.lead()
            except ValidationError as exc:
                logger.warning("ignored malformed %s event %s: %s", event.type, event.id, exc)
                errors.append(f"ignored a malformed {event.type} event (id {event.id})")
                continue
            if lead is not None:
                incoming.append(lead)
        if not heard:
            return []
        changed = self._merged(incoming, MergeOrigin.DOMIQ)
        cursor = await self._advanced_event_id(newest_id)
        if cursor is not None:
            async with self._db.transaction():  # the leads and the cursor move together
                await self._db.upsert_leads(list(changed.values()))
                await self._db.set_cursor(Cursor.DOMIQ_LAST_EVENT_ID, str(cursor))
            self._last_event_id = cursor
        else:
            await self._db.upsert_leads(list(changed.values()))
        changes = self._store_leads(changed)
        if self._state.last_ping != (now := self._now()):
            self._state.last_ping = now
            changes.append(self._connection_change())
        if resync:
            changes.append(EngineRequest(EngineRequestKind.PULL, full=True))
        if errors:
            error = "; ".join(errors)
            changes += self._set("error", error, ErrorChanged(error))
        return changes

    async def last_event_id(self) -> int | None:
        """The live feed's resume point: the last event applied to the store, if any."""
        if not self._last_event_id_loaded:
            value = await self._db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID)
            self._last_event_id = None if value is None else int(value)
            self._last_event_id_loaded = True
        return self._last_event_id

    async def _advanced_event_id(self, newest: int | None) -> int | None:
        """`newest` if it moves the persisted event cursor forward, else None."""
        if newest is None:
            return None
        await self.last_event_id()
        if self._last_event_id is not None and newest <= self._last_event_id:
            return None
        return newest

    def _connection_changed(self, action: ConnectionChanged) -> list[Change]:
        state = self._state
        before = (state.real_time_connected, state.last_ping, state.reconnect_attempts)
        state.real_time_connected = action.connected
        state.last_ping = action.last_ping if action.last_ping is not None else state.last_ping
        state.reconnect_attempts = action.reconnect_attempts
        if (state.real_time_connected, state.last_ping, state.reconnect_attempts) == before:
            return []
        return [self._connection_change()]

    def _connection_change(self) -> ConnectionStateChanged:
        state = self._state
        return ConnectionStateChanged(
            state.real_time_connected, state.last_ping, state.reconnect_attempts
        )
