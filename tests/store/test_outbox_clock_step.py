"""The outbox after our clock steps back: an item scheduled on the clock as it was (its
retry wait measured from a moment our clock has not reached again) is not held back for
the length of the step, while a retry wait on a steady clock is still honoured."""

from __future__ import annotations

from datetime import timedelta

from leadsync_tui.store.db import Database
from tests.store.conftest import FrozenClock, make_item, make_lead


async def test_a_retry_wait_is_honoured_on_a_steady_clock(db: Database, clock: FrozenClock) -> None:
    await db.upsert_leads([make_lead("c1")])
    [item] = await db.enqueue([make_item("a", "c1")])
    assert [i.id for i in await db.claim_due(clock(), limit=1)] == [item]
    await db.fail(item, "ResMan answered 503", clock() + timedelta(seconds=30))
    assert await db.claim_due(clock.advance(seconds=29), limit=1) == []
    assert [i.id for i in await db.claim_due(clock.advance(seconds=1), limit=1)] == [item]


async def test_items_scheduled_before_a_step_back_are_due_at_once(
    db: Database, clock: FrozenClock
) -> None:
    await db.upsert_leads([make_lead("c1"), make_lead("c2")])
    waiting, fresh = await db.enqueue([make_item("a", "c1"), make_item("b", "c2")])
    await db.claim_due(clock(), limit=1)
    await db.fail(waiting, "ResMan answered 503", clock() + timedelta(seconds=30))
    clock.advance(hours=-1)  # NTP steps our clock back an hour
    claimed = await db.claim_due(clock(), limit=10)
    assert sorted(i.id for i in claimed) == sorted([waiting, fresh])
