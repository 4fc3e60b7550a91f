"""How far this machine's clock is from ResMan's, said once when it matters.

The ResMan poll runs on ResMan's time (`resman_poller`), so a skewed clock no longer
loses edits; but our clock still stamps the sync log, schedules retries and ages
conflicts, so a large skew is worth a warning: in the log (numbers only, never a
customer), in the journal (`clock_skew`), and in `leadsync status` through the
`CLOCK_CURSOR` row.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from leadsync_tui.models import format_utc
from leadsync_tui.store.db import Database
from leadsync_tui.sync.journal import Journal

logger = logging.getLogger(__name__)

CLOCK_CURSOR = "resman.clock"
"""JSON `{at, skew_s}`: our clock minus ResMan's at the last poll (read by `status`)."""
SKEW_WARNING = timedelta(seconds=30)
"""Beyond this the skew is reported (ResMan's `Date` is to the second, plus latency)."""


def describe_skew(seconds: float) -> str:
    """`this machine's clock is 2 min 5 s ahead of ResMan's` (or behind)."""
    whole = round(abs(seconds))
    minutes, rest = divmod(whole, 60)
    amount = f"{minutes} min {rest} s" if minutes else f"{rest} s"
    side = "ahead of" if seconds > 0 else "behind"
    return f"this machine's clock is {amount} {side} ResMan's"


def skew_problem(state: dict[str, Any] | None) -> str | None:
    """The `status` line for a recorded skew beyond `SKEW_WARNING`, else None."""
    if not state or not isinstance(state.get("skew_s"), int | float):
        return None
    seconds = float(state["skew_s"])
    if abs(seconds) < SKEW_WARNING.total_seconds():
        return None
    return (
        f"{describe_skew(seconds)} (measured {state.get('at', '?')} from its Date header); "
        "no ResMan edit is missed (the poll runs on ResMan's time), but log times, retries "
        "and conflict ages use this clock: set it right (NTP, e.g. `timedatectl set-ntp true`)"
    )


class SkewWatch:
    """Records each poll's skew; warns when it crosses `SKEW_WARNING`, and when it ends."""

    def __init__(self, db: Database, journal: Journal | None, now: Callable[[], datetime]) -> None:
        self._db = db
        self._journal = journal
        self._now = now
        self._warned: float | None = None
        """The skew last warned about (seconds), None while in step."""

    async def note(self, skew: timedelta | None) -> None:
        if skew is None:
            return
        seconds = round(skew.total_seconds(), 1)
        large = abs(seconds) >= SKEW_WARNING.total_seconds()
        if large and (self._warned is None or abs(seconds - self._warned) >= 30):
            self._warned = seconds
            logger.warning(
                "%s: the ResMan poll follows ResMan's time; set this clock right (NTP)",
                describe_skew(seconds),
            )
            self._emit(seconds, in_step=False)
        elif not large and self._warned is not None:
            self._warned = None
            logger.info("this machine's clock is back in step with ResMan's")
            self._emit(seconds, in_step=True)
        state = {"at": format_utc(self._now()), "skew_s": seconds}
        try:
            await self._db.set_cursor(CLOCK_CURSOR, json.dumps(state))
        except Exception:  # a courtesy for `status`, never a reason to fail a poll
            logger.exception("could not record the clock skew")

    def _emit(self, seconds: float, *, in_step: bool) -> None:
        if self._journal is not None:
            self._journal.emit("clock_skew", skew_s=seconds, in_step=in_step)
