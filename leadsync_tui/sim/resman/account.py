"""The simulated ResMan account's identity, clock, GUIDs and reference data.

Properties, sources, employees and lost reasons change rarely and are what every
request is checked against; the storage for prospects lives here too so the matchers
(`matching.py`) and the writes (`state.py`) build on one base.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from leadsync_tui.sim.resman.records import (
    Employee,
    LostReason,
    Property,
    Prospect,
    ResmanStateError,
    Source,
    as_utc,
    normalize_guid,
)


class Account:
    """One ResMan account as seen by one integration partner: who it is and its lists."""

    def __init__(
        self,
        *,
        seed: int = 0,
        now: Callable[[], datetime] | None = None,
        integration_partner_id: str = "leadsync-sim",
        api_key: str = "sim-api-key",
        account_id: int = 400,
        company_name: str = "Simulated Residential",
        subdomain: str = "simulated",
    ) -> None:
        self.seed = seed
        self._clock: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.integration_partner_id = integration_partner_id
        self.api_key = api_key
        self.account_id = account_id
        self.company_name = company_name
        self.subdomain = subdomain
        self.rng = random.Random(seed)
        """Draws every GUID; only writes consume it, so IDs depend on writes alone."""
        self.order_rng = random.Random(seed + 1_000_003)
        """Shuffles Identification order in answers (kept apart from the GUID stream)."""
        self._properties: dict[str, Property] = {}
        self._sources: dict[str, Source] = {}
        self._employees: dict[str, Employee] = {}
        self._lost_reasons: dict[str, LostReason] = {}
        self._prospects: dict[str, Prospect] = {}
        self._person_index: dict[str, str] = {}

    # -- basics -------------------------------------------------------------------------

    def now(self) -> datetime:
        return as_utc(self._clock())

    def new_guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _id(self, given: str | None) -> str:
        return normalize_guid(given) if given else self.new_guid()

    # -- reference data -----------------------------------------------------------------

    def add_property(
        self,
        name: str,
        *,
        street_address: str = "",
        city: str = "",
        state: str = "",
        zip_code: str = "",
        phone: str = "",
        email: str = "",
        manager: str = "",
        property_id: str | None = None,
        account_id: int | None = None,
    ) -> Property:
        """A property of this account (or, with `account_id`, of another one)."""
        prop = Property(
            property_id=self._id(property_id),
            name=name,
            account_id=self.account_id if account_id is None else account_id,
            street_address=street_address,
            city=city,
            state=state,
            zip=zip_code,
            phone=phone,
            email=email,
            manager=manager,
        )
        self._properties[prop.property_id] = prop
        return prop

    def add_source(
        self,
        property_id: str,
        name: str,
        *,
        available_for_online_marketing: bool = True,
        is_active: bool = True,
        source_id: str | None = None,
    ) -> Source:
        prop = self._require_property(property_id)
        source = Source(
            source_id=self._id(source_id),
            property_id=prop.property_id,
            name=name,
            available_for_online_marketing=available_for_online_marketing,
            is_active=is_active,
        )
        self._sources[source.source_id] = source
        return source

    def add_employee(
        self,
        property_id: str,
        name: str,
        email: str,
        *,
        security_group: str = "Leasing Agent",
        employee_id: str | None = None,
    ) -> Employee:
        """Duplicate names are allowed: real ResMan lists one person more than once."""
        prop = self._require_property(property_id)
        employee = Employee(
            employee_id=self._id(employee_id),
            property_id=prop.property_id,
            name=name,
            email=email,
            security_group=security_group,
        )
        self._employees[employee.employee_id] = employee
        return employee

    def add_lost_reason(self, name: str, *, reason_id: str | None = None) -> LostReason:
        reason = LostReason(reason_id=self._id(reason_id), name=name)
        self._lost_reasons[reason.reason_id] = reason
        return reason

    @property
    def properties(self) -> list[Property]:
        return list(self._properties.values())

    @property
    def account_ids(self) -> set[int]:
        return {self.account_id} | {p.account_id for p in self._properties.values()}

    def properties_of(self, account_id: int) -> list[Property]:
        return [p for p in self._properties.values() if p.account_id == account_id]

    def get_property(self, property_id: str) -> Property | None:
        return self._properties.get(normalize_guid(property_id))

    def sources(self, property_id: str) -> list[Source]:
        wanted = normalize_guid(property_id)
        return [s for s in self._sources.values() if s.property_id == wanted]

    def source_for(self, property_id: str, source_id: str) -> Source | None:
        """The source only if it is linked to this property."""
        source = self._sources.get(normalize_guid(source_id))
        if source is None or source.property_id != normalize_guid(property_id):
            return None
        return source

    def employees(self, property_id: str) -> list[Employee]:
        wanted = normalize_guid(property_id)
        return [e for e in self._employees.values() if e.property_id == wanted]

    def employee_for(self, property_id: str, employee_id: str) -> Employee | None:
        """The employee only if they work at this property."""
        employee = self._employees.get(normalize_guid(employee_id))
        if employee is None or employee.property_id != normalize_guid(property_id):
            return None
        return employee

    def get_employee(self, employee_id: str) -> Employee | None:
        return self._employees.get(normalize_guid(employee_id))

    @property
    def lost_reasons(self) -> list[LostReason]:
        return list(self._lost_reasons.values())

    def get_lost_reason(self, reason_id: str) -> LostReason | None:
        return self._lost_reasons.get(normalize_guid(reason_id))

    def _require_property(self, property_id: str) -> Property:
        prop = self.get_property(property_id)
        if prop is None:
            raise ResmanStateError(f"unknown property {property_id}")
        return prop
