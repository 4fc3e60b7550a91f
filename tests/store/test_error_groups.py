"""Failures grouped by kind: the kind read back from the messages our clients really
write, and the groups read from a real SQLite store (the session's log, parked items)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadsync_tui.clients.errors import SyncError
from leadsync_tui.models import AttemptStatus, LeadSyncLog, SyncDirection, SyncType
from leadsync_tui.sim.faults import FaultSettings
from leadsync_tui.store.db import Database
from leadsync_tui.store.error_groups import ErrorKind, classify, session_error_groups
from leadsync_tui.store.records import NewOutboxItem
from tests.clients.sim_fixtures import (
    domiq_client,
    domiq_sim,
    fast_retry,
    resman_client,
    resman_world,
    seed_leads,
)
from tests.screens.metrics_fixtures import (
    malformed_message,
    mapping_missing_message,
    rate_limited_message,
    server_error_message,
    source_refused_message,
)
from tests.store.conftest import T0, make_lead


async def _domiq_failure(faults: FaultSettings) -> str:
    sim = domiq_sim(faults=faults)
    [cid] = seed_leads(sim, 1)
    async with domiq_client(sim, retry=fast_retry(attempts=1)) as domiq:
        with pytest.raises(SyncError) as failed:
            await domiq.get_lead(cid)
    return failed.value.message


async def _resman_failure(faults: FaultSettings) -> str:
    world = resman_world(faults=faults)
    async with resman_client(world, retry=fast_retry(attempts=1)) as resman:
        with pytest.raises(SyncError) as failed:
            await resman.search_prospects(world.prop.property_id, email="x@example.com")
    return failed.value.message


@pytest.mark.parametrize(
    ("faults", "kind"),
    [
        (FaultSettings(seed=5, error_rate=1.0), ErrorKind.SERVER_ERROR),
        (FaultSettings(seed=5, rate_limit_rate=1.0), ErrorKind.RATE_LIMITED),
        (FaultSettings(seed=5, malformed_rate=1.0), ErrorKind.MALFORMED),
    ],
    ids=["5xx", "429", "malformed"],
)
async def test_domiq_failures_from_the_simulator_are_told_apart(
    faults: FaultSettings, kind: ErrorKind
) -> None:
    assert classify(await _domiq_failure(faults)) is kind


@pytest.mark.parametrize(
    ("faults", "kind"),
    [
        (FaultSettings(seed=5, error_rate=1.0), ErrorKind.SERVER_ERROR),
        (FaultSettings(seed=5, malformed_rate=1.0), ErrorKind.MALFORMED),
    ],
    ids=["5xx", "malformed"],
)
async def test_resman_failures_from_the_simulator_are_told_apart(
    faults: FaultSettings, kind: ErrorKind
) -> None:
    assert classify(await _resman_failure(faults)) is kind


async def test_a_timeout_and_a_refused_token_are_told_apart() -> None:
    sim = domiq_sim(faults=FaultSettings(seed=5, latency_ms=300))
    async with domiq_client(sim, timeout=0.05, retry=fast_retry(attempts=1)) as domiq:
        with pytest.raises(SyncError) as slow:
            await domiq.list_leads()
    assert classify(slow.value.message) is ErrorKind.TIMEOUT
    sim = domiq_sim()
    async with domiq_client(sim, token="wrong-token", retry=fast_retry(attempts=1)) as domiq:
        with pytest.raises(SyncError) as refused:
            await domiq.list_leads()
    assert classify(refused.value.message) is ErrorKind.AUTH


def test_the_engine_s_own_messages_have_their_kinds() -> None:
    assert classify(rate_limited_message("conv_1")) is ErrorKind.RATE_LIMITED
    assert classify(server_error_message()) is ErrorKind.SERVER_ERROR
    assert classify(malformed_message("conv_1")) is ErrorKind.MALFORMED
    assert classify(mapping_missing_message()) is ErrorKind.MAPPING_MISSING
    # ResMan refusing a source is a per-property setting to fix, like a missing agent.
    assert classify(source_refused_message()) is ErrorKind.MAPPING_MISSING
    assert classify("Transaction Source could not be found") is ErrorKind.MAPPING_MISSING
    assert (
        classify("DomIQ disqualified this lead; it is not sent to ResMan") is ErrorKind.DISQUALIFIED
    )
    assert classify("something nobody wrote down") is ErrorKind.OTHER
    assert classify(None) is ErrorKind.OTHER


def _failed(log_id: str, cid: str, message: str, at: timedelta) -> LeadSyncLog:
    return LeadSyncLog(
        id=log_id,
        conversation_id=cid,
        sync_direction=SyncDirection.DOMIQ_TO_RESMAN,
        sync_status=AttemptStatus.FAILED,
        sync_type=SyncType.UPDATE,
        created_at=T0 + at,
        error_message=message,
    )


async def test_groups_from_the_store_count_attempts_and_leads_since_the_session_began(
    db: Database,
) -> None:
    await db.upsert_leads([make_lead(f"c{n}") for n in range(1, 10)])
    limited = rate_limited_message("c1")
    await db.append_logs(
        [
            _failed("old", "c9", limited, timedelta(minutes=-5)),  # before the session
            _failed("l1", "c1", limited, timedelta(seconds=1)),
            _failed("l2", "c1", limited, timedelta(seconds=2)),
            _failed("l3", "c2", rate_limited_message("c2"), timedelta(seconds=3)),
            _failed("m1", "c3", mapping_missing_message(), timedelta(seconds=4)),
            LeadSyncLog(
                id="ok",
                conversation_id="c4",
                sync_direction=SyncDirection.DOMIQ_TO_RESMAN,
                sync_status=AttemptStatus.SUCCESS,
                sync_type=SyncType.UPDATE,
                created_at=T0 + timedelta(seconds=5),
            ),
        ]
    )
    # A write parked before the session still waits for a person: it counts.
    [item] = await db.enqueue(
        [
            NewOutboxItem(
                conversation_id="c5",
                direction=SyncDirection.DOMIQ_TO_RESMAN,
                sync_type=SyncType.CREATE,
                dedupe_key="parked:c5",
            )
        ]
    )
    await db.claim_due(T0, 10)
    await db.fail(item, source_refused_message(), T0, park=True)

    groups = await session_error_groups(db, since=T0)

    assert [(g.kind, g.count, sorted(g.conversation_ids)) for g in groups] == [
        (ErrorKind.RATE_LIMITED, 3, ["c1", "c2"]),
        (ErrorKind.MAPPING_MISSING, 1, ["c3", "c5"]),
    ]
    rate, mapping = groups
    assert rate.example == rate_limited_message("c2")  # the newest message
    assert (mapping.attempts, mapping.parked) == (1, 1)


async def test_no_failures_no_groups(db: Database) -> None:
    assert await session_error_groups(db, since=T0) == []
