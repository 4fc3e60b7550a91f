"""How long ago something happened, in the few characters a table cell has.

Pure and clock-free: the caller passes `now`, so tables and badges can share one frozen
clock in tests and one `now` per frame at run time.
"""

from __future__ import annotations

from datetime import datetime

NEVER = "never"
"""What an age reads when there is no timestamp (a lead that was never synced)."""

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


def format_age(then: datetime | None, now: datetime) -> str:
    """`then` as an age relative to `now`: "12s ago", "5m ago", "3h ago", "2d ago", "never".

    Units are whole and truncated (90 s is "1m ago"), so the text only changes when the
    displayed number does. A `then` in the future (clock skew between hosts) reads
    "just now" rather than a negative age.
    """
    if then is None:
        return NEVER
    seconds = int((now - then).total_seconds())
    if seconds < 1:
        return "just now"
    if seconds < _MINUTE:
        return f"{seconds}s ago"
    if seconds < _HOUR:
        return f"{seconds // _MINUTE}m ago"
    if seconds < _DAY:
        return f"{seconds // _HOUR}h ago"
    return f"{seconds // _DAY}d ago"
