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
import ipaddress
import json
import logging
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from leadsync_tui.sim.faults import Fault, FaultSettings, FaultSettingsError
from leadsync_tui.sim.resman import mits_xml
from leadsync_tui.sim.resman.http_date import DateHeader
from leadsync_tui.sim.resman.mits_xml import MitsXmlError
from leadsync_tui.sim.resman.posted import PostedProspect
from leadsync_tui.sim.resman.posting import PostError, post_prospects
from leadsync_tui.sim.resman.records import Property
from leadsync_tui.sim.resman.state import ResmanState

logger = logging.getLogger(__name__)

INTEGRATION_PARTNER_REQUIRED = "IntegrationPartnerID is required"
API_KEY_REQUIRED = "ApiKey is required"
INVALID_CREDENTIALS = "Invalid IntegrationPartnerID or ApiKey"
ACCOUNT_REQUIRED = "AccountID is required"
ACCOUNT_NOT_INTEGER = "AccountID must be an integer"
ACCOUNT_NOT_FOUND = "Account could not be found"
PROPERTY_REQUIRED = "PropertyID is required"
PROPERTY_NOT_FOUND = "Property could not be found"
SUBDOMAIN_REQUIRED = "Subdomain is required"
SUBDOMAIN_NOT_FOUND = "Subdomain could not be found"
XML_REQUIRED = "Xml is required"

IIS_500_PAGE = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" \
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head><title>500 - Internal server error.</title></head>
<body><div id="header"><h1>Server Error</h1></div>
<div id="content"><div class="content-container"><fieldset>
<h2>500 - Internal server error.</h2>
<h3>There is a problem with the resource you are looking for, and it cannot be displayed.</h3>
</fieldset></div></div></body></html>
"""
IIS_503_PAGE = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" \
"http://www.w3.org/TR/html4/strict.dtd">
<HTML><HEAD><TITLE>Service Unavailable</TITLE>
<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>
<BODY><h2>Service Unavailable</h2>
<hr><p>HTTP Error 503. The service is unavailable.</p>
</BODY></HTML>
"""
BUFFER_OVERFLOW_PAGE = """<html><head><title>502 Bad Gateway</title></head>
<body><h1>502 - Bad Gateway</h1>
<p>The server received an invalid response while acting as a gateway: buffer overflow.</p>
</body></html>
"""

_XML_HEADERS = {"content-type": "application/xml; charset=utf-8"}
_FORM_TYPE = "application/x-www-form-urlencoded"

Kind = Literal["mits", "negotiated"]


class _Refusal(Exception):
    """An application error: answered as HTTP 200 with Status=Error."""


class _BodyTooLarge(Exception):
    pass


@dataclass
class SimSettings:
    """Run-time knobs of the ResMan simulator (see `/_sim/settings`)."""

    search_limit: int = 500
    strict_duplicates: bool = False
    max_xml_bytes: int = mits_xml.MAX_XML_BYTES
    require_customer_name: bool = True

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply a control request, all or nothing; `ValueError` on a bad knob or value."""
        unknown = set(changes) - set(self.as_dict())
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        for key in ("search_limit", "max_xml_bytes"):
            value = changes.get(key, getattr(self, key))
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{key} must be an integer >= 1, got {value!r}")
        for key in ("strict_duplicates", "require_customer_name"):
            flag = changes.get(key, getattr(self, key))
            if not isinstance(flag, bool):
                raise ValueError(f"{key} must be true or false, got {flag!r}")
        for key, value in changes.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "search_limit": self.search_limit,
            "strict_duplicates": self.strict_duplicates,
            "max_xml_bytes": self.max_xml_bytes,
            "require_customer_name": self.require_customer_name,
        }


@dataclass
class SimStats:
    requests_served: int = 0
    requests_by_method: Counter[str] = field(default_factory=Counter)
    faults_injected: Counter[str] = field(default_factory=Counter)
    error_answers: int = 0
    buffer_overflows: int = 0
    unexpected_errors: int = 0


class _Params:
    """Request parameters with ASP.NET binding: names case-insensitive, blanks absent."""

    def __init__(self, *sources: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, str] = {}
        for source in sources:
            for key, value in source:
                self._values.setdefault(key.lower(), value)

    def get(self, name: str) -> str | None:
        value = self._values.get(name.lower())
        if value is None or not value.strip():
            return None
        return value.strip()

    def raw(self, name: str) -> str | None:
        return self._values.get(name.lower())


Handler = Callable[[Request, bytes, _Params], Awaitable[Response]]


class _CaseInsensitivePaths:
    """IIS serves `/mits/searchprospects` as `/MITS/SearchProspects`."""

    def __init__(self, app: ASGIApp, paths: Sequence[str]) -> None:
        self.app = app
        self.paths = {p.lower(): p for p in paths}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            canonical = self.paths.get(scope["path"].lower().rstrip("/"))
            if canonical is not None and canonical != scope["path"]:
                scope = {**scope, "path": canonical}
        await self.app(scope, receive, send)


def _wants_xml(request: Request) -> bool:
    """The Accept header's preference between JSON (the default) and XML."""
    best = {"json": 0.0, "xml": 0.0}
    for position, part in enumerate(request.headers.get("accept", "").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        kind = "xml" if media in ("application/xml", "text/xml") else None
        if media in ("application/json", "text/json"):
            kind = "json"
        if kind is not None:
            # Earlier entries win ties, as a server walking the list would pick them.
            best[kind] = max(best[kind], quality - position * 1e-6)
    return best["xml"] > 0 and best["xml"] > best["json"]


def _is_loopback(request: Request) -> bool:
    """127.0.0.0/8, ::1 and IPv4-mapped loopback; no client (a unix socket) is local too.
    Starlette's TestClient calls itself "testclient": it never arrives over a network."""
    client = request.client
    if client is None or client.host in ("localhost", "testclient"):
        return True
    try:
        address = ipaddress.ip_address(client.host)
    except ValueError:
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _xml_response(root: ET.Element, status_code: int = 200) -> Response:
    return Response(mits_xml.to_bytes(root), status_code=status_code, headers=_XML_HEADERS)


class _ResmanApi:
    def __init__(self, state: ResmanState, faults: FaultSettings, settings: SimSettings) -> None:
        self.state = state
        self.faults = faults
        self.settings = settings
        self.stats = SimStats()

    # -- plumbing -----------------------------------------------------------------------

    def routes(self) -> list[Route]:
        api: list[tuple[str, str, Kind, Handler]] = [
            ("/MITS/PostLeadManagement4_0", "PostLeadManagement4_0", "mits", self.post_lead),
            ("/MITSLite/PostLeadManagement4_0", "PostLeadManagement4_0", "mits", self.post_lite),
            ("/MITS/SearchProspects", "SearchProspects", "mits", self.search_prospects),
            ("/Leasing/GetProspectSources", "GetProspectSources", "negotiated", self.sources),
            (
                "/Leasing/GetLostProspectReasons",
                "GetLostProspectReasons",
                "negotiated",
                self.lost_reasons,
            ),
            ("/Leasing/GetEmployees", "GetEmployees", "negotiated", self.employees),
            ("/Account/GetProperties", "GetProperties", "negotiated", self.properties),
            ("/Account/GetAccountID", "GetAccountID", "negotiated", self.account_id),
        ]
        routes = [
            Route(path, self._endpoint(method, kind, handler), methods=["POST"])
            for path, method, kind, handler in api
        ]
        routes += [
            Route("/_sim/faults", self._control(self.control_faults), methods=["GET", "PUT"]),
            Route("/_sim/stats", self._control(self.control_stats), methods=["GET"]),
            Route("/_sim/settings", self._control(self.control_settings), methods=["GET", "PUT"]),
        ]
        return routes

    def _endpoint(
        self, method: str, kind: Kind, handler: Handler
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            self.stats.requests_served += 1
            self.stats.requests_by_method[method] += 1
            if self.faults.latency_ms > 0:
                await asyncio.sleep(self.faults.latency_ms / 1000)
            fault = self.faults.draw()
            if fault is not None:
                self.stats.faults_injected[fault.value] += 1
                return self._fault_response(fault, method, kind, request)
            params = _Params()
            try:
                try:
                    body = await self._read_body(request)
                except _BodyTooLarge:
                    raise _Refusal(
                        f"Request exceeds the maximum size of {self._max_body_bytes()} bytes"
                    ) from None
                params = _Params(
                    self._form_pairs(request, body), request.query_params.multi_items()
                )
                return await handler(request, body, params)
            except _Refusal as refusal:
                self.stats.error_answers += 1
                return self._answer(
                    method,
                    kind,
                    request,
                    error=str(refusal),
                    account_id=params.get("AccountID"),
                    property_id=params.get("PropertyID"),
                )
            except Exception:
                self.stats.unexpected_errors += 1
                logger.exception("ResMan simulator: unexpected error in %s", method)
                return HTMLResponse(IIS_500_PAGE, status_code=500)

        return endpoint

    def _control(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not _is_loopback(request):
                return JSONResponse(
                    {"error": "simulator control routes answer loopback clients only"},
                    status_code=403,
                )
            return await handler(request)

        return endpoint

    def _max_body_bytes(self) -> int:
        # URL-encoding can triple a document; leave room for the other parameters.
        return self.settings.max_xml_bytes * 3 + 64 * 1024

    async def _read_body(self, request: Request) -> bytes:
        limit = self._max_body_bytes()
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _BodyTooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _form_pairs(request: Request, body: bytes) -> list[tuple[str, str]]:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in (_FORM_TYPE, "") or body.lstrip()[:1] == b"<":
            return []
        return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)

    def _fault_response(self, fault: Fault, method: str, kind: Kind, request: Request) -> Response:
        if fault is Fault.ERROR:
            return HTMLResponse(IIS_500_PAGE, status_code=500)
        if fault is Fault.RATE_LIMITED:
            return HTMLResponse(
                IIS_503_PAGE,
                status_code=503,
                headers={"Retry-After": str(self.faults.retry_after_s)},
            )
        if kind == "negotiated" and not _wants_xml(request):
            body = json.dumps(
                {
                    "MethodName": method,
                    "Status": "Success",
                    "AccountID": self.state.account_id,
                    "PropertyID": None,
                    "ErrorDescription": None,
                }
            ).encode()
            return Response(mits_xml.truncated(body), media_type="application/json")
        root = mits_xml.envelope(
            method,
            account_id=self.state.account_id,
            response=[mits_xml.lead_management([])],
        )
        return Response(mits_xml.truncated(mits_xml.to_bytes(root)), headers=_XML_HEADERS)

    def _answer(
        self,
        method: str,
        kind: Kind,
        request: Request,
        *,
        error: str | None = None,
        account_id: int | str | None = None,
        property_id: str | None = None,
        payload_key: str | None = None,
        rows: Sequence[Mapping[str, object]] = (),
        extra: Mapping[str, object] | None = None,
        response: ET.Element | None = None,
    ) -> Response:
        """One answer in the route's format: XML for MITS, else as Accept asks."""
        if kind == "mits" or _wants_xml(request):
            items: list[ET.Element] = []
            if error is None:
                if response is not None:
                    items.append(response)
                if payload_key is not None:
                    items.append(mits_xml.rows_element(payload_key, _singular(payload_key), rows))
                for key, value in (extra or {}).items():
                    node = ET.Element(key)
                    node.text = str(value)
                    items.append(node)
            root = mits_xml.envelope(
                method,
                error=error,
                account_id=account_id,
                property_id=property_id,
                response=items if error is None else None,
            )
            return _xml_response(root)
        account_value: int | None = None
        if isinstance(account_id, int):
            account_value = account_id
        elif isinstance(account_id, str) and account_id.strip().isdigit():
            account_value = int(account_id)
        content: dict[str, object] = {
            "MethodName": method,
            "Status": "Error" if error is not None else "Success",
            "AccountID": account_value,
            "PropertyID": property_id,
            "ErrorDescription": error,
        }
        if error is None:
            if payload_key is not None:
                content[payload_key] = list(rows)
            content.update(extra or {})
        return JSONResponse(content)

    # -- credentials and scope ----------------------------------------------------------

    def _authenticate(self, params: _Params) -> None:
        partner = params.get("IntegrationPartnerID")
        if partner is None:
            raise _Refusal(INTEGRATION_PARTNER_REQUIRED)
        key = params.get("ApiKey")
        if key is None:
            raise _Refusal(API_KEY_REQUIRED)
        if partner.casefold() != self.state.integration_partner_id.casefold() or (
            key != self.state.api_key
        ):
            raise _Refusal(INVALID_CREDENTIALS)

    def _account(self, params: _Params) -> int:
        raw = params.get("AccountID")
        if raw is None:
            raise _Refusal(ACCOUNT_REQUIRED)
        try:
            account_id = int(raw)
        except ValueError:
            raise _Refusal(ACCOUNT_NOT_INTEGER) from None
        if account_id not in self.state.account_ids:
            raise _Refusal(ACCOUNT_NOT_FOUND)
        return account_id

    def _property(self, params: _Params, account_id: int) -> Property:
        raw = params.get("PropertyID")
        if raw is None:
            raise _Refusal(PROPERTY_REQUIRED)
        prop = self.state.get_property(raw)
        if prop is None or prop.account_id != account_id:
            raise _Refusal(PROPERTY_NOT_FOUND)
        return prop

    def _scope(self, params: _Params) -> tuple[int, Property]:
        self._authenticate(params)
        account_id = self._account(params)
        return account_id, self._property(params, account_id)

    # -- MITS ---------------------------------------------------------------------------

    async def post_lead(self, request: Request, body: bytes, params: _Params) -> Response:
        account_id, prop = self._scope(params)
        xml_text = params.raw("Xml")
        if xml_text is None or not xml_text.strip():
            raise _Refusal(XML_REQUIRED)
        posted = self._parse(xml_text)
        return self._post(request, posted, account_id, prop, allow_update=True)

    async def post_lite(self, request: Request, body: bytes, params: _Params) -> Response:
        self._authenticate(params)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        xml_text: str | bytes | None = params.raw("Xml")
        if content_type != _FORM_TYPE or body.lstrip()[:1] == b"<":
            xml_text = body
        if xml_text is None or not xml_text.strip():
            raise _Refusal(XML_REQUIRED)
        posted = self._parse(xml_text)
        account_id = self.state.account_id
        named = next((p.property_id for p in posted if p.property_id), None)
        if named is not None:
            prop = self.state.get_property(named)
            if prop is None or prop.account_id != account_id:
                raise _Refusal(PROPERTY_NOT_FOUND)
        else:
            first = next(iter(self.state.properties_of(account_id)), None)
            if first is None:
                raise _Refusal(PROPERTY_NOT_FOUND)
            prop = first
        return self._post(request, posted, account_id, prop, allow_update=False)

    def _parse(self, document: str | bytes) -> list[PostedProspect]:
        try:
            return mits_xml.parse_lead_management(document, max_bytes=self.settings.max_xml_bytes)
        except MitsXmlError as exc:
            raise _Refusal(str(exc)) from None

    def _post(
        self,
        request: Request,
        posted: list[PostedProspect],
        account_id: int,
        prop: Property,
        *,
        allow_update: bool,
    ) -> Response:
        try:
            outcomes = post_prospects(
                self.state,
                prop.property_id,
                posted,
                allow_update=allow_update,
                strict_duplicates=self.settings.strict_duplicates,
                require_name=self.settings.require_customer_name,
            )
        except PostError as exc:
            raise _Refusal(str(exc)) from None
        echo = mits_xml.lead_management(
            mits_xml.prospect_element(
                self.state,
                outcome.prospect,
                persons=outcome.persons,
                events=outcome.events,
                include_preferences=item.preferences is not None,
            )
            for item, outcome in zip(posted, outcomes, strict=True)
        )
        return self._answer(
            "PostLeadManagement4_0",
            "mits",
            request,
            account_id=account_id,
            property_id=prop.property_id,
            response=echo,
        )

    async def search_prospects(self, request: Request, body: bytes, params: _Params) -> Response:
        account_id, prop = self._scope(params)
        moments: dict[str, datetime | None] = {}
        for name in ("ModifiedStartDateTime", "ModifiedEndDateTime", "StartDate", "EndDate"):
            raw = params.get(name)
            moments[name] = None
            if raw is not None:
                try:
                    moments[name] = mits_xml.parse_datetime(raw)
                except ValueError:
                    raise _Refusal(f"Invalid {name}: {raw!r}") from None
        end_date = moments["EndDate"]
        raw_end = params.get("EndDate")
        if end_date is not None and raw_end is not None and mits_xml.is_date_only(raw_end):
            end_date += timedelta(days=1) - timedelta(microseconds=1)  # the whole day
        found = self.state.search(
            prop.property_id,
            first_name=params.get("FirstName"),
            last_name=params.get("LastName"),
            email=params.get("Email"),
            phone=params.get("Phone"),
            address=params.get("Address"),
            prospect_id=params.get("ProspectID"),
            person_id=params.get("PersonID"),
            modified_start=moments["ModifiedStartDateTime"],
            modified_end=moments["ModifiedEndDateTime"],
        )
        if len(found) > self.settings.search_limit:
            self.stats.buffer_overflows += 1
            return HTMLResponse(BUFFER_OVERFLOW_PAGE, status_code=502)
        answer = mits_xml.lead_management(
            mits_xml.prospect_element(
                self.state,
                prospect,
                persons=prospect.persons,
                events=self.state.visible_events(
                    prospect, start=moments["StartDate"], end=end_date
                ),
                include_preferences=True,
            )
            for prospect in found
        )
        return self._answer(
            "SearchProspects",
            "mits",
            request,
            account_id=account_id,
            property_id=prop.property_id,
            response=answer,
        )

    # -- Leasing and Account ------------------------------------------------------------

    async def sources(self, request: Request, body: bytes, params: _Params) -> Response:
        account_id, prop = self._scope(params)
        rows = [
            {
                "ID": s.source_id,
                "Name": s.name,
                "AvailableForOnlineMarketing": s.available_for_online_marketing,
                "IsActive": s.is_active,
            }
            for s in self.state.sources(prop.property_id)
        ]
        return self._answer(
            "GetProspectSources",
            "negotiated",
            request,
            account_id=account_id,
            property_id=prop.property_id,
            payload_key="ProspectSources",
            rows=rows,
        )

    async def lost_reasons(self, request: Request, body: bytes, params: _Params) -> Response:
        """Account-wide; a PropertyID is optional but must be valid when sent."""
        self._authenticate(params)
        account_id = self._account(params)
        property_id = None
        if params.get("PropertyID") is not None:
            property_id = self._property(params, account_id).property_id
        rows = [{"ID": r.reason_id, "Name": r.name} for r in self.state.lost_reasons]
        return self._answer(
            "GetLostProspectReasons",
            "negotiated",
            request,
            account_id=account_id,
            property_id=property_id,
            payload_key="LostProspectReasons",
            rows=rows,
        )

    async def employees(self, request: Request, body: bytes, params: _Params) -> Response:
        account_id, prop = self._scope(params)
        rows = [
            {
                "ID": e.employee_id,
                "Name": e.name,
                "Email": e.email,
                "SecurityGroup": e.security_group,
            }
            for e in self.state.employees(prop.property_id)
        ]
        return self._answer(
            "GetEmployees",
            "negotiated",
            request,
            account_id=account_id,
            property_id=prop.property_id,
            payload_key="Employees",
            rows=rows,
        )

    async def properties(self, request: Request, body: bytes, params: _Params) -> Response:
        self._authenticate(params)
        account_id = self._account(params)
        rows = [
            {
                "PropertyID": p.property_id,
                "Name": p.name,
                "StreetAddress": p.street_address,
                "City": p.city,
                "State": p.state,
                "Zip": p.zip,
                "Phone": p.phone,
                "Email": p.email,
                "Manager": p.manager,
            }
            for p in self.state.properties_of(account_id)
        ]
        return self._answer(
            "GetProperties",
            "negotiated",
            request,
            account_id=account_id,
            payload_key="Properties",
            rows=rows,
        )

    async def account_id(self, request: Request, body: bytes, params: _Params) -> Response:
        self._authenticate(params)
        subdomain = params.get("Subdomain")
        if subdomain is None:
            raise _Refusal(SUBDOMAIN_REQUIRED)
        if subdomain.casefold() != self.state.subdomain.casefold():
            raise _Refusal(SUBDOMAIN_NOT_FOUND)
        return self._answer(
            "GetAccountID",
            "negotiated",
            request,
            account_id=self.state.account_id,
            extra={"CompanyName": self.state.company_name, "Subdomain": self.state.subdomain},
        )

    # -- control ------------------------------------------------------------------------

    async def control_faults(self, request: Request) -> Response:
        if request.method == "PUT":
            changes = await _json_object(request)
            if isinstance(changes, Response):
                return changes
            try:
                self.faults.update(changes)
            except FaultSettingsError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(self.faults.as_dict())

    async def control_stats(self, request: Request) -> Response:
        return JSONResponse(
            {
                **self.state.counts(),
                "requests_served": self.stats.requests_served,
                "requests_by_method": dict(self.stats.requests_by_method),
                "faults_injected": {
                    f.value: self.stats.faults_injected.get(f.value, 0) for f in Fault
                },
                "error_answers": self.stats.error_answers,
                "buffer_overflows": self.stats.buffer_overflows,
                "unexpected_errors": self.stats.unexpected_errors,
            }
        )

    async def control_settings(self, request: Request) -> Response:
        if request.method == "PUT":
            changes = await _json_object(request)
            if isinstance(changes, Response):
                return changes
            try:
                self.settings.update(changes)
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(self.settings.as_dict())


async def _json_object(request: Request) -> dict[str, Any] | Response:
    try:
        value = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
    if not isinstance(value, dict):
        return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
    return value


def _singular(container: str) -> str:
    return {"Properties": "Property", "Employees": "Employee"}.get(container, container[:-1])


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
    """The simulator's ASGI app; serve it with `sim.server.serve_asgi` or httpx's ASGITransport.

    `app.state.resman`, `.faults`, `.sim_settings` and `.sim_stats` expose the live objects.
    """
    settings = SimSettings(
        search_limit=search_limit,
        strict_duplicates=strict_duplicates,
        max_xml_bytes=max_xml_bytes,
    )
    settings.update({})
    api = _ResmanApi(state, faults, settings)
    routes = api.routes()
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(DateHeader, now=state.now),
            Middleware(_CaseInsensitivePaths, paths=[r.path for r in routes]),
        ],
        exception_handlers={Exception: _unexpected},
    )
    app.state.resman = state
    app.state.faults = faults
    app.state.sim_settings = settings
    app.state.sim_stats = api.stats
    app.state.sends_date = True  # `serve_asgi` leaves `Date` to `DateHeader`
    return app
