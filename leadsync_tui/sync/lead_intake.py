"""A new lead from the TUI form: field checks as you type, a pre-flight, the create.

Three steps, each usable on its own (no Textual here; the screen calls them):
- `check_field(name, text, today)` reads one field as typed into the value `LeadData`
  holds, or a message naming the problem and the fix; `read_form` does the whole form.
- `preflight(desk, data)` looks before creating: is the property mapped for ResMan
  (source and agent), are ResMan's required fields there, is a value a placeholder
  (`none@none.com`, `0000000000`, "asdf"), is this person already a DomIQ lead (the
  store) or a ResMan prospect (`find_matches`). Errors block; warnings may be confirmed.
- `create_lead(desk, data, key, actor)` creates the lead in DomIQ under an idempotency
  key (the form keeps one key for its whole life, so a double submit or a retry after a
  timeout returns the same lead), puts it into the store, asks the engine to send it to
  ResMan (it only creates prospects on its own for qualified chats), and audits it.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from leadsync_tui.clients.errors import SyncError
from leadsync_tui.clients.mits import Prospect, parse_loose_date
from leadsync_tui.clients.resman import MappingMissing, PropertyMapping
from leadsync_tui.models import Lead, LeadData, LeadSource, utc_now
from leadsync_tui.store.records import AuditEntry
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.mapping import (
    EMAIL_MAX,
    FIRST_NAME_MAX,
    LAST_NAME_MAX,
    InvalidFieldValue,
    normalise_bathrooms,
    normalise_bedrooms,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_rent,
)

AUDIT_ACTION = "create"
MOVE_IN_HORIZON = timedelta(days=2 * 366)
"""A move-in further out than this is almost surely a wrong year."""
RENT_MAX = 100_000
RENT_SUSPICIOUS_BELOW = 200
"""Whole dollars a month: below this it is likely a typo (a warning, not an error)."""
NOTES_MAX = 1000
DUPLICATES_SHOWN = 3
"""Duplicate candidates listed per source; more are counted."""

INPUT_LIMITS: Mapping[str, int] = {
    "first_name": FIRST_NAME_MAX,
    "last_name": LAST_NAME_MAX,
    "email": EMAIL_MAX,
    "phone": 25,
    "desired_move_in": 10,
    "desired_bedrooms": 4,
    "desired_bathrooms": 5,
    "max_rent": 9,
    "notes": NOTES_MAX,
}
"""How many characters each text field takes (ResMan's column sizes where it has one),
so a pasted 10 KB string is cut at the door."""

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
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
"""Terminal escape sequences (CSI, OSC, two-character): pasted from a terminal."""


# --------------------------------------------------------------------------- as you type


def clean_input(text: str, limit: int | None = None) -> str:
    """Typed or pasted text made safe: tabs and line breaks become spaces, control and
    format characters (ESC, NUL, bidi overrides) go, and it is cut to `limit`."""
    text = _ANSI.sub("", text[: (limit or len(text)) * 4 + 64])  # bound the work
    kept = []
    for char in text:
        if char in "\t\r\n\v\f":
            kept.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs"):
            continue
        else:
            kept.append(char)
    cleaned = "".join(kept)
    return cleaned[:limit] if limit else cleaned


@dataclass(frozen=True)
class Checked:
    """One field read: the value for `LeadData`, or the problem in words (and the fix)."""

    value: Any = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _name(label: str, limit: int) -> Callable[[str, date], Checked]:
    def check(text: str, today: date) -> Checked:
        try:
            name = normalise_name(clean_input(text), max_length=limit)
        except InvalidFieldValue:
            return Checked(problem=f"{label} is too long: ResMan keeps {limit} characters.")
        if name is None:
            return Checked(problem=f"{label} is required: ResMan needs it on every guest card.")
        return Checked(name)

    return check


def _email(text: str, today: date) -> Checked:
    if not text.strip():
        return Checked()
    try:
        return Checked(normalise_email(text))
    except InvalidFieldValue:
        if len(text.strip()) > EMAIL_MAX:
            return Checked(problem=f"Too long: ResMan keeps {EMAIL_MAX} characters.")
        return Checked(problem="Not an email address: write it like name@example.com.")


def _phone(text: str, today: date) -> Checked:
    if not text.strip():
        return Checked()
    try:
        return Checked(normalise_phone(text))
    except InvalidFieldValue as exc:
        digits = len(re.sub(r"\D", "", text))
        if re.search(r"[A-Za-z]", text):
            why = "letters are not allowed (no extensions)"
        elif "valid" in str(exc):
            why = "not a real number (area code or exchange)"
        else:
            why = f"{digits} digits"
        return Checked(
            problem=f"Not a phone number ({why}): type 10 digits, e.g. (512) 555-0143, "
            "or +country code for abroad."
        )


def _move_in(text: str, today: date) -> Checked:
    if not text.strip():
        return Checked()
    try:
        day = parse_loose_date(text)
    except (ValueError, TypeError):
        return Checked(problem="Not a date: type YYYY-MM-DD, e.g. 2027-01-15.")
    if day < today:
        return Checked(problem=f"{day.isoformat()} is in the past: pick today or later.")
    if day > today + MOVE_IN_HORIZON:
        return Checked(problem=f"{day.isoformat()} is over two years away: check the year.")
    return Checked(day)


def _bedrooms(text: str, today: date) -> Checked:
    try:
        return Checked(normalise_bedrooms(text))
    except InvalidFieldValue:
        return Checked(problem="Bedrooms: a whole number from 0 (studio) to 10.")


def _bathrooms(text: str, today: date) -> Checked:
    try:
        baths = normalise_bathrooms(text)
    except InvalidFieldValue:
        return Checked(problem="Bathrooms: a number from 0 to 10, e.g. 1 or 1.5.")
    if baths is not None and (baths * 2) != int(baths * 2):
        return Checked(problem="Bathrooms: whole or half baths only, e.g. 1 or 1.5.")
    return Checked(baths)


def _rent(text: str, today: date) -> Checked:
    try:
        rent = normalise_rent(text)
    except InvalidFieldValue as exc:
        if "negative" in str(exc):
            return Checked(problem="Max rent cannot be negative: type whole dollars, e.g. 1850.")
        return Checked(problem="Max rent: whole dollars a month, e.g. 1850 or $1,850.")
    if rent is not None and rent > RENT_MAX:
        return Checked(problem=f"Max rent over ${RENT_MAX:,} a month: check the number.")
    return Checked(rent)


def _notes(text: str, today: date) -> Checked:
    notes = clean_input(text).strip()
    if len(notes) > NOTES_MAX:
        return Checked(problem=f"Notes are too long: keep them under {NOTES_MAX} characters.")
    return Checked(notes or None)


FIELD_CHECKS: Mapping[str, Callable[[str, date], Checked]] = {
    "first_name": _name("First name", FIRST_NAME_MAX),
    "last_name": _name("Last name", LAST_NAME_MAX),
    "email": _email,
    "phone": _phone,
    "desired_move_in": _move_in,
    "desired_bedrooms": _bedrooms,
    "desired_bathrooms": _bathrooms,
    "max_rent": _rent,
    "notes": _notes,
}
"""The text fields of the form, in form order."""

PETS_CHOICES: Mapping[str, bool | None] = {"": None, "yes": True, "no": False}


def check_field(name: str, text: str, today: date) -> Checked:
    """One text field as typed: its `LeadData` value, or what is wrong and how to fix it."""
    return FIELD_CHECKS[name](text, today)


def read_form(form: Mapping[str, str], today: date) -> tuple[LeadData | None, dict[str, str]]:
    """The whole form (text by `LeadData` field name): the data, or the problems by field.

    `property_id`, `source` and `pets` come from choice lists: "" means not chosen.
    """
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    property_id = form.get("property_id", "").strip()
    if not property_id:
        problems["property_id"] = "Choose the property the lead is for."
    values["property_id"] = property_id
    for name in FIELD_CHECKS:
        checked = check_field(name, form.get(name, ""), today)
        if checked.ok:
            values[name] = checked.value
        else:
            problems[name] = checked.problem or ""
    values["pets"] = PETS_CHOICES.get(form.get("pets", ""))
    try:
        values["source"] = LeadSource(form.get("source") or LeadSource.ADMIN)
    except ValueError:
        problems["source"] = "Choose where the lead came from."
    if problems:
        return None, problems
    return LeadData(**values), {}


# --------------------------------------------------------------------------- pre-flight


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


# --------------------------------------------------------------------------- create


def new_idempotency_key() -> str:
    """One per form: every submit of that form (a retry, a double press) sends it."""
    return f"leadsync-form-{uuid.uuid4().hex}"


async def create_lead(
    desk: LeadDesk,
    data: LeadData,
    idempotency_key: str,
    actor: str,
    *,
    confirmed: Sequence[PreflightFinding] = (),
    now: Callable[[], Any] = utc_now,
) -> Lead:
    """Create the lead in DomIQ (once per key), hold it in the store, send it to ResMan.

    A repeat with the same key and data returns the same lead and audits nothing new.
    DomIQ's refusals leave as `SyncError`s (409 when the key was already used with other
    values: the earlier submit did create a lead).
    """
    lead = await desk.domiq.create_lead(data, idempotency_key)
    cid = lead.conversation_id
    await desk.store.merge_leads([lead])
    audited = any(e.action == AUDIT_ACTION for e in await desk.db.audit_entries(target=cid))
    if not audited:
        reason = "new lead form"
        if confirmed:
            reason += "; confirmed: " + " | ".join(f.message for f in confirmed)
        await desk.db.append_audit(
            [
                AuditEntry(
                    at=now(),
                    actor=actor,
                    action=AUDIT_ACTION,
                    target=cid,
                    before=None,
                    after=data.model_dump(mode="json"),
                    reason=reason,
                )
            ]
        )
    held = desk.store.state.leads.get(cid, lead)
    if held.resman_prospect_id is None:
        # The engine creates prospects by itself only for qualified chats; a lead typed
        # in by staff is a lead for ResMan now.
        await desk.store.push_lead(cid, actor=actor)
    return desk.store.state.leads.get(cid, lead)
