"""The simulated ResMan's API methods: credentials, account and property scope, and the
answer of each MITS, Leasing and Account route.

One method per route, each given the bound parameters; an application error is raised
as `Refusal` and answered by the app's wrapper (`app.py`) in the route's format.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from leadsync_tui.sim.resman import mits_answers, mits_xml
from leadsync_tui.sim.resman.control import SimSettings, SimStats
from leadsync_tui.sim.resman.mits_xml import MitsXmlError
from leadsync_tui.sim.resman.posted import PostedProspect
from leadsync_tui.sim.resman.posting import PostError, post_prospects
from leadsync_tui.sim.resman.records import Property
from leadsync_tui.sim.resman.state import ResmanState
from leadsync_tui.sim.resman.wire import (
    ACCOUNT_NOT_FOUND,
    ACCOUNT_NOT_INTEGER,
    ACCOUNT_REQUIRED,
    API_KEY_REQUIRED,
    BUFFER_OVERFLOW_PAGE,
    FORM_TYPE,
    INTEGRATION_PARTNER_REQUIRED,
    INVALID_CREDENTIALS,
    PROPERTY_NOT_FOUND,
    PROPERTY_REQUIRED,
    SUBDOMAIN_NOT_FOUND,
    SUBDOMAIN_REQUIRED,
    XML_REQUIRED,
    Params,
    Refusal,
    answer,
)


class ResmanApi:
    """The routes' handlers over one account, its settings and its counters."""

    def __init__(self, state: ResmanState, settings: SimSettings, stats: SimStats) -> None:
        self.state = state
        self.settings = settings
        self.stats = stats

    # -- credentials and scope ----------------------------------------------------------

    def _authenticate(self, params: Params) -> None:
        partner = params.get("IntegrationPartnerID")
        if partner is None:
            raise Refusal(INTEGRATION_PARTNER_REQUIRED)
        key = params.get("ApiKey")
        if key is None:
            raise Refusal(API_KEY_REQUIRED)
        if partner.casefold() != self.state.integration_partner_id.casefold() or (
            key != self.state.api_key
        ):
            raise Refusal(INVALID_CREDENTIALS)

    def _account(self, params: Params) -> int:
        raw = params.get("AccountID")
        if raw is None:
            raise Refusal(ACCOUNT_REQUIRED)
        try:
            account_id = int(raw)
        except ValueError:
            raise Refusal(ACCOUNT_NOT_INTEGER) from None
        if account_id not in self.state.account_ids:
            raise Refusal(ACCOUNT_NOT_FOUND)
        return account_id

    def _property(self, params: Params, account_id: int) -> Property:
        raw = params.get("PropertyID")
        if raw is None:
            raise Refusal(PROPERTY_REQUIRED)
        prop = self.state.get_property(raw)
        if prop is None or prop.account_id != account_id:
            raise Refusal(PROPERTY_NOT_FOUND)
        return prop

    def _scope(self, params: Params) -> tuple[int, Property]:
        self._authenticate(params)
        account_id = self._account(params)
        return account_id, self._property(params, account_id)

    # -- MITS ---------------------------------------------------------------------------

    async def post_lead(self, request: Request, body: bytes, params: Params) -> Response:
        account_id, prop = self._scope(params)
        xml_text = params.raw("Xml")
        if xml_text is None or not xml_text.strip():
            raise Refusal(XML_REQUIRED)
        posted = self._parse(xml_text)
        return self._post(request, posted, account_id, prop, allow_update=True)

    async def post_lite(self, request: Request, body: bytes, params: Params) -> Response:
        self._authenticate(params)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        xml_text: str | bytes | None = params.raw("Xml")
        if content_type != FORM_TYPE or body.lstrip()[:1] == b"<":
            xml_text = body
        if xml_text is None or not xml_text.strip():
            raise Refusal(XML_REQUIRED)
        posted = self._parse(xml_text)
        account_id = self.state.account_id
        named = next((p.property_id for p in posted if p.property_id), None)
        if named is not None:
            prop = self.state.get_property(named)
            if prop is None or prop.account_id != account_id:
                raise Refusal(PROPERTY_NOT_FOUND)
        else:
            first = next(iter(self.state.properties_of(account_id)), None)
            if first is None:
                raise Refusal(PROPERTY_NOT_FOUND)
            prop = first
        return self._post(request, posted, account_id, prop, allow_update=False)

    def _parse(self, document: str | bytes) -> list[PostedProspect]:
        try:
            return mits_xml.parse_lead_management(document, max_bytes=self.settings.max_xml_bytes)
        except MitsXmlError as exc:
            raise Refusal(str(exc)) from None

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
            raise Refusal(str(exc)) from None
        echo = mits_answers.lead_management(
            mits_answers.prospect_element(
                self.state,
                outcome.prospect,
                persons=outcome.persons,
                events=outcome.events,
                include_preferences=item.preferences is not None,
            )
            for item, outcome in zip(posted, outcomes, strict=True)
        )
        return answer(
            "PostLeadManagement4_0",
            "mits",
            request,
            account_id=account_id,
            property_id=prop.property_id,
            response=echo,
        )

    async def search_prospects(self, request: Request, body: bytes, params: Params) -> Response:
        account_id, prop = self._scope(params)
        moments: dict[str, datetime | None] = {}
        for name in ("ModifiedStartDateTime", "ModifiedEndDateTime", "StartDate", "EndDate"):
            raw = params.get(name)
            moments[name] = None
            if raw is not None:
                try:
                    moments[name] = mits_xml.parse_datetime(raw)
                except ValueError:
                    raise Refusal(f"Invalid {name}: {raw!r}") from None
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
        document = mits_answers.lead_management(
            mits_answers.prospect_element(
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
        return answer(
            "SearchProspects",
            "mits",
            request,
            account_id=account_id,
            property_id=prop.property_id,
            response=document,
        )

    # -- Leasing and Account ------------------------------------------------------------

    async def sources(self, request: Request, body: bytes, params: Params) -> Response:
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
        return answer(
            "GetProspectSources",
            "negotiated",
            request,
            account_id=account_id,
            property_id=prop.property_id,
            payload_key="ProspectSources",
            rows=rows,
        )

    async def lost_reasons(self, request: Request, body: bytes, params: Params) -> Response:
        """Account-wide; a PropertyID is optional but must be valid when sent."""
        self._authenticate(params)
        account_id = self._account(params)
        property_id = None
        if params.get("PropertyID") is not None:
            property_id = self._property(params, account_id).property_id
        rows = [{"ID": r.reason_id, "Name": r.name} for r in self.state.lost_reasons]
        return answer(
            "GetLostProspectReasons",
            "negotiated",
            request,
            account_id=account_id,
            property_id=property_id,
            payload_key="LostProspectReasons",
            rows=rows,
        )

    async def employees(self, request: Request, body: bytes, params: Params) -> Response:
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
        return answer(
            "GetEmployees",
            "negotiated",
            request,
            account_id=account_id,
            property_id=prop.property_id,
            payload_key="Employees",
            rows=rows,
        )

    async def properties(self, request: Request, body: bytes, params: Params) -> Response:
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
        return answer(
            "GetProperties",
            "negotiated",
            request,
            account_id=account_id,
            payload_key="Properties",
            rows=rows,
        )

    async def account_id(self, request: Request, body: bytes, params: Params) -> Response:
        self._authenticate(params)
        subdomain = params.get("Subdomain")
        if subdomain is None:
            raise Refusal(SUBDOMAIN_REQUIRED)
        if subdomain.casefold() != self.state.subdomain.casefold():
            raise Refusal(SUBDOMAIN_NOT_FOUND)
        return answer(
            "GetAccountID",
            "negotiated",
            request,
            account_id=self.state.account_id,
            extra={"CompanyName": self.state.company_name, "Subdomain": self.state.subdomain},
        )
