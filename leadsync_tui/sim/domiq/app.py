"""The DomIQ simulator as a Starlette app: the v1 contract plus fault injection and control.

Routes follow `docs/domiq-api.md` exactly; every `/v1` route (health and the live feed
included) needs `Authorization: Bearer <token>`.

Every `/v1` HTTP request goes through the same gate, in this order: the `latency_ms`
sleep, the token check (401), then `faults.draw()`. A drawn fault answers instead of the
route and never touches the state:
- error: 500 or 503 `unavailable`;
- rate_limited: 429 `rate_limited` with `Retry-After: <retry_after_s>`;
- malformed: 200 `application/json` whose body is the first half of a real answer. For
  reads that is the route's answer; for writes (which must not happen) it is the lead
  the path names as it stands, else the request body echoed.

Control routes, for tests and `leadsync sim`, without auth and only from loopback (403
otherwise); they are not part of the contract:
- `GET /_sim/faults` -> the fault knobs as JSON;
- `PUT /_sim/faults` with a JSON object of knobs (e.g. `{"error_rate": 0.2}`) -> applies
  them all or none, answers the new knobs; 400 on an unknown knob or a bad value;
- `GET /_sim/stats` -> leads, retained events, last_event_id, live subscribers, requests
  served, feed connections and faults injected by kind.

No traceback ever reaches a client: an unexpected error is a 500 `unavailable`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from leadsync_tui.sim.domiq.auth import bearer_token, token_ok
from leadsync_tui.sim.domiq.errors import BadRequest, DomiqError
from leadsync_tui.sim.domiq.feed import make_feed_endpoint
from leadsync_tui.sim.domiq.responses import (
    error_for,
    error_response,
    read_json_object,
    truncated_json,
)
from leadsync_tui.sim.domiq.state import DomiqState
from leadsync_tui.sim.domiq.stats import SimStats
from leadsync_tui.sim.domiq.validation import clean_new_lead, clean_sync_report
from leadsync_tui.sim.faults import Fault, FaultSettings, FaultSettingsError

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]

DEFAULT_LIMIT = 100


def create_domiq_app(
    state: DomiqState,
    *,
    token: str,
    faults: FaultSettings,
    heartbeat_interval: float = 5.0,
) -> Starlette:
    """A DomIQ v1 server over `state`, guarded by `token`, misbehaving per `faults`.

    `faults` is shared, not copied: changing it (directly or via `/_sim/faults`) takes
    effect on the next request. `app.state.stats` holds the `SimStats` counters.
    """
    api = _DomiqApi(state)
    stats = SimStats()
    v1 = _Gate(token, faults, stats, state)
    control = _Control(state, faults, stats)
    routes = [
        _route("/v1/health", v1, GET=api.health),
        _route("/v1/leads", v1, GET=api.list_leads, POST=api.create_lead),
        _route("/v1/leads/{conversation_id}", v1, GET=api.get_lead, PATCH=api.patch_lead),
        _route("/v1/leads/{conversation_id}/resman-sync", v1, PUT=api.report_sync),
        _route("/v1/conversations/{conversation_id}/messages", v1, GET=api.messages),
        _route("/v1/conversations/{conversation_id}/qualify", v1, POST=api.qualify),
        WebSocketRoute(
            "/v1/events",
            make_feed_endpoint(
                state,
                token=token,
                faults=faults,
                stats=stats,
                heartbeat_interval=heartbeat_interval,
            ),
        ),
        Route(
            "/_sim/faults",
            _local(_by_method(GET=control.get_faults, PUT=control.put_faults)),
            methods=["GET", "PUT"],
        ),
        Route("/_sim/stats", _local(control.stats), methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_exception, Exception: _unexpected},
    )
    app.state.stats = stats  # the `/_sim/stats` counters, for in-process readers
    return app


def _route(path: str, gate: _Gate, **by_method: Endpoint) -> Route:
    """One route per path, so a wrong method's 405 lists every allowed one."""
    return Route(path, gate.guard(_by_method(**by_method)), methods=list(by_method))


def _by_method(**by_method: Endpoint) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await by_method[method](request)

    return dispatch


# ---------------------------------------------------------------------------- the gate


async def _answer(endpoint: Endpoint, request: Request) -> Response:
    """Run a route; typed refusals become contract errors, anything else a 500."""
    try:
        return await endpoint(request)
    except DomiqError as exc:
        return error_for(exc)
    except Exception:
        logger.exception("DomIQ simulator route %s %s failed", request.method, request.url.path)
        return error_response(500, "unavailable", "internal error in the DomIQ simulator")


class _Gate:
    """Latency, auth and fault injection in front of every `/v1` HTTP route."""

    def __init__(
        self, token: str, faults: FaultSettings, stats: SimStats, state: DomiqState
    ) -> None:
        self.token = token
        self.faults = faults
        self.stats = stats
        self.state = state

    def guard(self, endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            self.stats.requests += 1
            if self.faults.latency_ms > 0:
                await asyncio.sleep(self.faults.latency_ms / 1000)
            if not token_ok(bearer_token(request.headers), self.token):
                return error_response(
                    401, "unauthorized", "missing or wrong bearer token in Authorization"
                )
            fault = self.faults.draw()
            if fault is None:
                return await _answer(endpoint, request)
            self.stats.count_fault(fault.value)
            return await self._fault(fault, endpoint, request)

        return guarded

    async def _fault(self, fault: Fault, endpoint: Endpoint, request: Request) -> Response:
        if fault is Fault.ERROR:
            status = self.faults.pick_error_status()
            return error_response(status, "unavailable", f"DomIQ is unavailable ({status})")
        if fault is Fault.RATE_LIMITED:
            wait = self.faults.retry_after_s
            return error_response(
                429,
                "rate_limited",
                f"too many requests; retry after {wait} s",
                headers={"Retry-After": str(wait)},
            )
        return truncated_json(await self._real_body(endpoint, request))

    async def _real_body(self, endpoint: Endpoint, request: Request) -> bytes:
        """What the malformed fault cuts in half, computed without changing anything."""
        if request.method == "GET":
            return bytes((await _answer(endpoint, request)).body)
        cid = request.path_params.get("conversation_id")
        if cid is not None:
            if self.state.has_lead(cid):
                return self.state.get_lead(cid).model_dump_json().encode()
            return json.dumps({"conversation_id": cid}).encode()
        return (await request.body()).strip() or b"{}"


def _local(endpoint: Endpoint) -> Endpoint:
    """Control routes answer loopback (and in-process test) clients only."""

    async def local_only(request: Request) -> Response:
        host = request.client.host if request.client else None
        if host not in (None, "testclient") and not _is_loopback(host):
            return error_response(403, "forbidden", "simulator control is loopback-only")
        return await _answer(endpoint, request)

    return local_only


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods answer in the contract's error shape too."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(404, "not_found", f"no route {request.url.path}")
    if exc.status_code == 405:
        return error_response(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.url.path}",
            headers=exc.headers,
        )
    return error_response(exc.status_code, "bad_request", str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> Response:
    return error_response(500, "unavailable", "internal error in the DomIQ simulator")


# ---------------------------------------------------------------------------- v1 routes


class _DomiqApi:
    """The contract's routes over the state; each returns the success answer or raises."""

    def __init__(self, state: DomiqState) -> None:
        self.state = state

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def list_leads(self, request: Request) -> Response:
        params = request.query_params
        limit = _parse_limit(params.get("limit"))
        since = _parse_instant(params.get("updated_since"))
        page, next_cursor = self.state.list_leads(since, params.get("cursor") or None, limit)
        data = [lead.model_dump(mode="json") for lead in page]
        return JSONResponse({"data": data, "next_cursor": next_cursor})

    async def get_lead(self, request: Request) -> Response:
        lead = self.state.get_lead(request.path_params["conversation_id"])
        return JSONResponse(lead.model_dump(mode="json"))

    async def create_lead(self, request: Request) -> Response:
        key = request.headers.get("idempotency-key", "").strip()
        if not key:
            raise BadRequest("the Idempotency-Key header is required to create a lead")
        data = clean_new_lead(await read_json_object(request))
        lead, created = self.state.create_lead(data, key)
        return JSONResponse(lead.model_dump(mode="json"), status_code=201 if created else 200)

    async def patch_lead(self, request: Request) -> Response:
        version = _parse_if_match(request.headers.get("if-match"))
        changes = await read_json_object(request)
        lead = self.state.patch_lead(request.path_params["conversation_id"], changes, version)
        return JSONResponse(lead.model_dump(mode="json"))

    async def report_sync(self, request: Request) -> Response:
        cid = request.path_params["conversation_id"]
        current = self.state.get_lead(cid)
        report = clean_sync_report(await read_json_object(request))
        lead = self.state.report_sync(
            cid,
            report.status,
            report.changes.get("resman_prospect_id", current.resman_prospect_id),
            report.changes.get("last_sync_at", current.last_sync_at),
        )
        return JSONResponse(lead.model_dump(mode="json"))

    async def messages(self, request: Request) -> Response:
        transcript = self.state.transcript(request.path_params["conversation_id"])
        return JSONResponse([message.model_dump(mode="json") for message in transcript])

    async def qualify(self, request: Request) -> Response:
        cid = request.path_params["conversation_id"]
        existed = self.state.has_lead(cid)
        lead = self.state.qualify(cid)
        return JSONResponse(lead.model_dump(mode="json"), status_code=200 if existed else 201)


def _parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not _is_number(raw.strip()) or not 1 <= int(raw) <= 500:
        raise BadRequest(f"limit must be a whole number between 1 and 500, got {raw!r}")
    return int(raw)


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _parse_instant(raw: str | None) -> datetime | None:
    """`updated_since` as ISO 8601; a `+` that arrived unescaped (as a space) is restored."""
    if raw is None or raw == "":
        return None
    try:
        at = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError:
        raise BadRequest(
            f"updated_since must be an ISO 8601 timestamp like 2026-11-24T09:12:40Z, got {raw!r}"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _parse_if_match(raw: str | None) -> int:
    """`If-Match: 4`; the ETag spellings `"4"` and `W/"4"` are accepted too."""
    if raw is None or not raw.strip():
        raise BadRequest("the If-Match header (the lead's current version) is required")
    value = raw.strip().removeprefix("W/").strip('"')
    if not _is_number(value):
        raise BadRequest(f"If-Match must be the lead's version number, got {raw!r}")
    return int(value)


# ---------------------------------------------------------------------------- control


class _Control:
    """`/_sim/*`: read and turn the fault knobs, read the counters."""

    def __init__(self, state: DomiqState, faults: FaultSettings, stats: SimStats) -> None:
        self.state = state
        self.faults = faults
        self.stats_ = stats

    async def get_faults(self, request: Request) -> Response:
        return JSONResponse(self.faults.as_dict())

    async def put_faults(self, request: Request) -> Response:
        changes = await read_json_object(request)
        try:
            self.faults.update(changes)
        except FaultSettingsError as exc:
            raise BadRequest(str(exc)) from None
        return JSONResponse(self.faults.as_dict())

    async def stats(self, request: Request) -> Response:
        return JSONResponse(self.stats_.report(self.state))
