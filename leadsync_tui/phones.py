"""Phone numbers read, checked and written with libphonenumber (`phonenumbers`).

DomIQ keeps E.164 (`+15125550143`); ResMan's staff type national numbers and its
matchers compare digits. Parsing and validity come from libphonenumber's numbering
plans (how long each country's numbers are, which ranges are in use), not from rules
written here; what we add is what we refuse to guess (letters and extensions, which
E.164 cannot carry) and, for +1 numbers, the North American plan's shape alone, so an
area code newer than the library's data is not refused. US is the default country, as
both systems are American.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

DEFAULT_REGION = "US"
"""Where a number written without a country code is read."""

_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
"""What a phone may be written with: digits, one leading +, spaces and punctuation (no
letters: libphonenumber would read `CALL` as 2255; no `x12`: an extension)."""
_NON_DIGITS = re.compile(r"\D")
_NANP_PLAN = re.compile(r"[2-9](?!11)\d{2}[2-9]\d{6}")
"""The North American plan's shape, NXX NXX-XXXX with no N11 area code, that every +1
number must have. libphonenumber also knows which area codes are in service today; a
number is not refused for an area code opened after the library's data was cut."""


class PhoneError(ValueError):
    """Not a phone number we can write as E.164; the message says why (no PII beyond
    the value the person typed, shown back to them)."""


def _parse(raw: str) -> PhoneNumber:
    try:
        return phonenumbers.parse(raw, DEFAULT_REGION)
    except NumberParseException:
        raise PhoneError(f"{raw!r} is not a valid international phone number") from None


def normalise_phone(value: str | None) -> str | None:
    """E.164 with US as the default country; None for blank; `PhoneError` else.

    `(512) 555-0143`, `512.555.0143`, `+1 512 555 0143`, `15125550143` -> `+15125550143`.
    `+44 20 7946 0958` and `011 44 20 7946 0958` -> `+442079460958`.
    Letters, extensions, 7-digit local numbers and numbers no numbering plan allows are
    refused: guessing would put a wrong number on a guest card.
    """
    if value is None or not value.strip():
        return None
    raw = value.strip()
    if not _PHONE_CHARS.match(raw):
        raise PhoneError(f"{raw!r} is not a phone number (letters or extension?)")
    number = _parse(raw)
    national_number = phonenumbers.national_significant_number(number)
    if number.country_code == 1:
        valid = _NANP_PLAN.fullmatch(national_number) is not None
    else:
        valid = phonenumbers.is_valid_number(number)
    if not valid:
        digits = _NON_DIGITS.sub("", raw)
        national = len(digits) == 10 or (len(digits) == 11 and digits.startswith("1"))
        if number.country_code == 1 and not raw.startswith(("+", "011")) and not national:
            raise PhoneError(f"{raw!r} has {len(digits)} digits; a US number needs 10")
        if number.country_code == 1:
            raise PhoneError(f"{raw!r} is not a valid US/Canadian phone number")
        raise PhoneError(f"{raw!r} is not a valid international phone number")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_for_resman(e164: str) -> str:
    """How we write a phone to ResMan: +1 numbers as `(512) 555-0143`, others E.164 (a
    value that is not a phone number is written as it is).

    ResMan's duplicate matcher and SearchProspects compare digits only, and its staff
    type national numbers: `+15125550143` would not match a stored `(512) 555-0143`.
    """
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except NumberParseException:
        return e164
    if number.country_code == 1 and len(phonenumbers.national_significant_number(number)) == 10:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return e164


def phone_digits_for_search(e164: str) -> str:
    """The digits to pass to SearchProspects' `Phone` (it compares stored digits)."""
    return _NON_DIGITS.sub("", phone_for_resman(e164))


def phone_search_forms(phone: str) -> list[str]:
    """The digit strings to try for SearchProspects' Phone (it compares stored digits).

    US numbers are stored as typed by staff: `(512) 555-0143` -> 10 digits, or with the
    country code -> 11; try both. Other numbers: country code and national digits.
    """
    try:
        number = phonenumbers.parse(phone, DEFAULT_REGION)
    except NumberParseException:
        return []
    national = phonenumbers.national_significant_number(number)
    if number.country_code == 1:
        return [national, f"1{national}"]
    return [f"{number.country_code}{national}"]
