"""Before creating a new lead: what would block it, and what to confirm past.

Split from `lead_intake` so the pre-flight is one module: `preflight(desk, data)` looks
before creating: is the property mapped for ResMan (source and agent), are ResMan's
required fields there, is a value a placeholder (`none@none.com`, `0000000000`, "asdf"),
is this person already a DomIQ lead (the store) or a ResMan prospect (`find_matches`).
Errors block; warnings may be confirmed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from leadsync_tui.clients.errors import SyncError
from leadsync_tui.clients.mits import Prospect
from leadsync_tui.clients.resman import MappingMissing, PropertyMapping
from leadsync_tui.models import Lead, LeadData, utc_now
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.lead_form import check_field
from leadsync_tui.sync.normalisers import InvalidFieldValue, normalise_email, normalise_phone

RENT_SUSPICIOUS_BELOW = 200
"""Whole dollars a month: below this it is likely a typo (a warning, not an error)."""
DUPLICATES_SHOWN = 3
"""Duplicate candidates listed per source; more are counted."""

PLACEHOLDER_EMAILS = frozenset(
    {
        "none@none.com",
        "test@test.com",
        "noemail@noemail.com",
        "no@email.com",
        "na@na.com",
        "n/a@n/a.com",
        "email@email.com",
        "asdf@asdf.com",
        "a@a.com",
        "x@x.com",
        "noreply@noreply.com",
        "unknown@unknown.com",
        "fake@fake.com",
    }
)
PLACEHOLDER_EMAIL_DOMAINS = frozenset({"test.com", "none.com", "noemail.com", "fake.com"})
PLACEHOLDER_EMAIL_USERS = frozenset({"none", "noemail", "no-email", "test", "na", "n/a", "fake"})
PLACEHOLDER_NAMES = frozenset(
    {"asdf", "asd", "qwerty", "test", "tester", "none", "n/a", "na", "xxx", "x", "unknown"}
    | {"abc", "aaa", "foo", "bar", "fake", "noname", "no name", "lead", "prospect", "tbd"}
)
_PLACEHOLDER_PHONE_DIGITS = frozenset({"1234567890", "0123456789", "9876543210", "5555555555"})


class FindingLevel(StrEnum):
    ERROR = "error"
    """Blocks the create: fix it first."""
    WARNING = "warning"
    """May be confirmed past (a second submit)."""


@dataclass(frozen=True)
class PreflightFinding:
    """Something to know before creating: what, in which field, and what to do."""

    level: FindingLevel
    kind: str
    """`mapping`, `required`, `invalid`, `placeholder`, `contact`, `duplicate`, `unchecked`."""
    message: str
    field: str | None = None

    @property
    def blocking(self) -> bool:
        return self.level is FindingLevel.ERROR


def _error(kind: str, message: str, field: str | None = None) -> PreflightFinding:
    return PreflightFinding(FindingLevel.ERROR, kind, message, field)


def _warning(kind: str, message: str, field: str | None = None) -> PreflightFinding:
    return PreflightFinding(FindingLevel.WARNING, kind, message, field)


def is_placeholder_email(email: str) -> bool:
    user, _, domain = email.strip().lower().partition("@")
    return (
        email.strip().lower() in PLACEHOLDER_EMAILS
        or domain in PLACEHOLDER_EMAIL_DOMAINS
        or user in PLACEHOLDER_EMAIL_USERS
    )


def is_placeholder_phone(phone: str) -> bool:
    digits = re.sub(r"\D", "", phone)
    national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    return (
        len(set(national)) <= 1
        or national in _PLACEHOLDER_PHONE_DIGITS
        or (len(national) == 10 and national[3:6] == "555" and national[6:] == "5555")
    )


def is_placeholder_name(name: str) -> bool:
    lowered = name.strip().lower()
    return lowered in PLACEHOLDER_NAMES or (len(lowered) > 1 and len(set(lowered)) == 1)


def local_findings(
    data: LeadData,
    mapping: PropertyMapping,
    leads: Iterable[Lead],
    today: date,
) -> list[PreflightFinding]:
    """Every finding that needs no network: mapping, required fields, values, placeholders,
    and DomIQ leads already in the store with the same email or phone."""
    found: list[PreflightFinding] = []
    try:
        mapping.for_create(data.property_id)
    except MappingMissing as exc:
        found.append(
            _error("mapping", f"ResMan cannot take this lead: {exc.message}.", "property_id")
        )
    text = {
        "first_name": data.first_name,
        "last_name": data.last_name,
        "email": data.email or "",
        "phone": data.phone or "",
        "desired_move_in": data.desired_move_in.isoformat() if data.desired_move_in else "",
        "notes": data.notes or "",
    }
    for name, value in text.items():
        checked = check_field(name, value, today)
        if not checked.ok:
            kind = "required" if "required" in (checked.problem or "") else "invalid"
            found.append(_error(kind, checked.problem or "", name))
    found += _placeholders(data)
    if not (data.email or data.phone):
        found.append(
            _warning(
                "contact",
                "No email and no phone: nobody can reach this person and duplicates cannot "
                "be found. Add one if you have it.",
                "email",
            )
        )
    if data.max_rent is not None and data.max_rent < RENT_SUSPICIOUS_BELOW:
        found.append(
            _warning(
                "invalid",
                f"Max rent ${data.max_rent} a month looks like a typo: check it "
                "(whole dollars, e.g. 1850).",
                "max_rent",
            )
        )
    found += _store_duplicates(data, leads)
    return found


def _placeholders(data: LeadData) -> list[PreflightFinding]:
    found = []
    if data.email and is_placeholder_email(data.email):
        found.append(
            _error(
                "placeholder",
                f"{data.email} is a placeholder, not an address: ResMan would match it to "
                "every other guest card with it. Leave the email empty instead.",
                "email",
            )
        )
    if data.phone and is_placeholder_phone(data.phone):
        found.append(
            _error(
                "placeholder",
                f"{data.phone} is a placeholder number: ResMan would match it to other guest "
                "cards. Leave the phone empty instead.",
                "phone",
            )
        )
    for name, label in (("first_name", "First name"), ("last_name", "Last name")):
        value = getattr(data, name)
        if value and is_placeholder_name(value):
            found.append(
                _warning(
                    "placeholder",
                    f"{label} {value.strip()!r} looks like test data: type the real name, "
                    "or confirm to create it anyway.",
                    name,
                )
            )
    return found


def _contact_keys(email: str | None, phone: str | None) -> dict[str, str]:
    keys: dict[str, str] = {}
    for name, value, normalise in (
        ("email", email, normalise_email),
        ("phone", phone, normalise_phone),
    ):
        try:
            normal = normalise(value)
        except InvalidFieldValue:
            continue
        if normal:
            keys[name] = normal
    return keys


def _store_duplicates(data: LeadData, leads: Iterable[Lead]) -> list[PreflightFinding]:
    ours = _contact_keys(data.email, data.phone)
    if not ours:
        return []
    same: list[tuple[Lead, list[str]]] = []
    for lead in leads:
        theirs = _contact_keys(lead.email, lead.phone)
        matched = [key for key, value in ours.items() if theirs.get(key) == value]
        if matched:
            same.append((lead, matched))
    found = []
    for lead, matched in same[:DUPLICATES_SHOWN]:
        where = "" if lead.property_id == data.property_id else f" (for {lead.property_id})"
        found.append(
            _warning(
                "duplicate",
                f"DomIQ already has {lead.full_name}{where} with the same "
                f"{' and '.join(matched)}: conversation {lead.conversation_id}. Open that "
                "lead instead, or confirm to create another.",
                matched[0],
            )
        )
    if len(same) > DUPLICATES_SHOWN:
        found.append(
            _warning("duplicate", f"…and {len(same) - DUPLICATES_SHOWN} more DomIQ leads match.")
        )
    return found


def _describe(prospect: Prospect) -> str:
    name = " ".join(p for p in (prospect.first_name, prospect.last_name) if p) or "a prospect"
    contact = prospect.email or (prospect.phones[0].number if prospect.phones else "")
    return f"{name}{f', {contact}' if contact else ''} (prospect {prospect.prospect_id})"


async def resman_findings(desk: LeadDesk, data: LeadData) -> list[PreflightFinding]:
    """Prospects in ResMan that may be this person (ResMan's own duplicate rules)."""
    try:
        property_id = desk.mapping.property_id(data.property_id)
    except MappingMissing:
        return []  # already an error in `local_findings`
    keys = _contact_keys(data.email, data.phone)
    try:
        matches = await desk.resman.find_matches(
            property_id, keys.get("email"), keys.get("phone"), data.first_name, data.last_name
        )
    except SyncError as exc:
        return [
            _warning(
                "unchecked",
                f"Could not check ResMan for this person ({exc.message}). Try again, or "
                "confirm to create anyway: the sync searches ResMan again before it writes.",
            )
        ]
    found = [
        _warning(
            "duplicate",
            f"ResMan already has {_describe(p)}. Syncing links this lead to it if no other "
            "lead has it; confirm only if it is the same person.",
        )
        for p in matches[:DUPLICATES_SHOWN]
    ]
    if len(matches) > DUPLICATES_SHOWN:
        found.append(
            _warning("duplicate", f"…and {len(matches) - DUPLICATES_SHOWN} more ResMan matches.")
        )
    return found


async def preflight(
    desk: LeadDesk, data: LeadData, *, today: date | None = None
) -> list[PreflightFinding]:
    """Everything to know before creating `data`; errors first. ResMan is searched only
    when nothing blocks the create anyway."""
    day = today or utc_now().date()
    found = local_findings(data, desk.mapping, desk.store.state.leads.values(), day)
    if not any(f.blocking for f in found):
        found += await resman_findings(desk, data)
    return sorted(found, key=lambda f: not f.blocking)
