"""Counts in words, as the screens' toasts and notes say them."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 lead`, `3 leads` (thousands separated); `plural(2, "is", "are")` -> `2 are`."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"
