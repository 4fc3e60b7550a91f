"""Bearer-token checks shared by the REST routes and the live feed."""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers


def bearer_token(headers: Headers) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_ok(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so the simulator does not teach bad habits."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
