"""DomiqClient against the real DomIQ simulator: every route, every error, retries."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from pydantic import SecretStr

from leadsync_tui.clients._http import NotDelivered
from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import (
    AuthError,
    DuplicateRecord,
    MalformedResponse,
    NotFound,
    RateLimited,
    SyncError,
    TransientError,
    ValidationFailed,
    VersionConflict,
)
from leadsync_tui.models import (
    MessageRole,
    Qualification,
    SyncStatus,
    TranscriptMessage,
)
from leadsync_tui.sim.faults import FaultSettings
from tests.clients.sim_fixtures import (
    T0,
    TOKEN,
    LoseAnswers,
    RecordingSleep,
    crash_screen,
    domiq_client,
    domiq_sim,
    fast_retry,
    heal_after,
    lead_data,
    seed_leads,
    served,
    sim_stats,
)

# ---------------------------------------------------------------------- routes


async def test_health() -> None:
    sim = domiq_sim()
    async with domiq_client(sim) as domiq:
        assert await domiq.health() is True


async def test_list_leads_pages_and_iter_leads_reads_every_page() -> None:
    sim = domiq_sim()
    ids = seed_leads(sim, 230)
    async with domiq_client(sim) as domiq:
        first = await domiq.list_leads(limit=100)
        assert [lead.conversation_id for lead in first.data] == ids[:100]
        assert first.next_cursor is not None
        second = await domiq.list_leads(cursor=first.next_cursor, limit=100)
        assert [lead.conversation_id for lead in second.data] == ids[100:200]
        seen = [lead.conversation_id async for lead in domiq.iter_leads(page_size=100)]
    assert seen == ids
    assert (await sim_stats(sim.app))["requests"] == 2 + 3


async def test_updated_since_skips_older_leads() -> None:
    sim = domiq_sim()
    ids = seed_leads(sim, 10)
    since = T0 + timedelta(seconds=7)  # lead i was created at T0 + (i + 1) s
    async with domiq_client(sim) as domiq:
        seen = [lead.conversation_id async for lead in domiq.iter_leads(since, page_size=3)]
    assert seen == ids[6:]


async def test_list_leads_refuses_a_limit_outside_the_contract() -> None:
    sim = domiq_sim()
    async with domiq_client(sim) as domiq:
        with pytest.raises(ValueError):
            await domiq.list_leads(limit=501)


async def test_get_lead_and_not_found() -> None:
    sim = domiq_sim()
    [cid] = seed_leads(sim, 1)
    async with domiq_client(sim) as domiq:
        lead = await domiq.get_lead(cid)
        assert (lead.conversation_id, lead.first_name, lead.version) == (cid, "P0000", 1)
        with pytest.raises(NotFound, match="cnv_missing"):
            await domiq.get_lead("cnv_missing")
    assert (await sim_stats(sim.app))["requests"] == 2  # a 404 is not retried


async def test_create_lead_is_idempotent_per_key() -> None:
    sim = domiq_sim()
    async with domiq_client(sim) as domiq:
        first = await domiq.create_lead(lead_data(), "key-1")
        again = await domiq.create_lead(lead_data(), "key-1")
        assert again == first
        assert sim.state.lead_count == 1
        assert first.first_name == "Maya"
        assert first.desired_bathrooms == 1.5
        with pytest.raises(DuplicateRecord, match="key-1"):
            await domiq.create_lead(lead_data(first_name="Someone"), "key-1")
        with pytest.raises(ValueError):
            await domiq.create_lead(lead_data(), " ")
    assert sim.state.lead_count == 1


async def test_patch_lead_and_412_carries_the_current_version() -> None:
    sim = domiq_sim()
    [cid] = seed_leads(sim, 1)
    async with domiq_client(sim) as domiq:
        patched = await domiq.patch_lead(cid, {"max_rent": 2100, "pets": False}, if_match=1)
        assert (patched.version, patched.max_rent, patched.pets) == (2, 2100, False)
        sim.state.edit_lead(cid, {"notes": "changed in DomIQ"})  # now version 3
        with pytest.raises(VersionConflict) as conflict:
            await domiq.patch_lead(cid, {"max_rent": 1900}, if_match=2)
    assert conflict.value.current_version == 3
    assert not conflict.value.retryable
    assert sim.state.get_lead(cid).max_rent == 2100


async def test_422_names_the_field() -> None:
    sim = domiq_sim()
    [cid] = seed_leads(sim, 1)
    async with domiq_client(sim) as domiq:
        with pytest.raises(ValidationFailed) as invalid:
            await domiq.patch_lead(cid, {"email": "not-an-email"}, if_match=1)
    assert invalid.value.field == "email"
    assert "422" in str(invalid.value)
    assert (await sim_stats(sim.app))["requests"] == 1


async def test_400_is_a_validation_failure() -> None:
    sim = domiq_sim()
    async with domiq_client(sim) as domiq:
        with pytest.raises(ValidationFailed, match="cursor"):
            await domiq.list_leads(cursor="not-a-cursor")


async def test_report_sync_does_not_bump_the_version() -> None:
    sim = domiq_sim()
    [cid] = seed_leads(sim, 1)
    synced_at = T0 + timedelta(minutes=5)
    async with domiq_client(sim) as domiq:
        lead = await domiq.report_sync(cid, SyncStatus.SYNCED, "8c2f-prospect", synced_at)
        assert lead.resman_sync_status is SyncStatus.SYNCED
        assert lead.resman_prospect_id == "8c2f-prospect"
        assert lead.last_sync_at == synced_at
        assert lead.version == 1
        cleared = await domiq.report_sync(cid, SyncStatus.FAILED, None, None)
    assert (cleared.resman_prospect_id, cleared.last_sync_at) == (None, None)


async def test_transcript_and_qualify() -> None:
    sim = domiq_sim()
    lines = [
        TranscriptMessage(at=T0, role=MessageRole.PROSPECT, text="Any 2-bed units?"),
        TranscriptMessage(at=T0, role=MessageRole.BOT, text="Yes! When do you move?"),
    ]
    cid = sim.state.start_conversation("prop_oakridge", "Ana", "Lima", transcript=lines)
    async with domiq_client(sim) as domiq:
        assert await domiq.transcript(cid) == lines
        lead = await domiq.qualify(cid)
        assert (lead.conversation_id, lead.qualification) == (cid, Qualification.QUALIFIED)
        assert (await domiq.qualify(cid)).version == lead.version  # idempotent
        with pytest.raises(NotFound):
            await domiq.transcript("cnv_nobody")


# ---------------------------------------------------------------------- auth and secrets


async def test_a_bad_token_is_an_auth_error_without_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = domiq_sim()
    wrong = "wrong-token-d41d8cd9"
    caplog.set_level(logging.DEBUG)
    async with domiq_client(sim, token=wrong) as domiq:
        with pytest.raises(AuthError) as refused:
            await domiq.get_lead("cnv_x")
        assert wrong not in repr(domiq)
    assert not refused.value.retryable
    assert wrong not in str(refused.value)
    assert wrong not in caplog.text
    assert TOKEN not in caplog.text
    assert (await sim_stats(sim.app))["requests"] == 1


# ---------------------------------------------------------------------- retries


async def test_server_errors_are_retried_until_the_server_recovers() -> None:
    faults = FaultSettings(seed=5, error_rate=1.0)
    sim = domiq_sim(faults=faults)
    [cid] = seed_leads(sim, 1)
    sleep = RecordingSleep(then=heal_after(faults, 3))
    async with domiq_client(sim, retry=fast_retry(attempts=5, sleep=sleep)) as domiq:
        lead = await domiq.get_lead(cid)
    assert lead.conversation_id == cid
    stats = await sim_stats(sim.app)
    assert stats["requests"] == 4
    assert stats["faults"]["error"] == 3
    assert sleep.waits == [0.001, 0.002, 0.004]


async def test_429_waits_as_long_as_retry_after_says() -> None:
    faults = FaultSettings(seed=5, rate_limit_rate=1.0, retry_after_s=2)
    sim = domiq_sim(faults=faults)
    sleep = RecordingSleep(then=heal_after(faults, 2))
    async with domiq_client(sim, retry=fast_retry(sleep=sleep)) as domiq:
        created = await domiq.create_lead(lead_data(), "key-429")
    assert sleep.waits == [2.0, 2.0]
    assert sim.state.lead_count == 1
    assert sim.state.get_lead(created.conversation_id) == created


async def test_rate_limited_surfaces_with_retry_after_when_attempts_run_out() -> None:
    faults = FaultSettings(seed=5, rate_limit_rate=1.0, retry_after_s=3)
    sim = domiq_sim(faults=faults)
    async with domiq_client(sim, retry=fast_retry(attempts=2)) as domiq:
        with pytest.raises(RateLimited) as limited:
            await domiq.health()  # health makes one attempt only
    assert limited.value.retry_after == 3.0
    assert (await sim_stats(sim.app))["requests"] == 1


async def test_malformed_bodies_are_retried_then_fail_as_malformed() -> None:
    sim = domiq_sim(faults=FaultSettings(seed=5, malformed_rate=1.0))
    [cid] = seed_leads(sim, 1)
    async with domiq_client(sim, retry=fast_retry(attempts=3)) as domiq:
        with pytest.raises(MalformedResponse, match="not valid JSON"):
            await domiq.get_lead(cid)
    assert (await sim_stats(sim.app))["requests"] == 3


async def test_a_traceback_with_locals_never_holds_the_token() -> None:
    """The bearer token lives in the pooled client's default headers only: no frame of a
    failed call holds it (a `Request`'s repr shows no headers)."""
    sim = domiq_sim(faults=FaultSettings(seed=5, malformed_rate=1.0))
    [cid] = seed_leads(sim, 1)
    failures: list[BaseException] = []
    async with domiq_client(sim, retry=fast_retry(attempts=2)) as domiq:
        for call in (
            domiq.get_lead(cid),
            domiq.patch_lead(cid, {"notes": "x"}, if_match=1),
            domiq.create_lead(lead_data(), "idem-tb-1"),
        ):
            with pytest.raises(SyncError) as failed:
                await call
            failures.append(failed.value)
    for failure in failures:
        shown = crash_screen(failure)
        assert "_send" in shown and "request" in shown  # the frames and their locals
        assert TOKEN not in shown and TOKEN[:12] not in shown
        assert "Bearer" not in shown


async def test_permanent_errors_are_not_retried() -> None:
    sim = domiq_sim()
    [cid] = seed_leads(sim, 1)
    async with domiq_client(sim, retry=fast_retry(attempts=5)) as domiq:
        for call in (
            domiq.get_lead("cnv_missing"),
            domiq.patch_lead(cid, {"phone": "555"}, if_match=1),
            domiq.patch_lead(cid, {"notes": "x"}, if_match=9),
        ):
            with pytest.raises(SyncError) as failed:
                await call
            assert not failed.value.retryable
    assert (await sim_stats(sim.app))["requests"] == 3  # the 412 names the version: no read


async def test_a_slow_answer_times_out_and_is_retried() -> None:
    sim = domiq_sim(faults=FaultSettings(seed=5, latency_ms=300))
    async with domiq_client(sim, timeout=0.05, retry=fast_retry(attempts=2)) as domiq:
        with pytest.raises(TransientError, match=r"0\.05 s"):
            await domiq.health()
        with pytest.raises(TransientError):
            await domiq.list_leads()
    assert (await sim_stats(sim.app))["requests"] == 1 + 2


async def test_an_oversized_answer_is_refused_and_not_retried() -> None:
    sim = domiq_sim()
    seed_leads(sim, 50)
    async with domiq_client(sim, max_response_bytes=4_000) as domiq:
        with pytest.raises(MalformedResponse, match="exceeds 4000 bytes") as too_big:
            await domiq.list_leads(limit=50)
    assert not too_big.value.retryable
    assert (await sim_stats(sim.app))["requests"] == 1


# ---------------------------------------------------------------------- over real sockets


async def test_over_a_real_socket() -> None:
    sim = domiq_sim()
    async with (
        served(sim.app) as base_url,
        DomiqClient(base_url, SecretStr(TOKEN), timeout=2.0, retry=fast_retry()) as domiq,
    ):
        assert await domiq.health()
        created = await domiq.create_lead(lead_data(), "socket-key")
        assert await domiq.get_lead(created.conversation_id) == created
        page = await domiq.list_leads()
    assert [lead.conversation_id for lead in page.data] == [created.conversation_id]


async def test_a_patch_whose_answer_was_lost_is_recognised_on_the_412() -> None:
    """The first PATCH is applied but its answer is lost; the retry then meets 412, and
    the client sees the lead holds exactly our change, one version on."""
    sim = domiq_sim()
    [cid] = seed_leads(sim, 1)
    lossy = LoseAnswers(sim.app, "PATCH", count=1, delay_s=0.6)
    sleep = RecordingSleep()
    async with (
        served(lossy) as base_url,
        DomiqClient(base_url, SecretStr(TOKEN), timeout=0.25, retry=fast_retry(3, sleep)) as domiq,
    ):
        lead = await domiq.patch_lead(cid, {"max_rent": 1999}, if_match=1)
        assert (lead.version, lead.max_rent) == (2, 1999)
        assert len(sleep.waits) == 1
        assert (await sim_stats(sim.app))["requests"] == 3  # PATCH, PATCH (412), GET
        # Someone else's change is still a conflict, even after a lost answer.
        lossy.count = 1
        sim.state.edit_lead(cid, {"notes": "agent edit", "max_rent": 2200})  # version 3
        with pytest.raises(VersionConflict) as conflict:
            await domiq.patch_lead(cid, {"max_rent": 2500}, if_match=2)
    assert conflict.value.current_version == 3
    assert sim.state.get_lead(cid).max_rent == 2200


async def test_an_unreachable_server_is_not_delivered_and_retried() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleep = RecordingSleep()
    async with DomiqClient(
        f"http://127.0.0.1:{port}", SecretStr(TOKEN), timeout=1.0, retry=fast_retry(3, sleep)
    ) as domiq:
        with pytest.raises(NotDelivered) as refused:
            await domiq.get_lead("cnv_x")
    assert refused.value.retryable
    assert len(sleep.waits) == 2
    assert TOKEN not in str(refused.value)
