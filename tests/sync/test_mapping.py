"""Field mapping and normalisation: formatting differences are never changes."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync_tui.clients import mits
from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.models import ConflictSeverity, Lead, Qualification
from leadsync_tui.sync import mapping, normalisers
from leadsync_tui.sync.mapping import InvalidValue, StatusChange
from leadsync_tui.sync.normalisers import InvalidFieldValue

FAST = settings(max_examples=200, deadline=None, derandomize=True)
NOW = datetime(2026, 11, 24, 9, 12, 40, tzinfo=UTC)


def make_lead(**overrides: Any) -> Lead:
    values: dict[str, Any] = {
        "conversation_id": "cnv_1",
        "created_at": NOW,
        "updated_at": NOW,
        "property_id": "prop_oakridge",
        "first_name": "Maya",
        "last_name": "Okafor",
        "email": "maya.okafor@example.com",
        "phone": "+15125550143",
        "desired_move_in": date(2027, 1, 15),
        "desired_bedrooms": 2,
        "desired_bathrooms": 1.5,
        "max_rent": 1850,
        "pets": True,
        "qualification": "qualified",
        "notes": "Wants a ground floor unit.",
    }
    values.update(overrides)
    return Lead.model_validate(values)


def make_prospect(**overrides: Any) -> mits.Prospect:
    values: dict[str, Any] = {
        "prospect_id": "P-1",
        "person_id": "PER-1",
        "first_name": " Maya ",
        "last_name": "Okafor",
        "email": "Maya.Okafor@Example.com ",
        "phones": (mits.ProspectPhone(number="(512) 555-0143", phone_type="Mobile"),),
        "target_move_in": date(2027, 1, 15),
        "max_rent": 1850.0,
        "bedrooms": mits.NumberRange(min=2, max=2),
        "bathrooms": mits.NumberRange(exact=1.5),
        "pets": True,
        "comments": "Wants a ground floor unit.\r\n",
        "customer_type": "prospect",
    }
    values.update(overrides)
    return mits.Prospect(**values)


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    "raw",
    [
        "(512) 555-0143",
        "512.555.0143",
        "+1 512 555 0143",
        "15125550143",
        "5125550143",
        "+15125550143",
        "  1-512-555-0143 ",
        "+1 (512) 555-0143",
        "011 1 512 555 0143",
    ],
)
def test_us_phone_formats_are_one_number(raw: str) -> None:
    assert normalisers.normalise_phone(raw) == "+15125550143"


def test_international_phones_are_kept() -> None:
    assert normalisers.normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalisers.normalise_phone("011 44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    "raw",
    [
        "555-0143",  # no area code
        "(512) 555-0143 x12",  # extension
        "512-555-CALL",
        "call me maybe",
        "(112) 555-0143",  # area code cannot start with 1
        "(512) 155-0143",  # nor the exchange
        "(911) 555-0143",  # N11 is not an area code
        "+0 123 456 789",
        "+1234567",  # too short for anything
        "+1234567890123456",  # longer than E.164
        "25125550143",  # 11 digits not starting with 1
    ],
)
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(InvalidFieldValue):
        normalisers.normalise_phone(raw)
    marker = mapping.normalise_field("phone", raw)
    assert isinstance(marker, InvalidValue) and marker.raw == raw and marker.reason


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_phone_is_none(blank: str | None) -> None:
    assert normalisers.normalise_phone(blank) is None


def test_phone_for_resman_is_national_for_us_and_reads_back_the_same() -> None:
    assert mapping.phone_for_resman("+15125550143") == "(512) 555-0143"
    assert mapping.phone_for_resman("+442079460958") == "+442079460958"
    assert mapping.phone_digits_for_search("+15125550143") == "5125550143"


PHONEISH = st.text(alphabet=string.digits + " ()+-./x", max_size=20)


@FAST
@given(raw=PHONEISH)
def test_phone_normalisation_is_idempotent(raw: str) -> None:
    try:
        once = normalisers.normalise_phone(raw)
    except InvalidFieldValue:
        return
    assert normalisers.normalise_phone(once) == once
    if once is not None:
        assert once.startswith("+") and once[1:].isdigit()
        assert normalisers.normalise_phone(mapping.phone_for_resman(once)) == once


@FAST
@given(
    area=st.integers(200, 999).filter(lambda n: n % 100 != 11),
    exchange=st.integers(200, 999),
    line=st.integers(0, 9999),
    style=st.sampled_from(
        ["({a}) {b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "1{a}{b}{c}", "{a}-{b}-{c}"]
    ),
)
def test_every_us_format_gives_the_same_e164(
    area: int, exchange: int, line: int, style: str
) -> None:
    raw = style.format(a=area, b=exchange, c=f"{line:04d}")
    assert normalisers.normalise_phone(raw) == f"+1{area}{exchange}{line:04d}"


# --------------------------------------------------------------------------- other fields


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalisers.normalise_email("  Maya.Okafor@Example.COM ") == "maya.okafor@example.com"
    assert normalisers.normalise_email("") is None
    for bad in ("maya", "maya@", "maya@example", "ma ya@example.com", "a@b.c" + "o" * 150):
        with pytest.raises(InvalidFieldValue):
            normalisers.normalise_email(bad)


def test_names_are_trimmed_and_collapsed_but_keep_case() -> None:
    assert normalisers.normalise_name("  Mary   Ann\t") == "Mary Ann"
    assert normalisers.normalise_name("McDonald") == "McDonald"
    assert normalisers.normalise_name("Zoe\u0308") == "Zoë"  # NFC
    assert normalisers.normalise_name("   ") is None
    assert mapping.is_invalid(mapping.normalise_field("first_name", "x" * 36))
    assert mapping.normalise_field("last_name", "x" * 50) == "x" * 50


def test_dates_become_iso() -> None:
    assert normalisers.normalise_date(date(2027, 1, 15)) == "2027-01-15"
    assert normalisers.normalise_date(datetime(2027, 1, 15, 23, 0)) == "2027-01-15"
    assert normalisers.normalise_date("2027-01-15T00:00:00") == "2027-01-15"
    assert normalisers.normalise_date("1/15/2027") == "2027-01-15"
    assert normalisers.normalise_date("") is None
    with pytest.raises(InvalidFieldValue):
        normalisers.normalise_date("next month")


def test_numbers() -> None:
    assert normalisers.normalise_bedrooms(2.0) == 2
    assert normalisers.normalise_bedrooms("0") == 0
    assert normalisers.normalise_bathrooms(1.5) == 1.5
    assert normalisers.normalise_bathrooms("2") == 2.0
    assert normalisers.normalise_rent(1850.5) == 1851
    assert normalisers.normalise_rent("$1,850") == 1850
    assert normalisers.normalise_rent(None) is None
    for field, bad in [
        ("desired_bedrooms", 2.5),
        ("desired_bedrooms", 11),
        ("desired_bedrooms", True),
        ("desired_bathrooms", -1),
        ("max_rent", -5),
        ("max_rent", "a lot"),
        ("max_rent", float("nan")),
    ]:
        assert mapping.is_invalid(mapping.normalise_field(field, bad)), (field, bad)


def test_pets_false_and_unknown_are_the_same() -> None:
    assert normalisers.normalise_pets(True) is True
    assert normalisers.normalise_pets(False) is None
    assert normalisers.normalise_pets(None) is None
    assert normalisers.normalise_pets("yes") is True
    assert mapping.is_invalid(mapping.normalise_field("pets", "maybe"))


def test_notes_ignore_line_ends_and_trailing_blanks() -> None:
    assert normalisers.normalise_text("a  \r\nb\rc\n\n") == "a\nb\nc"
    assert normalisers.normalise_text("a\x00b\tc") == "ab c"
    assert normalisers.normalise_text(" \n ") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Qualification.NEW, "active"),
        (Qualification.QUALIFIED, "active"),
        (Qualification.DISQUALIFIED, "lost"),
        ("lost", "lost"),
        ("active", "active"),
    ],
)
def test_qualification(value: Any, expected: str) -> None:
    assert normalisers.normalise_qualification(value) == expected


# --------------------------------------------------------------------------- both sides


def test_both_sides_give_the_same_keys_and_compare_equal() -> None:
    lead_fields = mapping.lead_to_fields(make_lead())
    prospect_fields = mapping.prospect_to_fields(make_prospect())
    assert list(lead_fields) == list(SYNCED_FIELDS) == list(prospect_fields)
    assert lead_fields == prospect_fields
    assert lead_fields["qualification"] == "active"


def test_lost_prospect_is_a_disqualified_lead() -> None:
    lead = mapping.lead_to_fields(make_lead(qualification="disqualified"))
    prospect = mapping.prospect_to_fields(make_prospect(customer_type="lost"))
    assert lead["qualification"] == prospect["qualification"] == "lost"
    assert mapping.prospect_to_fields(make_prospect(customer_type="applicant"))[
        "qualification"
    ] == ("active")


def test_prospect_phone_prefers_mobile_then_home_then_work() -> None:
    phones = (
        mits.ProspectPhone(number="512-555-0101", phone_type="Work"),
        mits.ProspectPhone(number="512-555-0102", phone_type="Home"),
        mits.ProspectPhone(number="512-555-0103", phone_type="cell"),
    )
    assert mapping.pick_phone(make_prospect(phones=phones)) == "512-555-0103"
    assert mapping.pick_phone(make_prospect(phones=phones[:2])) == "512-555-0102"
    assert mapping.pick_phone(make_prospect(phones=phones[:1])) == "512-555-0101"
    untyped = (mits.ProspectPhone(number="512-555-0109"),)
    assert mapping.pick_phone(make_prospect(phones=untyped)) == "512-555-0109"
    assert mapping.pick_phone(make_prospect(phones=())) is None


def test_range_value_is_exact_else_lower_bound() -> None:
    assert mapping.range_value(mits.NumberRange(exact=2, min=1, max=3)) == 2
    assert mapping.range_value(mits.NumberRange(min=1, max=2)) == 1
    assert mapping.range_value(mits.NumberRange(max=3)) == 3
    assert mapping.range_value(mits.NumberRange()) is None


@pytest.mark.parametrize("name", SYNCED_FIELDS)
def test_wrong_types_become_markers_not_errors(name: str) -> None:
    value = mapping.normalise_field(name, object())
    assert mapping.is_invalid(value)


def test_invalid_lead_values_become_markers_not_errors() -> None:
    fields = mapping.lead_to_fields(make_lead(phone="555-0143", email="nope"))
    assert mapping.is_invalid(fields["phone"]) and mapping.is_invalid(fields["email"])


# --------------------------------------------------------------------------- inverse


def test_domiq_patch() -> None:
    body = mapping.fields_to_domiq_patch(
        {"qualification": "lost", "pets": None, "phone": "+15125550143", "desired_move_in": None}
    )
    assert body == {
        "qualification": "disqualified",
        "pets": False,
        "phone": "+15125550143",
        "desired_move_in": None,
    }
    assert mapping.fields_to_domiq_patch({"qualification": "active"}) == {
        "qualification": "qualified"
    }
    with pytest.raises(ValueError):
        mapping.fields_to_domiq_patch({"phone": InvalidValue("x", "bad")})
    with pytest.raises(ValueError):
        mapping.fields_to_domiq_patch({"source": "sms"})


def test_prospect_fields_for_an_update() -> None:
    update = mapping.fields_to_prospect_fields(
        {
            "phone": "+15125550143",
            "desired_move_in": "2027-01-15",
            "email": None,
            "notes": "hi",
            "max_rent": 1900,
            "qualification": "lost",
        }
    )
    assert update.given == {"phone", "target_move_in", "email", "comments", "desired_rent"}
    assert update.phone == "(512) 555-0143"
    assert update.target_move_in == date(2027, 1, 15)
    assert update.email is None and update.desired_rent == 1900
    assert mapping.resman_status_change({"qualification": "lost"}) is StatusChange.LOST
    assert mapping.resman_status_change({"qualification": "active"}) is StatusChange.REACTIVATE
    assert mapping.resman_status_change({"email": None}) is None


def test_new_prospect_fields_skip_empty_and_invalid() -> None:
    fields = mapping.lead_to_fields(make_lead(email=None, phone="bad"))
    create = mapping.new_prospect_fields(fields)
    assert "email" not in create.given and "phone" not in create.given
    assert create.first_name == "Maya" and create.pets is True


def test_severity() -> None:
    for name in ("first_name", "last_name", "email", "phone", "qualification"):
        assert mapping.severity_for(name) is ConflictSeverity.HIGH
    for name in ("desired_move_in", "desired_bedrooms", "desired_bathrooms", "max_rent", "pets"):
        assert mapping.severity_for(name) is ConflictSeverity.MEDIUM
    assert mapping.severity_for("notes") is ConflictSeverity.LOW
    assert set(mapping.SEVERITY) == set(SYNCED_FIELDS)


def test_duplicate_matches_follow_resmans_rule() -> None:
    ours = mapping.lead_to_fields(make_lead())
    theirs = mapping.prospect_to_fields(make_prospect())
    assert mapping.duplicate_matches(ours, theirs) == ("email", "phone", "name")
    other = {**theirs, "email": None, "phone": "+15125550199", "first_name": "MAYA"}
    assert mapping.duplicate_matches(ours, other) == ("name",)
    nobody = {**other, "last_name": "Smith"}
    assert mapping.duplicate_matches(ours, nobody) == ()
    empty = {**ours, "email": None}
    assert "email" not in mapping.duplicate_matches(empty, {**theirs, "email": None})


@FAST
@given(
    first=st.text(max_size=40),
    email=st.none() | st.text(max_size=40),
    phone=st.none() | st.text(max_size=20),
    rent=st.none() | st.integers(-10, 10**6),
    notes=st.none() | st.text(max_size=80),
)
def test_lead_to_fields_never_raises_and_is_stable(
    first: str, email: str | None, phone: str | None, rent: int | None, notes: str | None
) -> None:
    fields = mapping.lead_to_fields(
        make_lead(first_name=first, email=email, phone=phone, max_rent=rent, notes=notes)
    )
    again = {name: mapping.normalise_field(name, value) for name, value in fields.items()}
    assert again == fields
