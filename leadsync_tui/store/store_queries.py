"""Read-model queries: what screens read that the state does not hold.

Screens read `store.state` for what is live and these methods for the rest, never the
database itself: the store stays their one way in, and a query's SQL stays in `db_*`.
"""

from __future__ import annotations

from datetime import datetime

from leadsync_tui.store.error_groups import ErrorGroup, session_error_groups
from leadsync_tui.store.store_state import StoreState


class ReadModel(StoreState):
    """Queries over the database for screens; none changes anything."""

    async def error_groups(self, since: datetime) -> list[ErrorGroup]:
        """The failures logged since `since`, and every parked outbox item, grouped by
        what went wrong (the metrics screen's list)."""
        return await session_error_groups(self._db, since)
