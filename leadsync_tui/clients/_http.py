"""HTTP plumbing shared by the DomIQ and ResMan clients.

One long-lived `httpx.AsyncClient` per upstream with explicit pool limits and timeouts
(perf.md section 5); every call runs under an overall deadline (httpx's timeouts are per
network operation, and do not apply at all over an in-process transport) and reads its
body under a size cap, so a slow drip or a huge answer cannot hang or bloat the worker.
Transport failures leave here as typed errors, with messages that never carry a header,
a form body or a secret.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from leadsync_tui.async_closing import AsyncClosing
from leadsync_tui.clients.errors import (
    CertificateRejected,
    MalformedResponse,
    SyncError,
    TransientError,
    UnexpectedRedirect,
    certificate_problem,
)

logger = logging.getLogger("leadsync_tui.clients")

DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024
"""Largest body read from either upstream; DomIQ pages of 500 leads are well below it."""

DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30)
"""Pool bounds: the engine's write concurrency (<= 64) queues on these, not on sockets."""

USER_AGENT = "leadsync/0.1"


class ClosingClient(AsyncClosing):
    """What both upstream clients share: `async with` closes their pooled connections."""

    _http: httpx.AsyncClient

    async def aclose(self) -> None:
        await self._http.aclose()


class NotDelivered(TransientError):
    """The request never reached the server (connection refused, DNS, connect or pool
    timeout): resending is safe even for a write that is not idempotent."""


class AnswerTimedOut(TransientError):
    """No complete answer within the call's deadline (a stalled or slow-drip server)."""


@dataclass(frozen=True)
class Answer:
    """A fully read response: status, headers and the (capped) body."""

    status_code: int
    headers: httpx.Headers
    body: bytes
    reason: str


def new_client(
    base_url: str,
    *,
    timeout: float,
    headers: dict[str, str],
    transport: httpx.AsyncBaseTransport | None,
    limits: httpx.Limits | None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """The one pooled client of an upstream.

    `verify` is how `https://` servers are checked: the settings' context
    (`config.tls_context`: public CAs plus `[tls] ca_bundle`); True is httpx's default
    (public CAs, hostname checked).
    """
    if timeout <= 0:
        raise ValueError("timeout must be > 0 seconds")
    if verify is False and base_url.startswith("https://"):
        logger.warning(
            "TLS certificate checks are OFF for %s: anyone on the path can pose as it; "
            "pass the TLS context (trust a private CA with [tls] ca_bundle) instead",
            base_url.rstrip("/"),
        )
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=limits or DEFAULT_LIMITS,
        headers={"User-Agent": USER_AGENT, **headers},
        transport=transport,
        follow_redirects=False,
        verify=verify,
    )


async def fetch(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    what: str,
    deadline: float,
    max_bytes: int,
) -> Answer:
    """Send `request` and read its body within `deadline` seconds and `max_bytes`."""
    try:
        async with asyncio.timeout(deadline):
            response = await client.send(request, stream=True)
            try:
                body = await _read_capped(response, what, max_bytes)
            finally:
                await response.aclose()
    except TimeoutError:
        raise AnswerTimedOut(f"{what}: no complete answer within {deadline:g} s") from None
    except httpx.ConnectError as exc:
        problem = certificate_problem(exc)
        if problem is not None:
            raise CertificateRejected(f"{what}: {problem}") from None
        raise NotDelivered(f"{what}: could not connect ({type(exc).__name__}: {exc})") from None
    except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise NotDelivered(f"{what}: could not connect ({type(exc).__name__}: {exc})") from None
    except httpx.TimeoutException as exc:
        raise TransientError(f"{what}: timed out ({type(exc).__name__})") from None
    except httpx.DecodingError:
        raise MalformedResponse(f"{what}: the answer's content encoding is corrupt") from None
    except httpx.TransportError as exc:
        raise TransientError(f"{what}: connection failed ({type(exc).__name__}: {exc})") from None
    return Answer(response.status_code, response.headers, body, response.reason_phrase)


async def _read_capped(response: httpx.Response, what: str, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(what, max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(what, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(what: str, max_bytes: int) -> MalformedResponse:
    # The same request would be just as large next time: not retryable.
    return MalformedResponse(f"{what}: answer exceeds {max_bytes} bytes", retryable=False)


def load_json(body: bytes | str, what: str) -> Any:
    """Parse a JSON answer; anything unreadable (bad syntax or encoding, nesting too deep
    for the parser) is `MalformedResponse`, never another exception."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise MalformedResponse(f"{what}: the answer is not valid JSON ({reason})") from None


def is_refusal(error: SyncError) -> bool:
    """Whether `error` refuses an answer as unreadable, unsafe, too large or too slow,
    or the server itself as unverified (as opposed to an answer that was read and says no)."""
    return isinstance(
        error, MalformedResponse | AnswerTimedOut | UnexpectedRedirect | CertificateRejected
    )


def log_failure(error: SyncError) -> None:
    """Log one failed attempt once, with its reason (call after `redact`): a refused
    answer at WARNING, an answer that says no (4xx/5xx, `Status=Error`) at INFO. The
    retry policy sees `error.logged` and does not repeat the reason."""
    if error.logged:
        return
    error.logged = True
    kind = "retryable" if error.retryable else "permanent"
    if is_refusal(error):
        logger.warning("refused an answer: %s (%s, %s)", error.message, type(error).__name__, kind)
    else:
        logger.info("failed: %s (%s, %s)", error.message, type(error).__name__, kind)


def redirect_error(answer: Answer, what: str) -> UnexpectedRedirect:
    """A 3xx: never followed; the message says where it pointed (no query string)."""
    location = answer.headers.get("location", "")
    where = snippet(location.split("?", 1)[0].encode(), 120) or "nowhere"
    return UnexpectedRedirect(
        f"{what}: HTTP {answer.status_code} redirect to {where}; redirects are not "
        "followed: check the base_url setting"
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; None when absent or bad."""
    if value is None or not value.strip():
        return None
    raw = value.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def snippet(body: bytes, limit: int = 200) -> str:
    """A short, printable piece of a body for an error message."""
    text = body[: limit * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def redact(error: SyncError, secret: str) -> SyncError:
    """Remove `secret` from an error's message (and ResMan description) in place.

    Defence in depth: our own messages never include secrets, but a remote error text
    might echo one back.
    """
    if not secret or secret not in str(error):
        return error
    for name in ("message", "error_description"):
        value = getattr(error, name, None)
        if isinstance(value, str):
            setattr(error, name, value.replace(secret, "***"))
    error.args = tuple(a.replace(secret, "***") if isinstance(a, str) else a for a in error.args)
    return error
