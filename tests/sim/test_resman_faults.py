"""Fault injection, the control routes, and the simulator over a real loopback socket."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET

import httpx
import pytest

from leadsync_tui.http_server import serve_asgi
from leadsync_tui.sim.faults import FaultSettings
from tests.sim.resman_fixtures import (
    POST,
    SEARCH,
    World,
    client,
    create,
    creds,
    make_app,
    make_world,
    new_lead,
    ok,
    search,
    xml_of,
)


@pytest.fixture
def world() -> World:
    return make_world()


async def test_error_fault_is_an_iis_500_page_and_writes_nothing(world: World) -> None:
    app, _ = make_app(world, FaultSettings(seed=5, error_rate=1.0))
    async with client(app) as http:
        response = await http.post(POST, data=creds(world, Xml=new_lead(world)))
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "500 - Internal server error." in response.text
    assert world.state.prospects == []


async def test_rate_limit_fault_is_a_503_with_retry_after(world: World) -> None:
    app, _ = make_app(world, FaultSettings(seed=5, rate_limit_rate=1.0, retry_after_s=7))
    async with client(app) as http:
        response = await http.post("/Leasing/GetEmployees", data=creds(world))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert "Service Unavailable" in response.text


async def test_malformed_fault_is_a_200_cut_off_mid_document(world: World) -> None:
    app, _ = make_app(world, FaultSettings(seed=5, malformed_rate=1.0))
    async with client(app) as http:
        posted = await http.post(POST, data=creds(world, Xml=new_lead(world)))
        as_json = await http.post("/Leasing/GetEmployees", data=creds(world))
        as_xml = await http.post(
            "/Leasing/GetEmployees", data=creds(world), headers={"Accept": "text/xml"}
        )
    for response in (posted, as_xml):
        assert response.status_code == 200
        assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?><ResMan>')
        with pytest.raises(ET.ParseError):
            ET.fromstring(response.text)
    assert as_json.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        as_json.json()
    assert world.state.prospects == []  # the post was never processed


async def test_latency_is_added_to_every_request(world: World) -> None:
    app, _ = make_app(world, FaultSettings(seed=5, latency_ms=60))
    async with client(app) as http:
        started = time.monotonic()
        ok(xml_of(await http.post(SEARCH, data=creds(world))))
        assert time.monotonic() - started >= 0.06


async def test_seeded_fault_rates_are_reproducible(world: World) -> None:
    async def statuses() -> list[int]:
        app, _ = make_app(world, FaultSettings.uniform(0.6, seed=11))
        async with client(app) as http:
            return [(await http.post(SEARCH, data=creds(world))).status_code for _ in range(30)]

    first, again = await statuses(), await statuses()
    assert first == again
    assert {200, 500, 503} <= set(first)


async def test_control_routes_change_faults_at_run_time(world: World) -> None:
    app, faults = make_app(world)
    async with client(app) as http:
        assert (await http.get("/_sim/faults")).json()["error_rate"] == 0.0
        changed = await http.put("/_sim/faults", json={"error_rate": 1.0, "retry_after_s": 3})
        assert changed.status_code == 200
        assert changed.json()["error_rate"] == 1.0 and faults.retry_after_s == 3
        assert (await http.post(SEARCH, data=creds(world))).status_code == 500
        # The control routes themselves are never faulted.
        assert (await http.get("/_sim/stats")).status_code == 200
        refused = await http.put("/_sim/faults", json={"error_rate": 2})
        assert refused.status_code == 400
        assert "error_rate must be between 0 and 1" in refused.json()["error"]
        unknown = await http.put("/_sim/faults", json={"chaos": 1})
        assert unknown.status_code == 400 and "unknown fault knob" in unknown.json()["error"]
        not_json = await http.put("/_sim/faults", content=b"[1, 2]")
        assert not_json.status_code == 400
        await http.put("/_sim/faults", json={"error_rate": 0})
        ok(xml_of(await http.post(SEARCH, data=creds(world))))


async def test_settings_route_changes_search_limit_and_duplicate_mode(world: World) -> None:
    app, _ = make_app(world)
    async with client(app) as http:
        assert (await http.get("/_sim/settings")).json() == {
            "search_limit": 500,
            "strict_duplicates": False,
            "max_xml_bytes": 2 * 1024 * 1024,
            "require_customer_name": True,
        }
        await create(http, world)
        await create(http, world, first="Grace", last="Hopper", email="g@x.com", phones=[])
        assert (await http.put("/_sim/settings", json={"search_limit": 1})).status_code == 200
        assert (await http.post(SEARCH, data=creds(world))).status_code == 502
        await http.put("/_sim/settings", json={"strict_duplicates": True})
        root = xml_of(await http.post(POST, data=creds(world, Xml=new_lead(world))))
        assert root.findtext("Status") == "Error"
        for bad in ({"search_limit": 0}, {"strict_duplicates": "yes"}, {"limit": 3}):
            response = await http.put("/_sim/settings", json=bad)
            assert response.status_code == 400 and response.json()["error"]
        assert (await http.get("/_sim/settings")).json()["search_limit"] == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
async def test_control_routes_answer_loopback_clients(world: World, host: str) -> None:
    app, _ = make_app(world)
    async with client(app, host=host) as http:
        assert (await http.get("/_sim/stats")).status_code == 200


@pytest.mark.parametrize("host", ["10.1.2.3", "192.168.0.7", "::ffff:10.0.0.1", "fe80::1"])
async def test_control_routes_refuse_other_clients(world: World, host: str) -> None:
    app, _ = make_app(world)
    async with client(app, host=host) as http:
        response = await http.get("/_sim/faults")
        assert response.status_code == 403
        assert (await http.put("/_sim/faults", json={"error_rate": 1.0})).status_code == 403
        ok(xml_of(await http.post(SEARCH, data=creds(world))))  # the API itself is served


async def test_stats_count_records_requests_and_faults(world: World) -> None:
    app, faults = make_app(world)
    async with client(app) as http:
        ids = await create(http, world)
        world.state.add_roommate(ids["ProspectID"], "Charles", "Babbage")
        await http.post(SEARCH, data=creds(world, ApiKey="bad"))
        faults.update({"rate_limit_rate": 1.0})
        await http.post(SEARCH, data=creds(world))
        stats = (await http.get("/_sim/stats")).json()
    assert stats["prospects"] == 1
    assert stats["persons"] == 2
    assert stats["events"] == 1
    assert stats["requests_served"] == 3
    assert stats["requests_by_method"] == {"PostLeadManagement4_0": 1, "SearchProspects": 2}
    assert stats["faults_injected"] == {"error": 0, "rate_limited": 1, "malformed": 0}
    assert stats["error_answers"] == 1


async def test_an_unexpected_exception_is_a_500_page_without_traceback(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(world.state, "search", explode)
    app, _ = make_app(world)
    async with client(app) as http:
        response = await http.post(SEARCH, data=creds(world))
        stats = (await http.get("/_sim/stats")).json()
    assert response.status_code == 500
    assert "500 - Internal server error." in response.text
    assert "secret" not in response.text and "Traceback" not in response.text
    assert stats["unexpected_errors"] == 1


async def test_served_over_a_real_loopback_socket(world: World) -> None:
    app, faults = make_app(world)
    async with serve_asgi(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        assert base_url.startswith("http://127.0.0.1:")
        ids = await create(http, world)
        (found,) = await search(http, world, ProspectID=ids["ProspectID"])
        assert found.findtext("Customers/Customer/Name/FirstName") == "Ada"
        assert (await http.put("/_sim/faults", json={"rate_limit_rate": 1.0})).status_code == 200
        refused = await http.post(SEARCH, data=creds(world))
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert faults.rate_limit_rate == 1.0
