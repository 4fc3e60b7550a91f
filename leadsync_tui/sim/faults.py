"""Fault knobs shared by both simulators: what can go wrong, and how often.

Each simulator owns one `FaultSettings`, settable at start (`leadsync sim --fault-rate`,
`--latency-ms`) and at run time through its `/_sim/faults` control route. A request asks
`FaultSettings.draw()` which fault (if any) hits it; each simulator then answers that
fault in the way its real counterpart would (DomIQ: 500/503 JSON and 429 with
`Retry-After`; ResMan: its own refusal, see `sim/resman`).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Fault(StrEnum):
    """One injected failure."""

    ERROR = "error"
    """A 500 or 503."""
    RATE_LIMITED = "rate_limited"
    """The server refuses for load (DomIQ: 429 + Retry-After)."""
    MALFORMED = "malformed"
    """A 200 whose body is cut short or is not the expected format."""


class FaultSettingsError(ValueError):
    """A control request named an unknown knob or an out-of-range value."""


@dataclass
class FaultSettings:
    """Rates are fractions of requests, 0 to 1; `latency_ms` is added to every request."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    malformed_rate: float = 0.0
    ws_drop_rate: float = 0.0
    """Chance, per event frame sent, that the WebSocket is closed abruptly instead."""
    retry_after_s: int = 1
    """The `Retry-After` a rate-limited answer carries."""
    seed: int | None = None
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self.validate()

    @classmethod
    def uniform(
        cls, fault_rate: float, latency_ms: float = 0.0, seed: int | None = None
    ) -> FaultSettings:
        """`--fault-rate F`: split F evenly over errors, rate limits and malformed bodies."""
        share = fault_rate / 3
        return cls(
            latency_ms=latency_ms,
            error_rate=share,
            rate_limit_rate=share,
            malformed_rate=share,
            seed=seed,
        )

    def validate(self) -> None:
        for name in ("error_rate", "rate_limit_rate", "malformed_rate", "ws_drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise FaultSettingsError(f"{name} must be between 0 and 1, got {value}")
        if self.error_rate + self.rate_limit_rate + self.malformed_rate > 1.0:
            raise FaultSettingsError("error_rate + rate_limit_rate + malformed_rate exceed 1")
        if self.latency_ms < 0:
            raise FaultSettingsError(f"latency_ms must be >= 0, got {self.latency_ms}")
        if self.retry_after_s < 0:
            raise FaultSettingsError(f"retry_after_s must be >= 0, got {self.retry_after_s}")

    def draw(self) -> Fault | None:
        """Which fault hits this request, if any."""
        roll = self._rng.random()
        for fault, rate in (
            (Fault.ERROR, self.error_rate),
            (Fault.RATE_LIMITED, self.rate_limit_rate),
            (Fault.MALFORMED, self.malformed_rate),
        ):
            if roll < rate:
                return fault
            roll -= rate
        return None

    def drop_socket(self) -> bool:
        """Whether to close the live feed abruptly before the next frame."""
        return self.ws_drop_rate > 0 and self._rng.random() < self.ws_drop_rate

    def pick_error_status(self) -> int:
        return 503 if self._rng.random() < 0.5 else 500

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a control request; refuse unknown knobs and bad values as a whole."""
        known = set(self.as_dict()) - {"seed"}
        unknown = set(changes) - known
        if unknown:
            raise FaultSettingsError(
                f"unknown fault knob(s): {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(known))}"
            )
        before = self.as_dict()
        try:
            for key, value in changes.items():
                kind = type(before[key])
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise FaultSettingsError(f"{key} must be a number, got {value!r}")
                setattr(self, key, kind(value))
            self.validate()
        except FaultSettingsError:
            for key, value in before.items():
                setattr(self, key, value)
            raise
