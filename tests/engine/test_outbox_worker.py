"""The outbox worker with a scripted sender: retries, parking, ordering, limits, stopping."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadsync_tui.clients.errors import RateLimited, SyncError, TransientError, ValidationFailed
from leadsync_tui.config import PolicySettings
from leadsync_tui.models import (
    AttemptStatus,
    Lead,
    SyncDirection,
    SyncStatus,
    SyncType,
)
from leadsync_tui.store.db import Database
from leadsync_tui.store.payloads import LinkWrite, StatusReport
from leadsync_tui.store.records import Link, NewOutboxItem, OutboxItem, OutboxStatus
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.conflict_recorder import ConflictRecorder
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.lead_status import DomiqView, LeadStatus
from leadsync_tui.sync.outbox_worker import OutboxWorker, precise_now
from leadsync_tui.sync.send_outcome import Outcome, Sent
from leadsync_tui.sync.wait_budget import WaitBudget
from tests.waiting import eventually

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class ScriptedSender:
    """Answers each lead's items from a script (errors or outcomes), then succeeds."""

    def __init__(self) -> None:
        self.script: dict[str, list[SyncError | Outcome]] = {}
        self.calls: list[tuple[int, float]] = []
        self.delay = 0.0
        self.active = 0
        self.max_active = 0
        self.active_by_lead: dict[str, int] = {}
        self.max_active_by_lead = 0

    async def send(self, item: OutboxItem) -> Outcome:
        cid = item.conversation_id
        self.active += 1
        self.active_by_lead[cid] = self.active_by_lead.get(cid, 0) + 1
        self.max_active = max(self.max_active, self.active)
        self.max_active_by_lead = max(self.max_active_by_lead, self.active_by_lead[cid])
        try:
            await asyncio.sleep(self.delay)
            self.calls.append((item.id, time.monotonic()))
            if isinstance(item.payload, StatusReport):
                return Outcome(SyncType.STATUS, Sent.REPORTED)
            steps = self.script.get(cid, [])
            step = steps.pop(0) if steps else _success(cid)
            if isinstance(step, SyncError):
                raise step
            return step
        finally:
            self.active -= 1
            self.active_by_lead[cid] -= 1


def _success(cid: str) -> Outcome:
    link = Link(
        conversation_id=cid,
        prospect_id=f"prospect-{cid}",
        property_id="P1",
        snapshot={"first_name": "Ann"},
        agreed_at=T0,
    )
    return Outcome(SyncType.UPDATE, Sent.UPDATED, link=link)


@dataclass
class Bench:
    db: Database
    store: LeadSyncStore
    sender: ScriptedSender
    worker: OutboxWorker
    events: list[dict[str, object]] = field(default_factory=list)

    async def lead(self, cid: str) -> None:
        await self.store.merge_leads(
            [
                Lead(
                    conversation_id=cid,
                    created_at=T0,
                    updated_at=T0,
                    property_id="prop_a",
                    first_name="Ann",
                    last_name="Lee",
                )
            ]
        )

    async def queue(self, cid: str, n: int = 1) -> list[int]:
        await self.lead(cid)
        items = [
            NewOutboxItem(
                conversation_id=cid,
                direction=SyncDirection.DOMIQ_TO_RESMAN,
                sync_type=SyncType.UPDATE,
                payload=LinkWrite(version=1),
                dedupe_key=f"test:{cid}:{i}",
            )
            for i in range(n)
        ]
        ids = await self.db.enqueue(items)
        await self.store.update_lead_status(cid, SyncStatus.SYNCING)
        return ids

    def status(self, cid: str) -> SyncStatus:
        return self.store.state.leads[cid].resman_sync_status


def make_bench(db: Database, *, concurrency: int = 4, max_attempts: int = 5) -> Bench:
    store = LeadSyncStore(db)
    events: list[dict[str, object]] = []
    journal = Journal(events.append, precise_now)
    status = LeadStatus(store, db, journal, DomiqView(), precise_now)
    sender = ScriptedSender()
    worker = OutboxWorker(
        db=db,
        store=store,
        sender=sender,
        recorder=ConflictRecorder(store, PolicySettings(), journal, precise_now),
        status=status,
        journal=journal,
        lock=asyncio.Lock(),
        concurrency=concurrency,
        max_attempts=max_attempts,
        rng=random.Random(1),
    )
    return Bench(db, store, sender, worker, events)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "leadsync.db")
    yield database
    await database.close()


@pytest.fixture
def bench(db: Database) -> Bench:
    return make_bench(db)


async def test_a_confirmed_item_leaves_the_outbox_with_its_link_and_log(bench: Bench) -> None:
    (item_id,) = await bench.queue("cnv_a")
    assert await bench.worker.drain(WaitBudget(5))
    assert await bench.db.outbox_items() == []
    link = await bench.db.get_link("cnv_a")
    assert link is not None and link.prospect_id == "prospect-cnv_a"
    logs = await bench.db.logs_for("cnv_a")
    assert [(log.sync_status, log.sync_direction, log.sync_type) for log in logs] == [
        (AttemptStatus.SUCCESS, SyncDirection.DOMIQ_TO_RESMAN, SyncType.UPDATE),
        (AttemptStatus.SUCCESS, SyncDirection.RESMAN_TO_DOMIQ, SyncType.STATUS),  # told DomIQ
    ]
    assert bench.status("cnv_a") is SyncStatus.SYNCED
    assert bench.store.state.leads["cnv_a"].resman_prospect_id == "prospect-cnv_a"
    assert any(e["event"] == "attempt" and e["outbox_id"] == item_id for e in bench.events)


async def test_a_rate_limited_item_waits_for_retry_after_then_goes(bench: Bench) -> None:
    bench.sender.script["cnv_a"] = [RateLimited("HTTP 429", retry_after=0.6)]
    await bench.queue("cnv_a")
    assert await bench.worker.drain(WaitBudget(5))
    (first, _), (second, second_at) = bench.sender.calls[0], bench.sender.calls[1]
    assert first == second
    assert second_at - bench.sender.calls[0][1] >= 0.55
    statuses = [log.sync_status for log in await bench.db.logs_for("cnv_a")]
    assert statuses == [AttemptStatus.FAILED, AttemptStatus.SUCCESS, AttemptStatus.SUCCESS]
    assert bench.status("cnv_a") is SyncStatus.SYNCED


async def test_a_permanent_error_parks_the_item_for_a_person(bench: Bench) -> None:
    bench.sender.script["cnv_a"] = [ValidationFailed("ResMan refused: no agent")]
    (item_id,) = await bench.queue("cnv_a")
    assert await bench.worker.drain(WaitBudget(5))
    (parked,) = await bench.db.outbox_items()
    assert parked.status is OutboxStatus.FAILED
    assert parked.last_error == "ResMan refused: no agent"
    assert len(bench.sender.calls) == 1
    assert bench.status("cnv_a") is SyncStatus.FAILED

    await bench.store.retry_failed([item_id], actor="ops")
    assert await bench.worker.drain(WaitBudget(5))
    assert await bench.db.outbox_items() == []
    assert bench.status("cnv_a") is SyncStatus.SYNCED


async def test_an_item_out_of_attempts_is_parked_saying_so(db: Database) -> None:
    bench = make_bench(db, max_attempts=2)
    bench.sender.script["cnv_a"] = [TransientError("HTTP 503")] * 5
    await bench.queue("cnv_a")
    assert await bench.worker.drain(WaitBudget(5))
    (parked,) = await bench.db.outbox_items()
    assert parked.status is OutboxStatus.FAILED
    assert parked.attempts == 2
    assert parked.last_error == "HTTP 503 (gave up after 2 attempts)"
    assert bench.status("cnv_a") is SyncStatus.FAILED


async def test_drain_gives_up_when_the_next_retry_is_beyond_max_wait(bench: Bench) -> None:
    bench.sender.script["cnv_a"] = [RateLimited("HTTP 429", retry_after=30)]
    await bench.queue("cnv_a")
    started = time.monotonic()
    assert not await bench.worker.drain(WaitBudget(0.5))
    assert time.monotonic() - started < 2
    (waiting,) = await bench.db.outbox_items()
    assert waiting.status is OutboxStatus.PENDING
    assert waiting.last_error == "HTTP 429"
    assert bench.status("cnv_a") is SyncStatus.SYNCING


async def test_at_most_concurrency_items_fly_and_one_lead_goes_in_order(db: Database) -> None:
    bench = make_bench(db, concurrency=3)
    bench.sender.delay = 0.02
    ordered = await bench.queue("cnv_lane", n=4)
    for i in range(8):
        await bench.queue(f"cnv_{i}")
    assert await bench.worker.drain(WaitBudget(5))
    assert bench.sender.max_active == 3
    assert bench.sender.max_active_by_lead == 1
    lane = [item_id for item_id, _ in bench.sender.calls if item_id in ordered]
    assert lane == ordered


async def test_stop_lets_the_item_in_flight_finish(bench: Bench) -> None:
    bench.sender.delay = 0.3
    await bench.queue("cnv_a")
    await bench.queue("cnv_b")
    bench.worker._concurrency = 1  # one in flight, one waiting
    runner = asyncio.create_task(bench.worker.run())
    await eventually(lambda: bench.sender.active == 1)
    await bench.worker.stop(grace=5)
    await asyncio.wait_for(runner, 1)
    left = await bench.db.outbox_items(conversation_id="cnv_b")
    assert [item.status for item in left] == [OutboxStatus.PENDING]
    assert await bench.db.get_link("cnv_a") is not None
    assert len(bench.sender.calls) == 1
    assert (await bench.db.outbox_counts()).in_flight == 0


async def test_a_sender_bug_parks_the_item_and_the_worker_goes_on(bench: Bench) -> None:
    class Broken(ScriptedSender):
        async def send(self, item: OutboxItem) -> Outcome:
            if item.conversation_id == "cnv_bad":
                raise KeyError("fields")
            return await super().send(item)

    bench.worker._sender = Broken()
    await bench.queue("cnv_bad")
    await bench.queue("cnv_good")
    assert await bench.worker.drain(WaitBudget(5))
    (parked,) = await bench.db.outbox_items()
    assert parked.conversation_id == "cnv_bad" and parked.status is OutboxStatus.FAILED
    assert "KeyError" in (parked.last_error or "")
    assert bench.status("cnv_good") is SyncStatus.SYNCED
