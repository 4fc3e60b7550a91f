"""Masks for personal data, for screen sharing (`--mask-pii` and the in-app toggle).

Each mask keeps just enough to tell rows apart on a shared screen (an initial, a mail
domain, the last four digits) and nothing that identifies the person.
"""

from __future__ import annotations

_DOT = "•"


def mask_name(first_name: str, last_name: str) -> str:
    """Initials: "Maria Ortiz" -> "M. O."; a missing part is left out."""
    initials = [f"{part.strip()[0].upper()}." for part in (first_name, last_name) if part.strip()]
    return " ".join(initials)


def mask_email(email: str) -> str:
    """First letter and domain: "maria.ortiz@example.com" -> "m***@example.com"."""
    local, at, domain = email.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    """Last four digits only: "+15125550143" -> "+1 ••• ••• 0143".

    A North American (+1) number keeps its country code, as the unmasked form would show
    it; any other number hides the country code too, since its length varies.
    """
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) <= 4:
        return _DOT * 4
    hidden = f"{_DOT * 3} {_DOT * 3}"
    if phone.startswith("+1") and len(digits) == 11:
        return f"+1 {hidden} {digits[-4:]}"
    prefix = "+" if phone.startswith("+") else ""
    return f"{prefix}{hidden} {digits[-4:]}"
