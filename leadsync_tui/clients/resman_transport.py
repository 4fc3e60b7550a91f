"""How a call reaches ResMan: one pooled connection, the credentials added to the form
body in one frame only, retries, the write fence, the `Date` clock, and the answer
parsed or turned into a typed error with the key scrubbed.

`ResmanClient` (`resman.py`) builds on it with one method per API call.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from typing import Any, Self, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from leadsync_tui.clients import _http, mits
from leadsync_tui.clients.errors import (
    MalformedResponse,
    SyncError,
)
from leadsync_tui.clients.fence import check_write_fence
from leadsync_tui.clients.resman_answers import http_error, json_rows, method_name
from leadsync_tui.clients.resman_clock import ResmanClock
from leadsync_tui.clients.resman_lists import ListRecord
from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.config import ResmanSettings

T = TypeVar("T")

POST_LEAD = "/MITS/PostLeadManagement4_0"
SEARCH_PROSPECTS = "/MITS/SearchProspects"
GET_SOURCES = "/Leasing/GetProspectSources"
GET_EMPLOYEES = "/Leasing/GetEmployees"
GET_LOST_REASONS = "/Leasing/GetLostProspectReasons"
GET_PROPERTIES = "/Account/GetProperties"


class ResmanTransport(_http.ClosingClient):
    """One pooled connection to ResMan and the plumbing every call goes through."""

    def __init__(
        self,
        base_url: str,
        partner_id: str,
        api_key: SecretStr,
        account_id: int,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits | None = None,
        max_response_bytes: int = mits.MAX_RESPONSE_BYTES,
        verify: ssl.SSLContext | bool = True,
        clock: ResmanClock | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock = clock or ResmanClock()
        """ResMan's time, from the `Date` of each answer (the poll cursor runs on it)."""
        self.account_id = account_id
        self._partner_id = partner_id
        self._api_key = api_key
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._max_bytes = max_response_bytes
        self._http = _http.new_client(
            base_url,
            timeout=timeout,
            headers={},
            transport=transport,
            limits=limits,
            verify=verify,
        )

    @classmethod
    def from_settings(
        cls,
        settings: ResmanSettings,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> Self:
        """From `[resman]`; `timeout` is `[sync] request_timeout`, `verify` the TLS context
        (`config.tls_context(settings)`, which adds `[tls] ca_bundle`)."""
        if (
            settings.base_url is None
            or settings.integration_partner_id is None
            or settings.api_key is None
            or settings.account_id is None
        ):
            raise ValueError(
                "[resman] base_url, integration_partner_id, api_key and account_id are required"
            )
        return cls(
            settings.base_url,
            settings.integration_partner_id,
            settings.api_key,
            settings.account_id,
            timeout=timeout,
            retry=retry,
            transport=transport,
            verify=verify,
        )

    def __repr__(self) -> str:
        return f"ResmanClient({self.base_url!r}, account_id={self.account_id})"

    # ------------------------------------------------------------------ plumbing

    def _fields(self, property_id: str | None, **params: str) -> dict[str, str]:
        """A call's form fields without the credentials (`_request` adds them), so that
        no frame down the call holds the API key: a crash traceback printed with its
        locals (Textual's) shows every dict in every frame."""
        fields = {"AccountID": str(self.account_id)}
        if property_id is not None:
            if not property_id.strip():
                raise ValueError("property_id must not be blank")
            fields["PropertyID"] = property_id
        fields.update(params)
        return fields

    def _request(self, path: str, fields: Mapping[str, str], accept: str) -> httpx.Request:
        """The POST with the credentials added to `fields`, form-encoded. The only frame
        that ever holds the API key in clear; it returns before anything can fail on
        the network (a `Request`'s repr shows neither its body nor its headers)."""
        return self._http.build_request(
            "POST",
            path,
            data={
                "IntegrationPartnerID": self._partner_id,
                "ApiKey": self._api_key.get_secret_value(),
                **fields,
            },
            headers={"Accept": accept},
        )

    async def _rows(
        self, path: str, fields: dict[str, str], key: str, record: type[ListRecord]
    ) -> list[Any]:
        def parse(body: bytes) -> list[Any]:
            what = method_name(path)
            try:
                return [record.model_validate(row) for row in json_rows(body, what, key)]
            except ValidationError as exc:
                raise MalformedResponse(
                    f"ResMan {what}: unexpected row shape ({exc.errors()[0]['msg']})",
                    retryable=False,
                ) from None

        return await self._call(path, fields, parse=parse, xml=False)

    async def _call(
        self,
        path: str,
        fields: dict[str, str],
        *,
        parse: Callable[[bytes], T],
        xml: bool,
        retry_if: Callable[[BaseException], bool] | None = None,
    ) -> T:
        async def attempt() -> T:
            return await self._send(path, fields, parse=parse, xml=xml)

        return await self._retry.run(attempt, retry_if=retry_if)

    async def _send(
        self, path: str, fields: dict[str, str], *, parse: Callable[[bytes], T], xml: bool
    ) -> T:
        if path == POST_LEAD:  # the one write route: it passes the write fence first
            await check_write_fence()
        what = f"ResMan {method_name(path)}"
        request = self._request(path, fields, "application/xml" if xml else "application/json")
        try:
            answer = await _http.fetch(
                self._http, request, what=what, deadline=self._timeout, max_bytes=self._max_bytes
            )
            self.clock.observe(answer.headers.get("date"))
            error = http_error(answer, what)
            if error is not None:
                raise error
            return parse(answer.body)
        except SyncError as exc:
            error = _http.redact(exc, self._api_key.get_secret_value())
            _http.log_failure(error)
            raise error from None
