"""What DomIQ accepts in a lead field, and the 422 message when it does not.

One rule per field, shared by `POST /v1/leads`, `PATCH`, in-DomIQ edits and the
`resman-sync` report, so every way into the state refuses the same values with the same
words. Rules accept both JSON values (`"2027-01-15"`) and Python ones (`date`), and return
the Python value the `Lead` model stores.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from leadsync_tui.models import LeadData, LeadSource, Qualification, SyncStatus
from leadsync_tui.sim.domiq.errors import InvalidField

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+[1-9]\d{7,14}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Rule = Callable[[str, Any], Any]

REQUIRED_ON_CREATE = ("first_name", "last_name", "property_id")
CREATE_FIELDS = frozenset(LeadData.model_fields)
EDITABLE_FIELDS = CREATE_FIELDS | {"qualification"}
READ_ONLY_FIELDS = frozenset({"conversation_id", "version", "created_at", "updated_at"})
SYNC_FIELDS = frozenset({"resman_sync_status", "resman_prospect_id", "last_sync_at"})


def _text(*, required: bool, max_len: int) -> Rule:
    def rule(field: str, value: Any) -> Any:
        if value is None:
            if required:
                raise InvalidField(field, "is required and cannot be null")
            return None
        if not isinstance(value, str):
            raise InvalidField(field, f"must be a string, got {type(value).__name__}")
        if required and not value.strip():
            raise InvalidField(field, "must not be blank")
        if len(value) > max_len:
            raise InvalidField(field, f"must be at most {max_len} characters")
        return value

    return rule


def _email(field: str, value: Any) -> Any:
    value = _text(required=False, max_len=254)(field, value)
    if value is not None and not EMAIL_RE.match(value):
        raise InvalidField(field, f"{value!r} is not an email address")
    return value


def _phone(field: str, value: Any) -> Any:
    value = _text(required=False, max_len=16)(field, value)
    if value is not None and not PHONE_RE.match(value):
        raise InvalidField(field, f"{value!r} is not an E.164 phone number like +15125550143")
    return value


def _date(field: str, value: Any) -> Any:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str) and DATE_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidField(field, f"{value!r} is not a date in the form YYYY-MM-DD")


def _whole(low: int, high: int) -> Rule:
    def rule(field: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidField(field, f"must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise InvalidField(field, f"must be between {low} and {high}, got {value}")
        return value

    return rule


def _number(low: float, high: float) -> Rule:
    def rule(field: str, value: Any) -> Any:
        if value is None:
            return None
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not is_number or not math.isfinite(value):
            raise InvalidField(field, f"must be a number, got {value!r}")
        if not low <= value <= high:
            raise InvalidField(field, f"must be between {low:g} and {high:g}, got {value}")
        return float(value)

    return rule


def _boolean(field: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    raise InvalidField(field, f"must be true, false or null, got {value!r}")


def _enum(kind: type[StrEnum], *, nullable: bool = False) -> Rule:
    def rule(field: str, value: Any) -> Any:
        if value is None and nullable:
            return None
        try:
            return kind(value)
        except ValueError:
            allowed = " | ".join(member.value for member in kind)
            raise InvalidField(field, f"must be one of {allowed}, got {value!r}") from None

    return rule


def _timestamp(field: str, value: Any) -> Any:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InvalidField(field, f"{value!r} is not an ISO 8601 timestamp like 2026-11-24T09:12:41Z")


FIELD_RULES: dict[str, Rule] = {
    "property_id": _text(required=True, max_len=100),
    "first_name": _text(required=True, max_len=100),
    "last_name": _text(required=True, max_len=100),
    "email": _email,
    "phone": _phone,
    "desired_move_in": _date,
    "desired_bedrooms": _whole(0, 10),
    "desired_bathrooms": _number(0, 10),
    "max_rent": _whole(0, 1_000_000),
    "pets": _boolean,
    "source": _enum(LeadSource),
    "qualification": _enum(Qualification),
    "notes": _text(required=False, max_len=5000),
    "resman_sync_status": _enum(SyncStatus),
    "resman_prospect_id": _text(required=False, max_len=100),
    "last_sync_at": _timestamp,
}


def clean_changes(
    changes: Mapping[str, Any], allowed: frozenset[str] = EDITABLE_FIELDS
) -> dict[str, Any]:
    """Check every field of a change set; refuse unknown and unchangeable ones."""
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if field in READ_ONLY_FIELDS:
            raise InvalidField(field, "is set by DomIQ and cannot be changed")
        if field in SYNC_FIELDS and field not in allowed:
            raise InvalidField(
                field, "is reported through PUT /v1/leads/{conversation_id}/resman-sync"
            )
        if field not in allowed:
            raise InvalidField(field, "is not a lead field")
        cleaned[field] = FIELD_RULES[field](field, value)
    return cleaned


def clean_new_lead(body: Mapping[str, Any]) -> LeadData:
    """A create body as `LeadData`: no unknown fields, the required ones present."""
    cleaned = clean_changes(body, CREATE_FIELDS)
    for field in REQUIRED_ON_CREATE:
        if field not in cleaned:
            raise InvalidField(field, "is required")
    return LeadData(**cleaned)


@dataclass(frozen=True)
class SyncReport:
    """A `resman-sync` body: the status, plus only the other fields the body named.

    A field left out keeps its value; an explicit null clears it.
    """

    status: SyncStatus
    changes: dict[str, Any]


def clean_sync_report(body: Mapping[str, Any]) -> SyncReport:
    """`resman_sync_status` is required; the prospect id and sync time are optional."""
    cleaned = clean_changes(body, SYNC_FIELDS)
    if "resman_sync_status" not in cleaned:
        raise InvalidField("resman_sync_status", "is required")
    status = cleaned.pop("resman_sync_status")
    return SyncReport(status=status, changes=cleaned)
