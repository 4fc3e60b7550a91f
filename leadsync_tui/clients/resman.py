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
(`resman_transport.py`)
(no other frame of a call holds it, so a traceback printed with locals cannot show it),
and is scrubbed from any error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leadsync_tui.clients import mits
from leadsync_tui.clients.errors import (
    SearchTooBroad,
    SyncError,
    TransientError,
)
from leadsync_tui.clients.mits import PostResult, Prospect
from leadsync_tui.clients.property_mapping import (
    MappingMissing,
    PropertyMapping,
    PropertyTarget,
    config_table,
)
from leadsync_tui.clients.resman_answers import (
    instant,
    names_prospect,
    safe_to_resend,
)
from leadsync_tui.clients.resman_lists import Employee, LostReason, PropertyInfo, ProspectSource
from leadsync_tui.clients.resman_transport import (
    GET_EMPLOYEES,
    GET_LOST_REASONS,
    GET_PROPERTIES,
    GET_SOURCES,
    POST_LEAD,
    SEARCH_PROSPECTS,
    ResmanTransport,
)
from leadsync_tui.phones import phone_search_forms

DEFAULT_MIN_WINDOW = timedelta(seconds=60)
"""DWELL halves the window down to 60 s; below that a 502 is reported, not split."""


class PostOutcomeUnknown(TransientError):
    """A create post whose answer was lost (timeout, 5xx, cut-off or id-less answer):
    ResMan may have made the prospect. Look it up (`find_matches`) before posting
    again, or a retry would make a second guest card."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ModifiedWindow:
    """What `search_modified_through` read: the prospects, and the ResMan time they are
    complete up to (None: ResMan sent no `Date`, so nobody knows its time)."""

    prospects: list[Prospect]
    through: datetime | None


class ResmanClient(ResmanTransport):
    """One pooled connection to ResMan; use as `async with ResmanClient(...) as resman:`."""

    # ------------------------------------------------------------------ MITS

    async def post_lead(self, property_id: str, xml: str) -> PostResult:
        """PostLeadManagement4_0 with a document from `mits.build_*`; the ids it answers.

        Creates (no ProspectID identification) fail as `PostOutcomeUnknown` when their
        answer is lost; see the module docstring.
        """
        creates = not names_prospect(xml)
        fields = self._fields(property_id, Xml=xml)
        retry_if = safe_to_resend if creates else None
        try:
            return await self._call(
                POST_LEAD, fields, parse=mits.parse_post_response, xml=True, retry_if=retry_if
            )
        except SyncError as exc:
            if creates and exc.retryable and not safe_to_resend(exc):
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
            "ModifiedStartDateTime": instant(modified_start),
            "ModifiedEndDateTime": instant(modified_end, ceil=True),
            "StartDate": instant(start_date),
            "EndDate": instant(end_date, ceil=True),
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

        fields = self._fields(property_id, ModifiedStartDateTime=instant(start) or "")
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
            table = config_table(domiq_id)
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
