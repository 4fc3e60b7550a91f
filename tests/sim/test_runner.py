"""`run_simulators`: both simulators over real loopback sockets, and their clean-up."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadsync_tui.config import load_settings
from leadsync_tui.sim.runner import RunningSims, SimOptions, SimulatorBindError, run_simulators
from tests.clocks import FrozenClock
from tests.sim.domiq_fixtures import T0
from tests.waiting import eventually


def options(**overrides: Any) -> SimOptions:
    values: dict[str, Any] = {
        "domiq_port": 0,
        "resman_port": 0,
        "leads": 20,
        "activity_per_min": 0,
        "now": FrozenClock(T0),
    }
    values.update(overrides)
    return SimOptions(**values)


def resman_form(sims: RunningSims, **extra: str) -> dict[str, str]:
    world = sims.world
    return {
        "IntegrationPartnerID": world.partner_id,
        "ApiKey": world.api_key,
        "AccountID": str(world.account_id),
        **extra,
    }


async def refused(base_url: str) -> bool:
    async with httpx.AsyncClient() as client:
        try:
            await client.get(base_url + "/_sim/stats")
        except httpx.ConnectError:
            return True
    return False


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something else is listening on."""
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        yield blocker.getsockname()[1]


async def test_both_simulators_answer_with_the_world_credentials() -> None:
    async with run_simulators(options()) as sims, httpx.AsyncClient() as http:
        auth = {"Authorization": f"Bearer {sims.world.token}"}
        assert (await http.get(f"{sims.domiq_url}/v1/health", headers=auth)).status_code == 200
        assert (await http.get(f"{sims.domiq_url}/v1/health")).status_code == 401
        leads = await http.get(f"{sims.domiq_url}/v1/leads?limit=500", headers=auth)
        assert len(leads.json()["data"]) == sims.world.domiq.lead_count

        answer = await http.post(f"{sims.resman_url}/Account/GetProperties", data=resman_form(sims))
        body = answer.json()
        assert body["Status"] == "Success", body
        ids = {row["PropertyID"] for row in body["Properties"]}
        assert ids == {link.property_id for link in sims.world.properties}
        assert sims.activity is None


async def test_the_config_block_loads_in_leadsync(tmp_path: Path) -> None:
    async with run_simulators(options()) as sims:
        path = tmp_path / "config.toml"
        path.write_text(sims.config_toml(), encoding="utf-8")
        path.chmod(0o600)
        loaded = load_settings(path)
    settings = loaded.settings
    assert loaded.warnings == () and not settings.is_demo
    assert settings.domiq.base_url == sims.domiq_url
    assert settings.domiq.token is not None
    assert settings.domiq.token.get_secret_value() == sims.world.token
    assert settings.resman.base_url == sims.resman_url
    assert settings.resman.integration_partner_id == sims.world.partner_id
    assert settings.resman.api_key is not None
    assert settings.resman.api_key.get_secret_value() == sims.world.api_key
    assert settings.resman.account_id == sims.world.account_id
    assert settings.resman.property_names == {
        link.domiq_id: link.name for link in sims.world.properties
    }
    reason = sims.world.default_lost_reason_id
    assert {
        key: (p.property_id, p.source_id, p.agent_id, p.lost_reason_id)
        for key, p in settings.resman.properties.items()
    } == {
        link.domiq_id: (link.property_id, link.source_id, link.agent_id, reason)
        for link in sims.world.properties
    }
    assert [r.name for r in sims.world.resman.lost_reasons if r.reason_id == reason] == [
        "Inactive (Lack of Response)"
    ]


async def test_fault_rate_and_latency_apply_to_both_and_turn_at_run_time() -> None:
    async with (
        run_simulators(options(fault_rate=1.0, latency_ms=1.0, search_limit=37)) as sims,
        httpx.AsyncClient() as http,
    ):
        for faults in (sims.domiq_faults, sims.resman_faults):
            assert faults.error_rate + faults.rate_limit_rate + faults.malformed_rate == (
                pytest.approx(1.0)
            )
            assert faults.latency_ms == 1.0
        auth = {"Authorization": f"Bearer {sims.world.token}"}
        for _ in range(6):
            await http.get(f"{sims.domiq_url}/v1/leads", headers=auth)
            await http.post(f"{sims.resman_url}/Account/GetProperties", data=resman_form(sims))
        domiq_stats = (await http.get(f"{sims.domiq_url}/_sim/stats")).json()
        resman_stats = (await http.get(f"{sims.resman_url}/_sim/stats")).json()
        assert sum(domiq_stats["faults"].values()) == 6
        assert sum(resman_stats["faults_injected"].values()) == 6
        settings = (await http.get(f"{sims.resman_url}/_sim/settings")).json()
        assert settings["search_limit"] == 37

        calm = {"error_rate": 0, "rate_limit_rate": 0, "malformed_rate": 0}
        assert (await http.put(f"{sims.domiq_url}/_sim/faults", json=calm)).status_code == 200
        assert sims.domiq_faults.error_rate == 0
        assert (await http.get(f"{sims.domiq_url}/v1/health", headers=auth)).status_code == 200


async def test_activity_makes_domiq_events_and_stops_with_the_block() -> None:
    async with run_simulators(options(activity_per_min=30_000, now=None)) as sims:
        assert sims.activity is not None
        await eventually(lambda: sims.world.domiq.last_event_id >= 3, within_s=5)
        activity = sims.activity
    steps = sum(activity.counts.values())
    assert await refused(sims.domiq_url) and await refused(sims.resman_url)
    await asyncio.sleep(0.05)
    assert sum(activity.counts.values()) == steps


async def test_an_error_in_the_block_still_releases_both_ports() -> None:
    urls: list[str] = []
    with pytest.raises(RuntimeError, match="boom"):
        async with run_simulators(options(activity_per_min=600)) as sims:
            urls += [sims.domiq_url, sims.resman_url]
            raise RuntimeError("boom")
    assert all([await refused(url) for url in urls])


async def test_a_busy_port_names_the_simulator(busy_port: int) -> None:
    with pytest.raises(SimulatorBindError) as caught:
        async with run_simulators(options(resman_port=busy_port)):
            pytest.fail("the ResMan port is taken")
    assert (caught.value.simulator, caught.value.port) == ("resman", busy_port)
    assert caught.value.errno == errno.EADDRINUSE


async def test_the_same_options_serve_the_same_world() -> None:
    def without_urls(sims: RunningSims) -> str:
        return sims.config_toml().replace(sims.domiq_url, "D").replace(sims.resman_url, "R")

    async with run_simulators(options()) as first, run_simulators(options()) as second:
        assert first.domiq_url != second.domiq_url
        assert without_urls(first) == without_urls(second)
        assert first.world.linked_pairs == second.world.linked_pairs
