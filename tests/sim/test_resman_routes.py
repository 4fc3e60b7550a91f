"""Leasing and Account routes: JSON by default, the XML envelope on request, same errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.sim.resman_fixtures import (
    API_KEY,
    PARTNER,
    World,
    client,
    creds,
    error,
    make_app,
    make_world,
    ok,
    xml_of,
)


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app, _ = make_app(world)
    async with client(app) as http_client:
        yield http_client


async def test_prospect_sources_are_property_scoped_json(
    world: World, http: httpx.AsyncClient
) -> None:
    inactive = world.state.add_source(world.prop.property_id, "Old Flyer", is_active=False)
    response = await http.post("/Leasing/GetProspectSources", data=creds(world))
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["MethodName"] == "GetProspectSources"
    assert body["Status"] == "Success"
    assert body["ErrorDescription"] is None
    assert body["AccountID"] == 400
    assert body["PropertyID"] == world.prop.property_id
    assert body["ProspectSources"] == [
        {
            "ID": world.source.source_id,
            "Name": "DomIQ Chat",
            "AvailableForOnlineMarketing": True,
            "IsActive": True,
        },
        {
            "ID": inactive.source_id,
            "Name": "Old Flyer",
            "AvailableForOnlineMarketing": True,
            "IsActive": False,
        },
    ]


async def test_employees_list_duplicates_like_resman(world: World, http: httpx.AsyncClient) -> None:
    body = (await http.post("/Leasing/GetEmployees", data=creds(world))).json()
    assert [(e["Name"], e["ID"]) for e in body["Employees"]] == [
        ("Jane Agent", world.agent.employee_id),
        ("Jane Agent", world.agent_twin.employee_id),
    ]
    assert body["Employees"][0]["SecurityGroup"] == "Leasing Agent"
    assert body["Employees"][0]["Email"] == "jane@oak.example"


async def test_lost_reasons_need_only_the_account(world: World, http: httpx.AsyncClient) -> None:
    data = creds(world)
    del data["PropertyID"]
    body = (await http.post("/Leasing/GetLostProspectReasons", data=data)).json()
    assert body["Status"] == "Success"
    assert body["PropertyID"] is None
    assert body["LostProspectReasons"] == [
        {"ID": world.lost_reason.reason_id, "Name": "Inactive (Lack of Response)"}
    ]
    bad = (
        await http.post("/Leasing/GetLostProspectReasons", data={**data, "PropertyID": "nope"})
    ).json()
    assert (bad["Status"], bad["ErrorDescription"]) == ("Error", "Property could not be found")


async def test_properties_and_account_id(world: World, http: httpx.AsyncClient) -> None:
    world.state.add_property("Other Company's", account_id=999)
    data = creds(world)
    body = (await http.post("/Account/GetProperties", data=data)).json()
    assert [p["Name"] for p in body["Properties"]] == ["Oak Terrace", "Pine Court"]
    assert body["Properties"][0] == {
        "PropertyID": world.prop.property_id,
        "Name": "Oak Terrace",
        "StreetAddress": "1 Oak St",
        "City": "Austin",
        "State": "TX",
        "Zip": "78701",
        "Phone": "",
        "Email": "",
        "Manager": "",
    }
    account = (
        await http.post(
            "/Account/GetAccountID",
            data={"IntegrationPartnerID": PARTNER, "ApiKey": API_KEY, "Subdomain": "SIMULATED"},
        )
    ).json()
    assert account["AccountID"] == 400
    assert account["CompanyName"] == "Simulated Residential"
    assert account["Status"] == "Success"
    missing = (
        await http.post(
            "/Account/GetAccountID",
            data={"IntegrationPartnerID": PARTNER, "ApiKey": API_KEY, "Subdomain": "nope"},
        )
    ).json()
    assert missing["ErrorDescription"] == "Subdomain could not be found"


@pytest.mark.parametrize(
    "accept",
    ["application/xml", "text/xml", "application/json;q=0.5, application/xml", "text/xml, */*"],
)
async def test_accept_xml_switches_to_the_resman_envelope(
    world: World, http: httpx.AsyncClient, accept: str
) -> None:
    response = await http.post(
        "/Leasing/GetProspectSources", data=creds(world), headers={"Accept": accept}
    )
    assert response.headers["content-type"].startswith("application/xml")
    root = ok(xml_of(response))
    assert [c.tag for c in root] == ["MethodName", "Status", "AccountID", "PropertyID", "Response"]
    source = root.find("Response/ProspectSources/ProspectSource")
    assert source is not None
    assert source.findtext("ID") == world.source.source_id
    assert source.findtext("IsActive") == "true"


@pytest.mark.parametrize("accept", ["", "*/*", "application/json", "application/json, text/xml"])
async def test_json_is_the_default(world: World, http: httpx.AsyncClient, accept: str) -> None:
    response = await http.post(
        "/Account/GetProperties", data=creds(world), headers={"Accept": accept}
    )
    assert response.json()["Status"] == "Success"


async def test_errors_follow_the_negotiated_format(world: World, http: httpx.AsyncClient) -> None:
    data = creds(world, ApiKey="wrong")
    as_json = await http.post("/Leasing/GetEmployees", data=data)
    assert as_json.status_code == 200
    assert as_json.json() == {
        "MethodName": "GetEmployees",
        "Status": "Error",
        "AccountID": 400,
        "PropertyID": world.prop.property_id,
        "ErrorDescription": "Invalid IntegrationPartnerID or ApiKey",
    }
    as_xml = await http.post(
        "/Leasing/GetEmployees", data=data, headers={"Accept": "application/xml"}
    )
    root = xml_of(as_xml)
    assert error(root) == "Invalid IntegrationPartnerID or ApiKey"
    assert root.find("Response") is None


async def test_paths_are_case_insensitive_and_only_post_is_served(
    world: World, http: httpx.AsyncClient
) -> None:
    response = await http.post("/leasing/getemployees", data=creds(world))
    assert response.json()["Status"] == "Success"
    assert (await http.get("/Leasing/GetEmployees")).status_code == 405
    assert (await http.post("/Leasing/GetUnits", data=creds(world))).status_code == 404
