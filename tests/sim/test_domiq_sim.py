"""The DomIQ simulator's REST routes, checked against `docs/domiq-api.md`.

Most tests talk to the app in-process (httpx `ASGITransport`); one smoke test goes over a
real loopback socket. The clock is frozen, so ids, timestamps and ordering are fixed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadsync_tui.models import EventType, Lead, MessageRole, TranscriptMessage
from tests.sim.domiq_fixtures import (
    AUTH,
    T0,
    Sim,
    asgi_client,
    create,
    lead_body,
    lead_data,
    make_sim,
    served,
)


@pytest.fixture
def sim() -> Sim:
    return make_sim()


@pytest.fixture
async def client(sim: Sim) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(sim.app) as c:
        yield c


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    error: dict[str, Any] = body["error"]
    return error


# --------------------------------------------------------------------------- auth, health

ALL_ROUTES = [
    ("GET", "/v1/health"),
    ("GET", "/v1/leads"),
    ("POST", "/v1/leads"),
    ("GET", "/v1/leads/cnv_x"),
    ("PATCH", "/v1/leads/cnv_x"),
    ("PUT", "/v1/leads/cnv_x/resman-sync"),
    ("GET", "/v1/conversations/cnv_x/messages"),
    ("POST", "/v1/conversations/cnv_x/qualify"),
]


@pytest.mark.parametrize(("method", "path"), ALL_ROUTES)
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic c2ltOnNpbQ=="])
async def test_every_route_refuses_a_missing_or_wrong_token(
    sim: Sim, method: str, path: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    async with asgi_client(sim.app, auth=False) as anonymous:
        response = await anonymous.request(method, path, headers=headers, json={})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert sim.state.lead_count == 0


async def test_health_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_unknown_route_and_wrong_method_answer_in_the_error_shape(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    wrong = await client.delete("/v1/leads")
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert error_of(wrong)["code"] == "method_not_allowed"


async def test_an_unexpected_error_is_a_500_without_a_traceback(
    sim: Sim, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(cid: str) -> Lead:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(sim.state, "get_lead", explode)
    response = await client.get("/v1/leads/cnv_x")
    assert response.status_code == 500
    assert error_of(response)["code"] == "unavailable"
    assert "secret" not in response.text
    assert "Traceback" not in response.text


# --------------------------------------------------------------------------- create


async def test_create_returns_201_with_the_full_lead(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/leads", json=lead_body(), headers={"Idempotency-Key": "k1"})
    assert response.status_code == 201
    lead = response.json()
    assert lead["conversation_id"].startswith("cnv_")
    assert len(lead["conversation_id"]) == 4 + 26
    assert lead["version"] == 1
    assert lead["created_at"] == lead["updated_at"] == "2026-11-24T09:00:00Z"
    assert lead["desired_move_in"] == "2027-01-15"
    assert lead["desired_bathrooms"] == 1.5
    assert lead["qualification"] == "new"
    assert lead["resman_sync_status"] == "not_synced"
    assert lead["resman_prospect_id"] is None
    assert lead["last_sync_at"] is None
    fetched = await client.get(f"/v1/leads/{lead['conversation_id']}")
    assert fetched.status_code == 200
    assert fetched.json() == lead


async def test_create_defaults_optional_fields_and_source_admin(
    client: httpx.AsyncClient,
) -> None:
    body = {"property_id": "prop_oakridge", "first_name": "Liam", "last_name": "Nguyen"}
    response = await client.post("/v1/leads", json=body, headers={"Idempotency-Key": "k"})
    assert response.status_code == 201
    lead = response.json()
    assert lead["source"] == "admin"
    assert lead["email"] is None
    assert lead["phone"] is None


async def test_the_same_idempotency_key_returns_the_same_lead_with_200(
    sim: Sim, client: httpx.AsyncClient
) -> None:
    first = await client.post("/v1/leads", json=lead_body(), headers={"Idempotency-Key": "k1"})
    again = await client.post("/v1/leads", json=lead_body(), headers={"Idempotency-Key": "k1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["conversation_id"] == first.json()["conversation_id"]
    assert sim.state.lead_count == 1
    assert sim.state.last_event_id == 1


async def test_reusing_an_idempotency_key_with_another_body_is_409(
    sim: Sim, client: httpx.AsyncClient
) -> None:
    await create(client, "k1")
    response = await client.post(
        "/v1/leads", json=lead_body(first_name="Other"), headers={"Idempotency-Key": "k1"}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "duplicate"
    assert sim.state.lead_count == 1


async def test_a_create_without_idempotency_key_is_400(sim: Sim, client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/leads", json=lead_body())
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert "Idempotency-Key" in error["message"]
    assert sim.state.lead_count == 0


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2]", b"", b'{"max_rent": NaN}'],
    ids=["broken", "array", "empty", "nan"],
)
async def test_a_body_that_is_not_a_json_object_is_400(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(
        "/v1/leads",
        content=content,
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": None}, "first_name"),
        ({"last_name": "   "}, "last_name"),
        ({"email": "maya-at-example.com"}, "email"),
        ({"phone": "512-555-0143"}, "phone"),
        ({"phone": "+0125550143"}, "phone"),
        ({"desired_move_in": "15/01/2027"}, "desired_move_in"),
        ({"desired_move_in": "2027-02-30"}, "desired_move_in"),
        ({"desired_bedrooms": 11}, "desired_bedrooms"),
        ({"desired_bedrooms": 1.5}, "desired_bedrooms"),
        ({"desired_bathrooms": -1}, "desired_bathrooms"),
        ({"max_rent": "1850"}, "max_rent"),
        ({"max_rent": -5}, "max_rent"),
        ({"pets": "yes"}, "pets"),
        ({"source": "fax"}, "source"),
        ({"favourite_colour": "teal"}, "favourite_colour"),
        ({"version": 3}, "version"),
        ({"resman_sync_status": "synced"}, "resman_sync_status"),
    ],
)
async def test_a_create_with_a_bad_field_is_422_naming_it(
    sim: Sim, client: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/v1/leads", json=lead_body(**changes), headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_field"
    assert error["message"].startswith(f"{field}:")
    assert sim.state.lead_count == 0


@pytest.mark.parametrize("missing", ["first_name", "last_name", "property_id"])
async def test_a_create_without_a_required_field_is_422(
    client: httpx.AsyncClient, missing: str
) -> None:
    body = lead_body()
    del body[missing]
    response = await client.post("/v1/leads", json=body, headers={"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert error_of(response)["message"] == f"{missing}: is required"


# --------------------------------------------------------------------------- get, list


async def test_an_unknown_lead_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/leads/cnv_nope")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "not_found"
    assert "cnv_nope" in error["message"]


async def test_paging_walks_every_lead_in_order_with_a_frozen_clock(
    client: httpx.AsyncClient,
) -> None:
    created = [(await create(client, f"k{i}"))["conversation_id"] for i in range(7)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/v1/leads", params=params)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"data", "next_cursor"}
        seen += [lead["conversation_id"] for lead in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(created)  # same updated_at everywhere: ties break on the id


async def test_a_lead_changed_while_paging_is_not_skipped(
    sim: Sim, client: httpx.AsyncClient
) -> None:
    ids = [(await create(client, f"k{i}"))["conversation_id"] for i in range(4)]
    first = (await client.get("/v1/leads", params={"limit": 2})).json()
    moved = first["data"][0]["conversation_id"]
    sim.clock.advance(5)
    sim.state.edit_lead(moved, {"notes": "changed mid-pull"})
    rest = (await client.get("/v1/leads", params={"cursor": first["next_cursor"]})).json()
    later = [lead["conversation_id"] for lead in rest["data"]]
    assert later[-1] == moved
    assert {lead["conversation_id"] for lead in first["data"]} | set(later) == set(ids)
    assert rest["next_cursor"] is None


async def test_updated_since_returns_leads_changed_at_or_after_the_instant(
    sim: Sim, client: httpx.AsyncClient
) -> None:
    old = await create(client, "old")
    sim.clock.advance(60)
    new = await create(client, "new")
    sim.clock.advance(60)
    edited = sim.state.edit_lead(old["conversation_id"], {"max_rent": 1900})
    response = await client.get("/v1/leads", params={"updated_since": "2026-11-24T09:01:00Z"})
    ids = [lead["conversation_id"] for lead in response.json()["data"]]
    assert ids == [new["conversation_id"], edited.conversation_id]
    later = await client.get("/v1/leads", params={"updated_since": "2026-11-24T09:02:00+00:00"})
    assert [lead["version"] for lead in later.json()["data"]] == [2]


async def test_the_default_page_is_100_leads(sim: Sim, client: httpx.AsyncClient) -> None:
    for i in range(101):
        sim.state.create_lead(lead_data(first_name=f"P{i}"), idempotency_key=f"k{i}")
    body = (await client.get("/v1/leads")).json()
    assert len(body["data"]) == 100
    assert body["next_cursor"] is not None


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"limit": "0"}, "between 1 and 500"),
        ({"limit": "501"}, "between 1 and 500"),
        ({"limit": "ten"}, "between 1 and 500"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"updated_since": "yesterday"}, "updated_since"),
    ],
)
async def test_bad_list_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, str], words: str
) -> None:
    response = await client.get("/v1/leads", params=params)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert words in error["message"]


# --------------------------------------------------------------------------- patch


async def test_patch_with_the_current_version_changes_and_bumps_it(
    sim: Sim, client: httpx.AsyncClient
) -> None:
    lead = await create(client, "k")
    sim.clock.advance(30)
    response = await client.patch(
        f"/v1/leads/{lead['conversation_id']}",
        json={"max_rent": 2000, "email": None, "qualification": "qualified"},
        headers={"If-Match": "1"},
    )
    assert response.status_code == 200
    patched = response.json()
    assert patched["version"] == 2
    assert patched["max_rent"] == 2000
    assert patched["email"] is None
    assert patched["qualification"] == "qualified"
    assert patched["updated_at"] == "2026-11-24T09:00:30Z"
    assert patched["created_at"] == lead["created_at"]
    events = sim.state.events_since(1)
    assert events is not None
    assert [(e.type, e.data["version"]) for e in events] == [(EventType.LEAD_UPDATED, 2)]


async def test_patch_accepts_an_etag_style_if_match(client: httpx.AsyncClient) -> None:
    lead = await create(client, "k")
    response = await client.patch(
        f"/v1/leads/{lead['conversation_id']}", json={"pets": False}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2


async def test_patch_with_a_stale_version_is_412_and_changes_nothing(
    sim: Sim, client: httpx.AsyncClient
) -> None:
    lead = await create(client, "k")
    sim.state.edit_lead(lead["conversation_id"], {"notes": "the bot learned something"})
    response = await client.patch(
        f"/v1/leads/{lead['conversation_id']}", json={"max_rent": 1}, headers={"If-Match": "1"}
    )
    assert response.status_code == 412
    error = error_of(response)
    assert error["code"] == "version_mismatch"
    assert "version 2" in error["message"]
    assert sim.state.get_lead(lead["conversation_id"]).max_rent == 1850


async def test_patch_without_if_match_is_400(client: httpx.AsyncClient) -> None:
    lead = await create(client, "k")
    response = await client.patch(f"/v1/leads/{lead['conversation_id']}", json={"pets": False})
    assert response.status_code == 400
    assert "If-Match" in error_of(response)["message"]
    bad = await client.patch(
        f"/v1/leads/{lead['conversation_id']}", json={"pets": False}, headers={"If-Match": "v1"}
    )
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"conversation_id": "cnv_other"}, "conversation_id"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"version": 9}, "version"),
        ({"resman_prospect_id": "abc"}, "resman_prospect_id"),
        ({"nickname": "M"}, "nickname"),
        ({"phone": "5125550143"}, "phone"),
        ({"qualification": "maybe"}, "qualification"),
    ],
)
async def test_patch_refuses_unknown_immutable_and_invalid_fields_with_422(
    sim: Sim, client: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    lead = await create(client, "k")
    response = await client.patch(
        f"/v1/leads/{lead['conversation_id']}", json=changes, headers={"If-Match": "1"}
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_field"
    assert error["message"].startswith(f"{field}:")
    assert sim.state.get_lead(lead["conversation_id"]).version == 1


async def test_patch_of_an_unknown_lead_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch("/v1/leads/cnv_nope", json={}, headers={"If-Match": "1"})
    assert response.status_code == 404


async def test_a_patch_that_changes_nothing_keeps_the_version(
    sim: Sim, client: httpx.AsyncClient
) -> None:
    lead = await create(client, "k")
    response = await client.patch(
        f"/v1/leads/{lead['conversation_id']}", json={"max_rent": 1850}, headers={"If-Match": "1"}
    )
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert sim.state.last_event_id == 1


# --------------------------------------------------------------------------- resman-sync


async def test_a_sync_report_sets_the_fields_without_bumping_the_version(
    sim: Sim, client: httpx.AsyncClient
) -> None:
    lead = await create(client, "k")
    cid = lead["conversation_id"]
    report = {
        "resman_sync_status": "synced",
        "resman_prospect_id": "8c2f0a8e-5c1b-4a55-9d0f-5a4f1b7c2e11",
        "last_sync_at": "2026-11-24T09:12:41Z",
    }
    response = await client.put(f"/v1/leads/{cid}/resman-sync", json=report)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert {key: body[key] for key in report} == report
    events = sim.state.events_since(1)
    assert events is not None
    assert [e.type for e in events] == [EventType.LEAD_UPDATED]
    assert events[0].data["resman_sync_status"] == "synced"
    # a later report that leaves out the prospect id keeps it
    again = await client.put(f"/v1/leads/{cid}/resman-sync", json={"resman_sync_status": "syncing"})
    assert again.json()["resman_prospect_id"] == report["resman_prospect_id"]
    assert again.json()["version"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resman_prospect_id": "abc"}, "resman_sync_status"),
        ({"resman_sync_status": "done"}, "resman_sync_status"),
        ({"resman_sync_status": "synced", "last_sync_at": "noon"}, "last_sync_at"),
        ({"resman_sync_status": "synced", "first_name": "X"}, "first_name"),
    ],
)
async def test_a_bad_sync_report_is_422(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    lead = await create(client, "k")
    response = await client.put(f"/v1/leads/{lead['conversation_id']}/resman-sync", json=body)
    assert response.status_code == 422
    assert error_of(response)["message"].startswith(f"{field}:")


async def test_a_sync_report_for_an_unknown_lead_is_404(client: httpx.AsyncClient) -> None:
    response = await client.put("/v1/leads/cnv_nope/resman-sync", json={"resman_sync_status": "x"})
    assert response.status_code == 404


# --------------------------------------------------------------------------- conversations


async def test_messages_returns_the_transcript(sim: Sim, client: httpx.AsyncClient) -> None:
    transcript = [
        TranscriptMessage(at=T0, role=MessageRole.PROSPECT, text="Any 2 bed units?"),
        TranscriptMessage(at=T0, role=MessageRole.BOT, text="Yes, from $1,750."),
    ]
    cid = sim.state.start_conversation(
        "prop_oakridge", "Maya", "Okafor", email="maya@example.com", transcript=transcript
    )
    response = await client.get(f"/v1/conversations/{cid}/messages")
    assert response.status_code == 200
    assert response.json() == [
        {"at": "2026-11-24T09:00:00Z", "role": "prospect", "text": "Any 2 bed units?"},
        {"at": "2026-11-24T09:00:00Z", "role": "bot", "text": "Yes, from $1,750."},
    ]


async def test_a_lead_created_through_the_api_has_an_empty_transcript(
    client: httpx.AsyncClient,
) -> None:
    lead = await create(client, "k")
    response = await client.get(f"/v1/conversations/{lead['conversation_id']}/messages")
    assert response.status_code == 200
    assert response.json() == []


async def test_messages_of_an_unknown_conversation_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/conversations/cnv_nope/messages")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


async def test_qualify_turns_a_chat_into_a_qualified_lead(
    sim: Sim, client: httpx.AsyncClient
) -> None:
    cid = sim.state.start_conversation("prop_oakridge", "Liam", "Nguyen", phone="+15125550100")
    response = await client.post(f"/v1/conversations/{cid}/qualify")
    assert response.status_code == 201
    lead = response.json()
    assert lead["conversation_id"] == cid
    assert lead["qualification"] == "qualified"
    assert lead["phone"] == "+15125550100"
    assert lead["source"] == "website_chat"
    events = sim.state.events_since(0)
    assert events is not None
    assert [e.type for e in events] == [
        EventType.LEAD_CREATED,
        EventType.CONVERSATION_QUALIFIED,
    ]
    again = await client.post(f"/v1/conversations/{cid}/qualify")
    assert again.status_code == 200
    assert again.json()["version"] == 1
    assert sim.state.last_event_id == 2


async def test_qualify_marks_an_existing_lead_qualified(
    sim: Sim, client: httpx.AsyncClient
) -> None:
    lead = await create(client, "k")
    response = await client.post(f"/v1/conversations/{lead['conversation_id']}/qualify")
    assert response.status_code == 200
    assert response.json()["qualification"] == "qualified"
    assert response.json()["version"] == 2
    events = sim.state.events_since(1)
    assert events is not None
    assert [e.type for e in events] == [EventType.CONVERSATION_QUALIFIED]


async def test_qualify_of_an_unknown_conversation_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/conversations/cnv_nope/qualify")
    assert response.status_code == 404


# --------------------------------------------------------------------------- real socket


async def test_the_api_works_over_a_real_loopback_socket(sim: Sim) -> None:
    async with served(sim) as base_url, httpx.AsyncClient(base_url=base_url, headers=AUTH) as c:
        assert base_url.startswith("http://127.0.0.1:")
        assert (await c.get("/v1/health")).json() == {"status": "ok"}
        created = await c.post("/v1/leads", json=lead_body(), headers={"Idempotency-Key": "k"})
        assert created.status_code == 201
        assert created.headers["content-type"] == "application/json"
        fetched = await c.get(f"/v1/leads/{created.json()['conversation_id']}")
        assert fetched.json() == created.json()
