"""ResMan's MITS 4.0 / Leasing / Account API as typed async calls (`docs/resman-mits.md`).

ResMan is a form-POST API whose answers need care (sections 3, 7, 10 of the doc):
- HTTP 200 does not mean success: `Status=Error` becomes the `RemoteRejected` subclass
  that fits `ErrorDescription` (parsing lives in `mits.py`, and here for JSON routes).
- SearchProspects has no paging; too wide a Modified window answers HTTP 502 "buffer
  overflow", so `search_modified` halves the window until each half fits, and
  de-duplicates by ProspectID (the Modified filter ORs prospect and person stamps).
- Its Modified window is ResMan's time, not ours: every answer's `Date` feeds `clock`
  (`resman_clock`), and an open window reports the ResMan time it is complete up to.
- No upsert: `find_matches` searches by email, then phone, then name before a create.
- A create post is not idempotent. It is resent only when the request surely had no
  effect (never delivered, 503 at the door, or a `Status=Error` answer); when its answer
  is lost otherwise it fails as `PostOutcomeUnknown`, and the engine looks the prospect
  up before posting again. Updates (they name a ProspectID) are retried normally.
- Creates need a per-property source and agent: `PropertyMapping` resolves them from
  `[resman.properties]` and names the exact config key when one is missing.

The API key goes in the form body only (never a URL), is added to it by `_request` alone
(no other frame of a call holds it, so a traceback printed with locals cannot show it),
and is scrubbed from any error.
"""

from __future__ import annotations

import json
import re
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import defusedxml.ElementTree as SafeET
import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from leadsync_tui.clients import _http, mits
from leadsync_tui.clients._http import NotDelivered
from leadsync_tui.clients.errors import (
    AuthError,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    SearchTooBroad,
    SyncError,
    TransientError,
    ValidationFailed,
    rejected,
)
from leadsync_tui.clients.fence import check_write_fence
from leadsync_tui.clients.mits import PostResult, Prospect
from leadsync_tui.clients.resman_clock import ResmanClock
from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.config import ResmanProperty, ResmanSettings

T = TypeVar("T")

POST_LEAD = "/MITS/PostLeadManagement4_0"
SEARCH_PROSPECTS = "/MITS/SearchProspects"
GET_SOURCES = "/Leasing/GetProspectSources"
GET_EMPLOYEES = "/Leasing/GetEmployees"
GET_LOST_REASONS = "/Leasing/GetLostProspectReasons"
GET_PROPERTIES = "/Account/GetProperties"

DEFAULT_MIN_WINDOW = timedelta(seconds=60)
"""DWELL halves the window down to 60 s; below that a 502 is reported, not split."""

_TITLE = re.compile(rb"<title>\s*(.*?)\s*</title>", re.IGNORECASE | re.DOTALL)
_NON_DIGITS = re.compile(r"\D")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class PostOutcomeUnknown(TransientError):
    """A create post whose answer was lost (timeout, 5xx, cut-off or id-less answer):
    ResMan may have made the prospect. Look it up (`find_matches`) before posting
    again, or a retry would make a second guest card."""


# --------------------------------------------------------------------------- records


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class ProspectSource(_Record):
    """`Leasing/GetProspectSources`: a TransactionSource linked to one property."""

    id: str = Field(alias="ID")
    name: str = Field(default="", alias="Name")
    is_active: bool | None = Field(default=None, alias="IsActive")
    available_for_online_marketing: bool | None = Field(
        default=None, alias="AvailableForOnlineMarketing"
    )


class Employee(_Record):
    """`Leasing/GetEmployees`: a possible Agent/AgentID (ResMan may list one person twice)."""

    id: str = Field(alias="ID")
    name: str = Field(default="", alias="Name")
    email: str | None = Field(default=None, alias="Email")
    security_group: str | None = Field(default=None, alias="SecurityGroup")


class LostReason(_Record):
    """`Leasing/GetLostProspectReasons`: the TransactionSource of a Cancel event."""

    id: str = Field(alias="ID")
    name: str = Field(default="", alias="Name")


class PropertyInfo(_Record):
    """`Account/GetProperties`: one property of the account."""

    property_id: str = Field(alias="PropertyID")
    name: str = Field(default="", alias="Name")
    city: str | None = Field(default=None, alias="City")
    state: str | None = Field(default=None, alias="State")


# --------------------------------------------------------------------------- mapping


@dataclass(frozen=True)
class PropertyTarget:
    """Where and how a DomIQ property's new leads go in ResMan."""

    domiq_property_id: str
    property_id: str
    source_id: str
    agent_id: str


class MappingMissing(ValidationFailed):
    """`[resman.properties]` lacks what a call needs; `field` is the config key to set."""


def _table(domiq_property_id: str) -> str:
    key = domiq_property_id
    quoted = key if _BARE_KEY.match(key) else json.dumps(key)
    return f"[resman.properties.{quoted}]"


class PropertyMapping:
    """DomIQ property id -> ResMan PropertyID, default source and agent (from config)."""

    def __init__(self, properties: Mapping[str, ResmanProperty]) -> None:
        self._properties = dict(properties)

    @classmethod
    def from_settings(cls, settings: ResmanSettings) -> PropertyMapping:
        return cls(settings.properties)

    @property
    def domiq_property_ids(self) -> list[str]:
        return list(self._properties)

    def property_id(self, domiq_property_id: str) -> str:
        """The ResMan PropertyID (enough for searches and updates)."""
        entry = self._properties.get(domiq_property_id)
        if entry is None:
            table = _table(domiq_property_id)
            raise MappingMissing(
                f"no ResMan property for DomIQ property {domiq_property_id}: add {table} "
                "with property_id (the ResMan PropertyID), source_id and agent_id",
                field=f"resman.properties.{domiq_property_id}.property_id",
            )
        return entry.property_id

    def for_create(self, domiq_property_id: str) -> PropertyTarget:
        """PropertyID, source and agent for a new prospect, or `MappingMissing` naming
        exactly which keys to set."""
        property_id = self.property_id(domiq_property_id)
        entry = self._properties[domiq_property_id]
        missing = [
            (key, label)
            for key, label, value in (
                ("source_id", "prospect source", entry.source_id),
                ("agent_id", "agent", entry.agent_id),
            )
            if not (value or "").strip()
        ]
        if missing:
            what = " and no ResMan ".join(label for _, label in missing)
            keys = " and ".join(key for key, _ in missing)
            raise MappingMissing(
                f"no ResMan {what} for property {domiq_property_id}: "
                f"set {_table(domiq_property_id)} {keys}",
                field=f"resman.properties.{domiq_property_id}.{missing[0][0]}",
            )
        assert entry.source_id is not None and entry.agent_id is not None
        return PropertyTarget(domiq_property_id, property_id, entry.source_id, entry.agent_id)

    def domiq_property_id(self, resman_property_id: str) -> str | None:
        """The DomIQ property a ResMan PropertyID belongs to (GUIDs compare any case)."""
        wanted = resman_property_id.strip().strip("{}").lower()
        for domiq_id, entry in self._properties.items():
            if entry.property_id.strip().strip("{}").lower() == wanted:
                return domiq_id
        return None


@dataclass(frozen=True)
class ModifiedWindow:
    """What `search_modified_through` read: the prospects, and the ResMan time they are
    complete up to (None: ResMan sent no `Date`, so nobody knows its time)."""

    prospects: list[Prospect]
    through: datetime | None


# --------------------------------------------------------------------------- client


class ResmanClient:
    """One pooled connection to ResMan; use as `async with ResmanClient(...) as resman:`."""

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
    ) -> ResmanClient:
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

    async def __aenter__(self) -> ResmanClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ MITS

    async def post_lead(self, property_id: str, xml: str) -> PostResult:
        """PostLeadManagement4_0 with a document from `mits.build_*`; the ids it answers.

        Creates (no ProspectID identification) fail as `PostOutcomeUnknown` when their
        answer is lost; see the module docstring.
        """
        creates = not names_prospect(xml)
        fields = self._fields(property_id, Xml=xml)
        retry_if = _safe_to_resend if creates else None
        try:
            return await self._call(
                POST_LEAD, fields, parse=mits.parse_post_response, xml=True, retry_if=retry_if
            )
        except SyncError as exc:
            if creates and exc.retryable and not _safe_to_resend(exc):
                raise PostOutcomeUnknown(
                    f"ResMan create post for property {property_id}: answer lost "
                    f"({exc.message}); the prospect may exist: look it up before posting again"
                ) from exc
            raise

    async def search_prospects(
        self,
        property_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        address: str | None = None,
        prospect_id: str | None = None,
        person_id: str | None = None,
        modified_start: datetime | None = None,
        modified_end: datetime | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> list[Prospect]:
        """SearchProspects with ANDed filters. `phone` is compared digit for digit with
        the stored digits: pass digits (see `find_matches`). A too-wide match raises
        `SearchTooBroad` (not retried)."""
        filters = {
            "FirstName": first_name,
            "LastName": last_name,
            "Email": email,
            "Phone": phone,
            "Address": address,
            "ProspectID": prospect_id,
            "PersonID": person_id,
            "ModifiedStartDateTime": _instant(modified_start),
            "ModifiedEndDateTime": _instant(modified_end, ceil=True),
            "StartDate": _instant(start_date),
            "EndDate": _instant(end_date, ceil=True),
        }
        fields = self._fields(property_id, **{k: v for k, v in filters.items() if v is not None})
        return await self._call(
            SEARCH_PROSPECTS, fields, parse=mits.parse_search_response, xml=True
        )

    async def search_modified(
        self,
        property_id: str,
        start: datetime,
        end: datetime | None = None,
        *,
        min_window: timedelta = DEFAULT_MIN_WINDOW,
    ) -> list[Prospect]:
        """Every prospect modified in [start, end] (`end=None`: up to ResMan's now)."""
        window = await self.search_modified_through(property_id, start, end, min_window=min_window)
        return window.prospects

    async def search_modified_through(
        self,
        property_id: str,
        start: datetime,
        end: datetime | None = None,
        *,
        min_window: timedelta = DEFAULT_MIN_WINDOW,
    ) -> ModifiedWindow:
        """Every prospect modified in [start, end], once each, however many there are,
        and the ResMan time the window covers (`ModifiedWindow.through`).

        `end=None` leaves the window open: nothing is compared with our clock, which may
        be ahead of or behind ResMan's; `through` is then ResMan's own time (the `Date`
        of its answer). A 502 "buffer overflow" splits the window in half (earlier half
        first), an open one first closed at ResMan's time; a window of `min_window` or
        less that still overflows raises `SearchTooBroad`.
        """
        if end is not None and end < start:
            raise ValueError("end must not be before start")
        if min_window < timedelta(seconds=1):
            raise ValueError("min_window must be at least one second")
        through = end
        if end is None:
            try:
                return await self._search_open(property_id, start)
            except SearchTooBroad:
                through = self.clock.now()  # None: ResMan never sent a Date
                end = max(start, through or datetime.now(UTC))
        found: dict[str, Prospect] = {}
        windows = [(start, end)]
        while windows:
            low, high = windows.pop()
            try:
                batch = await self.search_prospects(
                    property_id, modified_start=low, modified_end=high
                )
            except SearchTooBroad:
                if high - low <= min_window:
                    raise SearchTooBroad(
                        f"ResMan SearchProspects for property {property_id}: even the "
                        f"{(high - low).total_seconds():g} s window from {low.isoformat()} "
                        "matches too many prospects",
                        window_seconds=(high - low).total_seconds(),
                    ) from None
                middle = low + (high - low) / 2
                windows += [(middle, high), (low, middle)]
                continue
            for prospect in batch:
                found.setdefault(prospect.prospect_id, prospect)
        return ModifiedWindow(list(found.values()), through)

    async def _search_open(self, property_id: str, start: datetime) -> ModifiedWindow:
        """Modified from `start` on, with ResMan's `Date` of that very answer: `_send`
        records it just before it parses, with no await between (see `ResmanClock`)."""

        def parse(body: bytes) -> ModifiedWindow:
            unique: dict[str, Prospect] = {}
            for prospect in mits.parse_search_response(body):
                unique.setdefault(prospect.prospect_id, prospect)
            return ModifiedWindow(list(unique.values()), self.clock.answered_at)

        fields = self._fields(property_id, ModifiedStartDateTime=_instant(start) or "")
        return await self._call(SEARCH_PROSPECTS, fields, parse=parse, xml=True)

    async def find_matches(
        self,
        property_id: str,
        email: str | None,
        phone: str | None,
        first_name: str | None,
        last_name: str | None,
    ) -> list[Prospect]:
        """Prospects that may be this person, for search-before-create (DESIGN.md):
        by email; if none, by phone (national and 11-digit forms); if none, by first
        and last name. The first criterion that matches decides."""
        if email and email.strip():
            found = await self.search_prospects(property_id, email=email.strip())
            if found:
                return found
        if phone:
            by_phone: dict[str, Prospect] = {}
            for digits in phone_search_forms(phone):
                for prospect in await self.search_prospects(property_id, phone=digits):
                    by_phone.setdefault(prospect.prospect_id, prospect)
            if by_phone:
                return list(by_phone.values())
        if first_name and first_name.strip() and last_name and last_name.strip():
            return await self.search_prospects(
                property_id, first_name=first_name.strip(), last_name=last_name.strip()
            )
        return []

    # ------------------------------------------------------------------ Leasing / Account

    async def prospect_sources(self, property_id: str) -> list[ProspectSource]:
        return await self._rows(
            GET_SOURCES, self._fields(property_id), "ProspectSources", ProspectSource
        )

    async def employees(self, property_id: str) -> list[Employee]:
        return await self._rows(GET_EMPLOYEES, self._fields(property_id), "Employees", Employee)

    async def lost_reasons(self) -> list[LostReason]:
        return await self._rows(
            GET_LOST_REASONS, self._fields(None), "LostProspectReasons", LostReason
        )

    async def properties(self) -> list[PropertyInfo]:
        return await self._rows(GET_PROPERTIES, self._fields(None), "Properties", PropertyInfo)

    async def check_mapping(self, mapping: PropertyMapping) -> list[str]:
        """Problems with `[resman.properties]` as ResMan sees them, one line each (empty
        when every property, source and agent exists and belongs together)."""
        problems: list[str] = []
        known = {p.property_id.lower() for p in await self.properties()}
        for domiq_id in mapping.domiq_property_ids:
            table = _table(domiq_id)
            try:
                target = mapping.for_create(domiq_id)
            except MappingMissing as exc:
                problems.append(exc.message)
                continue
            if target.property_id.lower() not in known:
                problems.append(f"{table} property_id {target.property_id} is not in this account")
                continue
            sources = {s.id.lower(): s for s in await self.prospect_sources(target.property_id)}
            source = sources.get(target.source_id.lower())
            if source is None:
                problems.append(f"{table} source_id {target.source_id} is not linked to it")
            elif source.is_active is False:
                problems.append(f"{table} source_id {target.source_id} ({source.name}) is inactive")
            agents = {e.id.lower() for e in await self.employees(target.property_id)}
            if target.agent_id.lower() not in agents:
                problems.append(f"{table} agent_id {target.agent_id} is not an employee there")
        return problems

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
        self, path: str, fields: dict[str, str], key: str, record: type[_Record]
    ) -> list[Any]:
        def parse(body: bytes) -> list[Any]:
            what = _method(path)
            try:
                return [record.model_validate(row) for row in _json_rows(body, what, key)]
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
        what = f"ResMan {_method(path)}"
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


# --------------------------------------------------------------------------- helpers


def _safe_to_resend(error: BaseException) -> bool:
    """Retryable errors after which a create surely did not happen."""
    return (
        isinstance(error, NotDelivered | RateLimited | RemoteRejected)
        and isinstance(error, SyncError)
        and error.retryable
    )


def names_prospect(xml: str) -> bool:
    """Whether a LeadManagement document addresses an existing prospect (an update)."""
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except (ET.ParseError, ValueError) as exc:
        raise ValueError(f"the MITS document to post is not well-formed XML: {exc}") from None
    for node in root.iter():
        if not isinstance(node.tag, str) or node.tag.rpartition("}")[2].lower() != "identification":
            continue
        kinds = [v for k, v in node.attrib.items() if k.lower() == "idtype"]
        if any(kind.strip().lower() == "prospectid" for kind in kinds):
            return True
    return False


def phone_search_forms(phone: str) -> list[str]:
    """The digit strings to try for SearchProspects' Phone (it compares stored digits).

    US numbers are stored as typed by staff: `(512) 555-0143` -> 10 digits, or with the
    country code -> 11; try both. Other numbers: their digits.
    """
    digits = _NON_DIGITS.sub("", phone)
    if not digits:
        return []
    if len(digits) == 11 and digits.startswith("1"):
        return [digits[1:], digits]
    if len(digits) == 10:
        return [digits, "1" + digits]
    return [digits]


def http_error(answer: _http.Answer, what: str) -> SyncError | None:
    """The typed error for ResMan's HTTP status, None for a 200 (whose body decides)."""
    status = answer.status_code
    if status == 200:
        return None
    if 300 <= status < 400:
        return _http.redirect_error(answer, what)
    title = _title(answer.body)
    text = f"{what}: HTTP {status} ({title})"
    if status == 502 and b"buffer overflow" in answer.body.lower():
        return SearchTooBroad(f"{what}: too many matches (HTTP 502 buffer overflow)")
    retry_after = _http.parse_retry_after(answer.headers.get("retry-after"))
    if status == 429 or (status == 503 and retry_after is not None):
        return RateLimited(text, retry_after=retry_after)
    if status in (401, 403):
        return AuthError(text)
    if status == 408 or status >= 500:
        return TransientError(text, status_code=status)
    return SyncError(text)


def _title(body: bytes) -> str:
    found = _TITLE.search(body[:4096])
    if found:
        return _http.snippet(found.group(1), 120)
    return _http.snippet(body, 120) or "empty body"


def _json_rows(body: bytes, what: str, key: str) -> list[Any]:
    """A JSON answer's rows under `key`, after its `Status` says Success."""
    if len(body) > mits.MAX_RESPONSE_BYTES:
        raise MalformedResponse(f"ResMan {what}: answer too large", retryable=False)
    parsed = _http.load_json(body, f"ResMan {what}")
    if not isinstance(parsed, dict) or not isinstance(parsed.get("Status"), str):
        raise MalformedResponse(f"ResMan {what}: the answer has no Status")
    status = parsed["Status"]
    if status.strip().lower() != "success":
        description = parsed.get("ErrorDescription")
        method = parsed.get("MethodName")
        raise rejected(
            description if isinstance(description, str) else None,
            status=status,
            method=method if isinstance(method, str) else what,
        )
    rows = parsed.get(key)
    if rows is None:
        return []
    if isinstance(rows, dict):  # one row may come as an object, not a list
        rows = [rows]
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise MalformedResponse(f"ResMan {what}: {key} is not a list of objects", retryable=False)
    return rows


def _method(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _instant(moment: datetime | None, *, ceil: bool = False) -> str | None:
    """UTC to the second, `...Z`; `ceil` rounds up so an end bound never loses a moment."""
    if moment is None:
        return None
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if ceil and utc.microsecond:
        utc += timedelta(seconds=1)
    return utc.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = [
    "DEFAULT_MIN_WINDOW",
    "Employee",
    "LostReason",
    "MappingMissing",
    "ModifiedWindow",
    "PostOutcomeUnknown",
    "PostResult",
    "PropertyInfo",
    "PropertyMapping",
    "PropertyTarget",
    "Prospect",
    "ProspectSource",
    "ResmanClient",
]
