"""A frozen clock for tests: time moves only when the test says so."""

from __future__ import annotations

from datetime import datetime, timedelta


class FrozenClock:
    """Call it for "now"; `advance(seconds)` moves it forward."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> datetime:
        self.at += timedelta(seconds=seconds)
        return self.at
