"""ResMan's time, read from the `Date` header of its answers.

The ResMan poll must advance on ResMan's clock, not ours: its Modified window is tested
against `LastModified` stamps ResMan writes with its own time, so a window that ends at
our "now" misses every edit when our clock runs ahead (and a local step back made the
window end before it started). Every answer's `Date` says what time it is at ResMan;
between answers the reading is carried forward on the monotonic clock, which a wall-clock
step does not move. `skew` is how far our wall clock is from ResMan's, for a warning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP `Date` (IMF-fixdate, or the obsolete forms) as aware UTC; None if absent or
    unreadable (a malformed header must not fail the call it came with)."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # "-0000": UTC by RFC 5322
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Reading:
    """One `Date` as received: ResMan's time, ours, and the monotonic instant."""

    resman: datetime
    local: datetime
    monotonic: float

    @property
    def skew(self) -> timedelta:
        """Our wall clock minus ResMan's (positive: ours is ahead)."""
        return self.local - self.resman


class ResmanClock:
    """The latest `Date` ResMan sent, carried forward; None until it has answered once."""

    def __init__(
        self,
        *,
        wall: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall or (lambda: datetime.now(UTC))
        self._monotonic = monotonic
        self.latest: Reading | None = None
        """The latest answer that had a readable `Date`."""
        self.answered_at: datetime | None = None
        """The `Date` of the very latest answer (None: it had none). Read it in the same
        synchronous step as the answer is handled: the next answer replaces it."""

    def observe(self, header: str | None) -> datetime | None:
        """Record an answer's `Date` header; ResMan's time it says (None if none)."""
        moment = parse_http_date(header)
        self.answered_at = moment
        if moment is not None:
            self.latest = Reading(moment, self._wall(), self._monotonic())
        return moment

    def now(self) -> datetime | None:
        """ResMan's time now: the latest `Date` plus the monotonic time since it came."""
        latest = self.latest
        if latest is None:
            return None
        elapsed = max(0.0, self._monotonic() - latest.monotonic)
        return latest.resman + timedelta(seconds=elapsed)

    def skew(self) -> timedelta | None:
        """Our wall clock minus ResMan's at the latest answer (`Date` is to the second)."""
        return None if self.latest is None else self.latest.skew
