"""The store as the screens' one way in: the error bar through `set_error`, and the
operator's `r` on a lead read and retried as one action."""

from __future__ import annotations

import asyncio

from leadsync_tui.models import SyncStatus
from leadsync_tui.store.changes import ErrorChanged
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import OutboxCounts
from leadsync_tui.store.store import LeadSyncStore
from tests.store.conftest import T0, Recorder, make_item, make_lead


async def test_set_error_shows_the_error_and_none_clears_it(
    store: LeadSyncStore, recorder: Recorder
) -> None:
    await store.set_error("DomIQ pull failed: HTTP 503")
    shown = store.state.error
    await store.set_error(None)

    assert (shown, store.state.error) == ("DomIQ pull failed: HTTP 503", None)
    assert recorder.changes == [
        ErrorChanged("DomIQ pull failed: HTTP 503"),
        ErrorChanged(None),
    ]


async def test_r_pressed_twice_at_once_retries_the_lead_once_and_says_so_once(
    store: LeadSyncStore, db: Database
) -> None:
    await store.merge_leads([make_lead("c1")])
    [item_id] = await db.enqueue([make_item("a")])
    await db.claim_due(T0, limit=1)
    await db.fail(item_id, "HTTP 503", T0, park=True)
    await store.update_lead_status("c1", SyncStatus.FAILED)

    counts = await asyncio.gather(
        store.retry_leads(["c1"], actor="li"), store.retry_leads(["c1"], actor="li")
    )

    assert sorted(counts) == [0, 1]  # the second press finds nothing parked any more
    assert await db.outbox_counts() == OutboxCounts(pending=1)
    assert store.state.leads["c1"].resman_sync_status is SyncStatus.SYNCING
    assert [(e.action, e.target) for e in await db.audit_entries()] == [("retry_failed", "c1")]
