"""The ResMan API as an ASGI app: the MITS, Leasing and Account routes a client calls.

Behaviour an integrator will meet (facts and inferences: docs/resman-mits.md):

- Every API route is a POST with a form body; parameter names bind case-insensitively
  (`APIKey` == `ApiKey`) and the query string is read too (form values win), as ASP.NET
  binds them. Paths are case-insensitive, as IIS serves them.
- `MITS/*` always answers XML. `Leasing/*` and `Account/*` answer JSON unless the Accept
  header prefers `application/xml`/`text/xml`; JSON carries the envelope keys
  (`MethodName`, `Status`, `AccountID`, `PropertyID`, `ErrorDescription`) beside the payload.
- Application errors are HTTP 200 with `Status=Error` and an `ErrorDescription`.
- `MITSLite/PostLeadManagement4_0` takes credentials from the form or the query string and
  the document from `Xml` or the raw body; it only adds. It has no AccountID/PropertyID
  parameter: the account is the state's, and the property comes from an
  `Identification IDType="PropertyID"` inside the (first) Prospect naming one, else the
  account's first property (inferred: ResMan does not say).
- `MITS/SearchProspects` answers HTTP 502 with "buffer overflow" in an HTML body when more
  than `search_limit` prospects match, as ResMan does for too wide a window. Its filters
  are `ResmanState.search`'s. Dates may be ISO 8601 (no offset = UTC) or US `M/D/YYYY
  [h:mm[:ss] [AM|PM]]`; a date-only `ModifiedEndDateTime` means midnight (it is a
  datetime), a date-only `EndDate` the whole day (it filters the comm log by day) [I].
- Faults (from `FaultSettings`, on every API route, never on `/_sim/*`): `latency_ms`
  first; ERROR -> HTTP 500 with IIS's HTML error page; RATE_LIMITED -> HTTP 503 with
  `Retry-After` and a "Service Unavailable" HTML page: ResMan documents no rate limit,
  so this is inferred from how its IIS front door refuses load; MALFORMED -> HTTP 200 with
  the route's usual body (XML, or JSON where JSON was asked for) cut off half-way. A
  faulted request is not processed: it never changes state.
- No traceback ever reaches a client: an unexpected exception is the HTTP 500 page.
- Every answer carries `Date` from the account's clock (`http_date`), as IIS stamps it.

Control routes (JSON, no authentication, loopback clients only, else 403):
- `GET /_sim/faults`, `PUT /_sim/faults` (a JSON object of knobs; 400 + message when
  `FaultSettings.update` refuses it).
- `GET /_sim/stats`: prospects, persons, events, requests served (total and by method),
  faults injected by kind, error answers, buffer overflows, unexpected errors.
- `GET /_sim/settings`, `PUT /_sim/settings`: `search_limit` (int >= 1),
  `strict_duplicates` (bool), `max_xml_bytes` (int >= 1), `require_customer_name`
  (bool, on by default: every posted Customer must carry FirstName and LastName, as
  every real integration sends them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from leadsync_tui.sim.faults import FaultSettings
from leadsync_tui.sim.resman import mits_xml
from leadsync_tui.sim.resman.control import SimSettings, SimStats, control_routes
from leadsync_tui.sim.resman.endpoints import ResmanApi
from leadsync_tui.sim.resman.http_date import DateHeader
from leadsync_tui.sim.resman.state import ResmanState
from leadsync_tui.sim.resman.wire import (
    IIS_500_PAGE,
    BodyTooLarge,
    CaseInsensitivePaths,
    Handler,
    Kind,
    Params,
    Refusal,
    answer,
    fault_response,
    form_pairs,
    read_body,
)

logger = logging.getLogger(__name__)


def _api_routes(api: ResmanApi, faults: FaultSettings) -> list[Route]:
    table: list[tuple[str, str, Kind, Handler]] = [
        ("/MITS/PostLeadManagement4_0", "PostLeadManagement4_0", "mits", api.post_lead),
        ("/MITSLite/PostLeadManagement4_0", "PostLeadManagement4_0", "mits", api.post_lite),
        ("/MITS/SearchProspects", "SearchProspects", "mits", api.search_prospects),
        ("/Leasing/GetProspectSources", "GetProspectSources", "negotiated", api.sources),
        (
            "/Leasing/GetLostProspectReasons",
            "GetLostProspectReasons",
            "negotiated",
            api.lost_reasons,
        ),
        ("/Leasing/GetEmployees", "GetEmployees", "negotiated", api.employees),
        ("/Account/GetProperties", "GetProperties", "negotiated", api.properties),
        ("/Account/GetAccountID", "GetAccountID", "negotiated", api.account_id),
    ]
    return [
        Route(path, _endpoint(api, faults, method, kind, handler), methods=["POST"])
        for path, method, kind, handler in table
    ]


def _max_body_bytes(settings: SimSettings) -> int:
    # URL-encoding can triple a document; leave room for the other parameters.
    return settings.max_xml_bytes * 3 + 64 * 1024


def _endpoint(
    api: ResmanApi, faults: FaultSettings, method: str, kind: Kind, handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    """One API route: counted, delayed and faulted as configured, refusals answered."""
    stats = api.stats

    async def endpoint(request: Request) -> Response:
        stats.requests_served += 1
        stats.requests_by_method[method] += 1
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        fault = faults.draw()
        if fault is not None:
            stats.faults_injected[fault.value] += 1
            return fault_response(
                fault,
                method,
                kind,
                request,
                account_id=api.state.account_id,
                retry_after_s=faults.retry_after_s,
            )
        params = Params()
        limit = _max_body_bytes(api.settings)
        try:
            try:
                body = await read_body(request, limit)
            except BodyTooLarge:
                raise Refusal(f"Request exceeds the maximum size of {limit} bytes") from None
            params = Params(form_pairs(request, body), request.query_params.multi_items())
            return await handler(request, body, params)
        except Refusal as refusal:
            stats.error_answers += 1
            return answer(
                method,
                kind,
                request,
                error=str(refusal),
                account_id=params.get("AccountID"),
                property_id=params.get("PropertyID"),
            )
        except Exception:
            stats.unexpected_errors += 1
            logger.exception("ResMan simulator: unexpected error in %s", method)
            return HTMLResponse(IIS_500_PAGE, status_code=500)

    return endpoint


async def _unexpected(request: Request, exc: Exception) -> Response:
    return HTMLResponse(IIS_500_PAGE, status_code=500)


def create_resman_app(
    state: ResmanState,
    *,
    faults: FaultSettings,
    search_limit: int = 500,
    strict_duplicates: bool = False,
    max_xml_bytes: int = mits_xml.MAX_XML_BYTES,
) -> Starlette:
    """The simulator's ASGI app; serve it with `http_server.serve_asgi` or httpx's ASGITransport.

    `app.state.resman`, `.faults`, `.sim_settings` and `.sim_stats` expose the live objects.
    """
    settings = SimSettings(
        search_limit=search_limit,
        strict_duplicates=strict_duplicates,
        max_xml_bytes=max_xml_bytes,
    )
    settings.update({})
    api = ResmanApi(state, settings, SimStats())
    routes = _api_routes(api, faults) + control_routes(state, faults, settings, api.stats)
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(DateHeader, now=state.now),
            Middleware(CaseInsensitivePaths, paths=[r.path for r in routes]),
        ],
        exception_handlers={Exception: _unexpected},
    )
    app.state.resman = state
    app.state.faults = faults
    app.state.sim_settings = settings
    app.state.sim_stats = api.stats
    app.state.sends_date = True  # `serve_asgi` leaves `Date` to `DateHeader`
    return app
