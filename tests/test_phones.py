"""Phones as a person types them: one E.164 number, written back to ResMan the way its
staff type it, found again by SearchProspects; bad ones refused with a reason."""

from __future__ import annotations

import string

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync_tui.phones import (
    PhoneError,
    normalise_phone,
    phone_digits_for_search,
    phone_for_resman,
    phone_search_forms,
)

FAST = settings(max_examples=200, deadline=None, derandomize=True)


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
    assert normalise_phone(raw) == "+15125550143"


def test_international_phones_are_kept() -> None:
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalise_phone("011 44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("555-0143", "has 7 digits; a US number needs 10"),
        ("(512) 555-0143 x12", "letters or extension"),
        ("512-555-CALL", "letters or extension"),
        ("call me maybe", "letters or extension"),
        ("(112) 555-0143", "not a valid US/Canadian phone number"),
        ("(512) 155-0143", "not a valid US/Canadian phone number"),
        ("(911) 555-0143", "not a valid US/Canadian phone number"),
        ("+0 123 456 789", "not a valid international phone number"),
        ("+1234567", "not a valid US/Canadian phone number"),
        ("+1234567890123456", "not a valid US/Canadian phone number"),
        ("25125550143", "has 11 digits; a US number needs 10"),
        ("+44 20 7946", "not a valid international phone number"),
    ],
)
def test_bad_phones_are_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(PhoneError, match=reason):
        normalise_phone(raw)


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_phone_is_none(blank: str | None) -> None:
    assert normalise_phone(blank) is None


def test_what_resman_gets_and_what_is_searched() -> None:
    assert phone_for_resman("+15125550143") == "(512) 555-0143"
    assert phone_for_resman("+442079460958") == "+442079460958"
    assert phone_digits_for_search("+15125550143") == "5125550143"
    assert phone_search_forms("+15125550143") == ["5125550143", "15125550143"]
    assert phone_search_forms("(512) 555-0143") == ["5125550143", "15125550143"]
    assert phone_search_forms("+44 20 7946 0958") == ["442079460958"]
    assert phone_search_forms("n/a") == []


PHONEISH = st.text(alphabet=string.digits + " ()+-./x", max_size=20)
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def _accepted(raw: str) -> str | None:
    try:
        return normalise_phone(raw)
    except PhoneError:
        return None


@FAST
@given(raw=PHONEISH)
def test_normalising_twice_changes_nothing(raw: str) -> None:
    once = _accepted(raw)
    if once is not None:
        assert normalise_phone(once) == once


@FAST
@given(raw=PHONEISH)
def test_what_is_written_to_resman_reads_back_as_the_same_number_and_is_found(raw: str) -> None:
    e164 = _accepted(raw)
    if e164 is not None:
        assert normalise_phone(phone_for_resman(e164)) == e164
        assert phone_digits_for_search(e164) in phone_search_forms(e164)


@FAST
@given(
    region=st.sampled_from(REGIONS),
    style=st.sampled_from(
        [phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164]
    ),
)
def test_any_country_s_example_number_is_one_e164_number(region: str, style: int) -> None:
    example = phonenumbers.example_number(region)
    if example is None:
        return
    written = phonenumbers.format_number(example, style)
    assert normalise_phone(written) == phonenumbers.format_number(
        example, phonenumbers.PhoneNumberFormat.E164
    )


@FAST
@given(
    area=st.integers(200, 999).filter(lambda n: n % 100 != 11),
    exchange=st.integers(200, 999),
    line=st.integers(0, 9999),
)
def test_any_number_of_the_north_american_plan_is_accepted_and_written_back(
    area: int, exchange: int, line: int
) -> None:
    e164 = f"+1{area}{exchange}{line:04d}"
    assert normalise_phone(f"({area}) {exchange}-{line:04d}") == e164
    assert phone_for_resman(e164) == f"({area}) {exchange}-{line:04d}"


@FAST
@given(area=st.integers(200, 999), exchange=st.integers(200, 999), line=st.integers(0, 9999))
def test_a_us_number_accepted_in_one_spelling_is_accepted_in_all(
    area: int, exchange: int, line: int
) -> None:
    spellings = [
        f"({area}) {exchange}-{line:04d}",
        f"{area}.{exchange}.{line:04d}",
        f"1{area}{exchange}{line:04d}",
        f"+1 {area} {exchange} {line:04d}",
    ]
    results = {_accepted(s) for s in spellings}
    assert len(results) == 1
