"""Fault injection on the DomIQ simulator's REST routes, and its `/_sim` control routes.

Rates of 1.0 and seeded `FaultSettings` make every fault certain and repeatable.
"""

from __future__ import annotations

import json
import time

import pytest

from leadsync_tui.sim.faults import FaultSettings
from tests.sim.domiq_fixtures import AUTH, Sim, asgi_client, create, lead_body, make_sim


def sim_with(**knobs: float) -> Sim:
    faults = FaultSettings(seed=11)
    faults.update(knobs)
    return make_sim(faults=faults)


async def test_error_fault_answers_500_or_503_and_changes_nothing() -> None:
    sim = sim_with(error_rate=1.0)
    async with asgi_client(sim.app) as client:
        statuses = set()
        for i in range(12):
            response = await client.post(
                "/v1/leads", json=lead_body(), headers={"Idempotency-Key": f"k{i}"}
            )
            assert response.json()["error"]["code"] == "unavailable"
            statuses.add(response.status_code)
    assert statuses == {500, 503}
    assert sim.state.lead_count == 0
    assert sim.state.last_event_id == 0


async def test_rate_limit_fault_answers_429_with_retry_after() -> None:
    sim = make_sim(faults=FaultSettings(seed=11, rate_limit_rate=1.0, retry_after_s=7))
    async with asgi_client(sim.app) as client:
        response = await client.get("/v1/health")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["code"] == "rate_limited"


async def test_malformed_fault_cuts_the_real_answer_in_half() -> None:
    sim = make_sim()
    async with asgi_client(sim.app) as client:
        lead = await create(client, "k")
        path = f"/v1/leads/{lead['conversation_id']}"
        real = (await client.get(path)).content
        sim.faults.update({"malformed_rate": 1.0})
        broken = await client.get(path)
    assert broken.status_code == 200
    assert broken.headers["content-type"] == "application/json"
    assert broken.content == real[: len(real) // 2]
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)


async def test_a_malformed_answer_to_a_write_did_not_write() -> None:
    sim = sim_with(malformed_rate=1.0)
    async with asgi_client(sim.app) as client:
        broken = await client.post("/v1/leads", json=lead_body(), headers={"Idempotency-Key": "k"})
        assert broken.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            broken.json()
        assert sim.state.lead_count == 0
        sim.faults.update({"malformed_rate": 0.0})
        retry = await client.post("/v1/leads", json=lead_body(), headers={"Idempotency-Key": "k"})
    assert retry.status_code == 201  # the first attempt never created anything


async def test_a_faulted_patch_leaves_the_version_alone() -> None:
    sim = make_sim()
    async with asgi_client(sim.app) as client:
        lead = await create(client, "k")
        sim.faults.update({"error_rate": 1.0})
        response = await client.patch(
            f"/v1/leads/{lead['conversation_id']}", json={"pets": False}, headers={"If-Match": "1"}
        )
    assert response.status_code in (500, 503)
    assert sim.state.get_lead(lead["conversation_id"]).version == 1


async def test_latency_delays_every_answer() -> None:
    sim = sim_with(latency_ms=80)
    async with asgi_client(sim.app) as client:
        started = time.perf_counter()
        response = await client.get("/v1/health")
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed >= 0.08


async def test_faults_hit_only_requests_that_pass_auth() -> None:
    sim = sim_with(error_rate=1.0)
    async with asgi_client(sim.app, auth=False) as anonymous:
        response = await anonymous.get("/v1/health")
    assert response.status_code == 401


async def test_a_partial_fault_rate_hits_some_requests_repeatably() -> None:
    async def statuses() -> list[int]:
        sim = sim_with(error_rate=0.3, rate_limit_rate=0.2)
        async with asgi_client(sim.app) as client:
            return [(await client.get("/v1/health")).status_code for _ in range(40)]

    first = await statuses()
    assert first == await statuses()  # same seed, same faults
    assert 200 in first
    assert 429 in first
    assert {500, 503} & set(first)


# --------------------------------------------------------------------------- control


async def test_control_reads_and_sets_the_knobs_without_auth() -> None:
    async with asgi_client(make_sim().app, auth=False) as anonymous:
        before = await anonymous.get("/_sim/faults")
        assert before.status_code == 200
        assert before.json()["error_rate"] == 0.0
        changed = await anonymous.put("/_sim/faults", json={"error_rate": 1.0, "latency_ms": 5})
        assert changed.status_code == 200
        assert changed.json()["error_rate"] == 1.0
        assert changed.json()["latency_ms"] == 5.0
        now = await anonymous.get("/v1/health", headers=AUTH)
    assert now.status_code in (500, 503)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"bogus_rate": 0.5}, "bogus_rate"),
        ({"error_rate": 2}, "error_rate"),
        ({"error_rate": "high"}, "error_rate"),
        ({"seed": 3}, "seed"),
    ],
)
async def test_control_refuses_bad_knobs_and_keeps_the_old_ones(
    body: dict[str, object], words: str
) -> None:
    sim = make_sim()
    async with asgi_client(sim.app, auth=False) as anonymous:
        response = await anonymous.put("/_sim/faults", json=body)
        after = (await anonymous.get("/_sim/faults")).json()
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert words in response.json()["error"]["message"]
    assert after["error_rate"] == 0.0


async def test_control_refuses_a_body_that_is_not_an_object() -> None:
    async with asgi_client(make_sim().app, auth=False) as anonymous:
        response = await anonymous.put("/_sim/faults", content=b"[]")
    assert response.status_code == 400


async def test_control_is_loopback_only() -> None:
    sim = make_sim()
    async with asgi_client(sim.app, client=("203.0.113.9", 40000)) as remote:
        response = await remote.put("/_sim/faults", json={"error_rate": 1.0})
        stats = await remote.get("/_sim/stats")
    assert response.status_code == 403
    assert stats.status_code == 403
    assert sim.faults.error_rate == 0.0


async def test_stats_count_requests_faults_leads_and_events() -> None:
    sim = make_sim()
    async with asgi_client(sim.app) as client:
        await create(client, "a")
        await create(client, "b")
        sim.faults.update({"rate_limit_rate": 1.0})
        await client.get("/v1/health")
        sim.faults.update({"rate_limit_rate": 0.0, "error_rate": 1.0})
        await client.get("/v1/health")
        stats = (await client.get("/_sim/stats")).json()
    assert stats["leads"] == 2
    assert stats["events"] == 2
    assert stats["last_event_id"] == 2
    assert stats["subscribers"] == 0
    assert stats["requests"] == 4
    assert stats["faults"] == {"error": 1, "rate_limited": 1, "malformed": 0, "ws_drop": 0}
