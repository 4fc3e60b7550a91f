"""DomIQ's v1 REST API (`docs/domiq-api.md`) as typed async calls.

Every failure leaves as an `errors.SyncError` subclass picked from the status code and
the contract's error body, so the engine never looks at HTTP. Retrying follows the
route's safety: reads, the idempotent create (`Idempotency-Key`), `resman-sync` (a PUT)
and `qualify` (idempotent) are retried on transient errors; a PATCH is retried too, and
a 412 after an answer was lost is checked against the lead before it is reported, so
our own first attempt is never mistaken for someone else's change.

The bearer token lives in the pooled client's default headers only: it is never logged,
never in a URL and never in an error message.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr
from pydantic_core import to_jsonable_python

from leadsync_tui.clients import _http
from leadsync_tui.clients.domiq_answers import (
    LeadPage,
    decode_json,
    error_for,
    json_object,
    lead_from,
    messages_from,
    page_from,
)
from leadsync_tui.clients.errors import (
    SyncError,
    VersionConflict,
)
from leadsync_tui.clients.fence import check_write_fence
from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.config import DomiqSettings
from leadsync_tui.models import Lead, LeadData, SyncStatus, TranscriptMessage, format_utc

T = TypeVar("T")

MAX_PAGE_SIZE = 500


class DomiqClient(_http.ClosingClient):
    """One pooled connection to DomIQ; use as `async with DomiqClient(...) as domiq:`."""

    def __init__(
        self,
        base_url: str,
        token: SecretStr,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits | None = None,
        max_response_bytes: int = _http.DEFAULT_MAX_RESPONSE_BYTES,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._token = token
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._max_bytes = max_response_bytes
        self._http = _http.new_client(
            base_url,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token.get_secret_value()}",
                "Accept": "application/json",
            },
            transport=transport,
            limits=limits,
            verify=verify,
        )
        self.base_url = base_url.rstrip("/")

    @classmethod
    def from_settings(
        cls,
        settings: DomiqSettings,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> DomiqClient:
        """From `[domiq]`; `timeout` is `[sync] request_timeout`, `verify` the TLS context
        (`config.tls_context(settings)`, which adds `[tls] ca_bundle`)."""
        if settings.base_url is None or settings.token is None:
            raise ValueError("[domiq] base_url and token are both required")
        return cls(
            settings.base_url,
            settings.token,
            timeout=timeout,
            retry=retry,
            transport=transport,
            verify=verify,
        )

    def __repr__(self) -> str:
        return f"DomiqClient({self.base_url!r})"

    # ------------------------------------------------------------------ routes

    async def health(self) -> bool:
        """`GET /v1/health`, one attempt: True when DomIQ says `ok`."""
        body = await self._call(
            "GET", "/v1/health", parse=json_object, retry=RetryPolicy.no_retries()
        )
        return body.get("status") == "ok"

    async def list_leads(
        self,
        updated_since: datetime | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> LeadPage:
        """One page ordered by (updated_at, conversation_id)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
        params: dict[str, str] = {"limit": str(limit)}
        if updated_since is not None:
            params["updated_since"] = format_utc(updated_since)
        if cursor:
            params["cursor"] = cursor
        return await self._call("GET", "/v1/leads", params=params, parse=page_from)

    async def iter_leads(
        self, updated_since: datetime | None = None, *, page_size: int = 100
    ) -> AsyncIterator[Lead]:
        """Every lead (updated at or after `updated_since`), page after page."""
        cursor: str | None = None
        while True:
            page = await self.list_leads(updated_since, cursor, page_size)
            for lead in page.data:
                yield lead
            if page.next_cursor is None or not page.data:
                return
            cursor = page.next_cursor

    async def get_lead(self, cid: str) -> Lead:
        return await self._call("GET", _lead_path(cid), parse=lead_from)

    async def create_lead(self, data: LeadData, idempotency_key: str) -> Lead:
        """Create once per key: a retry (ours or the engine's) returns the same lead.

        The same key with a different body is `DuplicateRecord` (409).
        """
        if not idempotency_key.strip():
            raise ValueError("idempotency_key must not be blank")
        return await self._call(
            "POST",
            "/v1/leads",
            json_body=data.model_dump(mode="json"),
            headers={"Idempotency-Key": idempotency_key},
            parse=lead_from,
        )

    async def patch_lead(self, cid: str, changes: Mapping[str, Any], if_match: int) -> Lead:
        """Change fields of the lead at version `if_match`; 412 -> `VersionConflict`.

        If an attempt's answer was lost and the retry meets 412, the lead is read: when it
        is exactly one version on and holds our values, that was our write and it is
        returned; otherwise the conflict carries the current version.
        """
        body = to_jsonable_python(dict(changes))
        attempts = 0

        async def attempt() -> Lead:
            nonlocal attempts
            attempts += 1
            return await self._send(
                "PATCH",
                _lead_path(cid),
                json_body=body,
                headers={"If-Match": str(if_match)},
                parse=lead_from,
            )

        try:
            return await self._retry.run(attempt)
        except VersionConflict as conflict:
            if attempts == 1 and conflict.current_version is not None:
                raise
            current = await self.get_lead(cid)
            if attempts > 1 and current.version == if_match + 1 and _holds(current, body):
                return current
            raise VersionConflict(conflict.message, current_version=current.version) from None

    async def report_sync(
        self,
        cid: str,
        status: SyncStatus,
        prospect_id: str | None,
        last_sync_at: datetime | None,
    ) -> Lead:
        """`PUT .../resman-sync`: tell DomIQ where the lead stands in ResMan (no version bump)."""
        body = {
            "resman_sync_status": SyncStatus(status).value,
            "resman_prospect_id": prospect_id,
            "last_sync_at": format_utc(last_sync_at) if last_sync_at is not None else None,
        }
        return await self._call(
            "PUT", _lead_path(cid) + "/resman-sync", json_body=body, parse=lead_from
        )

    async def transcript(self, cid: str) -> list[TranscriptMessage]:
        path = f"/v1/conversations/{_segment(cid)}/messages"
        return await self._call("GET", path, parse=messages_from)

    async def qualify(self, cid: str) -> Lead:
        """Mark the conversation qualified (creates the lead when there is none)."""
        return await self._call(
            "POST", f"/v1/conversations/{_segment(cid)}/qualify", parse=lead_from
        )

    # ------------------------------------------------------------------ plumbing

    async def _call(
        self,
        method: str,
        path: str,
        *,
        parse: Callable[[Any, str], T],
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> T:
        async def attempt() -> T:
            return await self._send(
                method, path, parse=parse, params=params, json_body=json_body, headers=headers
            )

        return await (retry or self._retry).run(attempt)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        parse: Callable[[Any, str], T],
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """One attempt: send, map the status to a typed error, decode and check the body.
        A write (any method but GET) passes the write fence first, each attempt."""
        if method != "GET":
            await check_write_fence()
        what = f"DomIQ {method} {path}"
        content = None
        send_headers = dict(headers or {})
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
            send_headers["Content-Type"] = "application/json"
        request = self._http.build_request(
            method, path, params=params, content=content, headers=send_headers
        )
        try:
            answer = await _http.fetch(
                self._http, request, what=what, deadline=self._timeout, max_bytes=self._max_bytes
            )
            if answer.status_code >= 300:
                raise error_for(answer, what)
            return parse(decode_json(answer.body, what), what)
        except SyncError as exc:
            error = _http.redact(exc, self._token.get_secret_value())
            _http.log_failure(error)
            raise error from None


def _holds(lead: Lead, changes: Mapping[str, Any]) -> bool:
    """Whether `lead` already carries every value of a PATCH body (JSON-compared)."""
    current = lead.model_dump(mode="json")
    return all(name in current and current[name] == value for name, value in changes.items())


def _segment(value: str) -> str:
    if not value:
        raise ValueError("an id must not be empty")
    return quote(value, safe="")


def _lead_path(cid: str) -> str:
    return f"/v1/leads/{_segment(cid)}"


__all__ = ["DomiqClient", "LeadPage", "error_for"]
