"""The DomIQ simulator's HTTP vocabulary: JSON bodies in, contract-shaped answers out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadsync_tui.sim.domiq.errors import BadRequest, DomiqError


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The contract's error body: `{"error": {"code": ..., "message": ...}}`."""
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def error_for(exc: DomiqError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or 400 saying what is wrong with it."""
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("the request body must be a JSON object; it is empty")
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a JSON object, not {type(body).__name__}")
    return body


def truncated_json(body: bytes) -> Response:
    """A 200 `application/json` whose body stops halfway: the malformed-body fault."""
    cut = body[: max(1, len(body) // 2)]
    return Response(cut, status_code=200, media_type="application/json")
