"""ResMan's reference lists as records: prospect sources, employees, lost reasons and
the account's properties (the Leasing and Account JSON routes).

Kept apart from the client so `leadsync init` and the setup checks can name them
without the transport.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ListRecord(BaseModel):
    """One row of a Leasing/Account list: frozen, read by its ResMan key, extras ignored."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class ProspectSource(ListRecord):
    """`Leasing/GetProspectSources`: a TransactionSource linked to one property."""

    id: str = Field(alias="ID")
    name: str = Field(default="", alias="Name")
    is_active: bool | None = Field(default=None, alias="IsActive")
    available_for_online_marketing: bool | None = Field(
        default=None, alias="AvailableForOnlineMarketing"
    )


class Employee(ListRecord):
    """`Leasing/GetEmployees`: a possible Agent/AgentID (ResMan may list one person twice)."""

    id: str = Field(alias="ID")
    name: str = Field(default="", alias="Name")
    email: str | None = Field(default=None, alias="Email")
    security_group: str | None = Field(default=None, alias="SecurityGroup")


class LostReason(ListRecord):
    """`Leasing/GetLostProspectReasons`: the TransactionSource of a Cancel event."""

    id: str = Field(alias="ID")
    name: str = Field(default="", alias="Name")


class PropertyInfo(ListRecord):
    """`Account/GetProperties`: one property of the account."""

    property_id: str = Field(alias="PropertyID")
    name: str = Field(default="", alias="Name")
    city: str | None = Field(default=None, alias="City")
    state: str | None = Field(default=None, alias="State")
