"""The simulated ResMan's control side: its run-time knobs, its counters and `/_sim/*`.

Tests and the demo turn faults and limits on and read what was served; none of it is
ResMan's API, so it answers JSON to loopback clients only and never draws a fault.
"""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadsync_tui.sim.faults import Fault, FaultSettings, FaultSettingsError
from leadsync_tui.sim.resman import mits_xml
from leadsync_tui.sim.resman.state import ResmanState


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


def is_loopback(request: Request) -> bool:
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


def control_routes(
    state: ResmanState, faults: FaultSettings, settings: SimSettings, stats: SimStats
) -> list[Route]:
    """`/_sim/faults`, `/_sim/stats` and `/_sim/settings`, refused to non-loopback clients."""

    async def control_faults(request: Request) -> Response:
        if request.method == "PUT":
            changes = await json_object(request)
            if isinstance(changes, Response):
                return changes
            try:
                faults.update(changes)
            except FaultSettingsError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(faults.as_dict())

    async def control_stats(request: Request) -> Response:
        return JSONResponse(
            {
                **state.counts(),
                "requests_served": stats.requests_served,
                "requests_by_method": dict(stats.requests_by_method),
                "faults_injected": {f.value: stats.faults_injected.get(f.value, 0) for f in Fault},
                "error_answers": stats.error_answers,
                "buffer_overflows": stats.buffer_overflows,
                "unexpected_errors": stats.unexpected_errors,
            }
        )

    async def control_settings(request: Request) -> Response:
        if request.method == "PUT":
            changes = await json_object(request)
            if isinstance(changes, Response):
                return changes
            try:
                settings.update(changes)
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(settings.as_dict())

    return [
        Route("/_sim/faults", _loopback_only(control_faults), methods=["GET", "PUT"]),
        Route("/_sim/stats", _loopback_only(control_stats), methods=["GET"]),
        Route("/_sim/settings", _loopback_only(control_settings), methods=["GET", "PUT"]),
    ]


def _loopback_only(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if not is_loopback(request):
            return JSONResponse(
                {"error": "simulator control routes answer loopback clients only"},
                status_code=403,
            )
        return await handler(request)

    return endpoint


async def json_object(request: Request) -> dict[str, Any] | Response:
    try:
        value = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
    if not isinstance(value, dict):
        return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
    return value
