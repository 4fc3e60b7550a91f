"""How the simulated ResMan reads a request and shapes an answer, as ASP.NET and IIS do.

Parameter binding (case-insensitive names, blanks absent), path case, Accept
negotiation between JSON and XML, the envelope of an answer or an error, IIS's error
pages and a fault's cut-off body: the same for every route, so kept out of the routes.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Literal
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from leadsync_tui.sim.faults import Fault
from leadsync_tui.sim.resman import mits_answers

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

XML_HEADERS = {"content-type": "application/xml; charset=utf-8"}
FORM_TYPE = "application/x-www-form-urlencoded"

Kind = Literal["mits", "negotiated"]


class Refusal(Exception):
    """An application error: answered as HTTP 200 with Status=Error."""


class BodyTooLarge(Exception):
    pass


class Params:
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


Handler = Callable[[Request, bytes, Params], Awaitable[Response]]


class CaseInsensitivePaths:
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


def wants_xml(request: Request) -> bool:
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


def xml_response(root: ET.Element, status_code: int = 200) -> Response:
    return Response(mits_answers.to_bytes(root), status_code=status_code, headers=XML_HEADERS)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (`BodyTooLarge`) past `limit` bytes declared or streamed."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def form_pairs(request: Request, body: bytes) -> list[tuple[str, str]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (FORM_TYPE, "") or body.lstrip()[:1] == b"<":
        return []
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def fault_response(
    fault: Fault, method: str, kind: Kind, request: Request, *, account_id: int, retry_after_s: int
) -> Response:
    """What a faulted request gets: IIS's 500 or 503 page, or the usual body cut short."""
    if fault is Fault.ERROR:
        return HTMLResponse(IIS_500_PAGE, status_code=500)
    if fault is Fault.RATE_LIMITED:
        return HTMLResponse(
            IIS_503_PAGE,
            status_code=503,
            headers={"Retry-After": str(retry_after_s)},
        )
    if kind == "negotiated" and not wants_xml(request):
        body = json.dumps(
            {
                "MethodName": method,
                "Status": "Success",
                "AccountID": account_id,
                "PropertyID": None,
                "ErrorDescription": None,
            }
        ).encode()
        return Response(mits_answers.truncated(body), media_type="application/json")
    root = mits_answers.envelope(
        method,
        account_id=account_id,
        response=[mits_answers.lead_management([])],
    )
    return Response(mits_answers.truncated(mits_answers.to_bytes(root)), headers=XML_HEADERS)


def answer(
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
    if kind == "mits" or wants_xml(request):
        items: list[ET.Element] = []
        if error is None:
            if response is not None:
                items.append(response)
            if payload_key is not None:
                items.append(mits_answers.rows_element(payload_key, singular(payload_key), rows))
            for key, value in (extra or {}).items():
                node = ET.Element(key)
                node.text = str(value)
                items.append(node)
        root = mits_answers.envelope(
            method,
            error=error,
            account_id=account_id,
            property_id=property_id,
            response=items if error is None else None,
        )
        return xml_response(root)
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


def singular(container: str) -> str:
    return {"Properties": "Property", "Employees": "Employee"}.get(container, container[:-1])
