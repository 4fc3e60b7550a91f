"""The ResMan simulator stamps every answer with `Date` from its own clock, as ResMan's
IIS does: the time a client that distrusts its own clock must go by."""

from __future__ import annotations

from datetime import timedelta

import httpx

from leadsync_tui.clients.resman_clock import parse_http_date
from tests.clients.sim_fixtures import ACCOUNT, API_KEY, PARTNER, T0, resman_world, served

FORM = {"IntegrationPartnerID": PARTNER, "ApiKey": API_KEY, "AccountID": str(ACCOUNT)}


async def test_every_answer_carries_the_simulated_accounts_time() -> None:
    world = resman_world()
    world.clock.advance(3725.6)  # the sim runs on its own clock, far from this machine's
    transport = httpx.ASGITransport(app=world.app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://resman.test") as http:
        search = await http.post(
            "/MITS/SearchProspects",
            data={**FORM, "PropertyID": world.prop.property_id},
        )
        refused = await http.post("/Account/GetProperties", data={"ApiKey": "wrong"})
    expected = (T0 + timedelta(seconds=3725)).replace(microsecond=0)
    for answer in (search, refused):
        assert parse_http_date(answer.headers["date"]) == expected
    assert search.headers["date"] == "Tue, 24 Nov 2026 10:02:05 GMT"


async def test_served_over_a_socket_the_answer_has_one_date() -> None:
    world = resman_world()
    async with served(world.app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        answer = await http.post("/Account/GetProperties", data=FORM)
    assert answer.headers.get_list("date") == ["Tue, 24 Nov 2026 09:00:00 GMT"]
