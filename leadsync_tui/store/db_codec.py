"""How values become column text and back: fixed-width UTC timestamps and JSON.

Timestamps are stored as fixed-width ISO 8601 UTC text with microseconds, so they sort
as text; JSON columns hold pydantic dumps.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pydantic_core


def _ts(value: datetime) -> str:
    """Fixed-width UTC text, so comparisons and ORDER BY on the column are by time."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


def _ts_or_none(value: datetime | None) -> str | None:
    return None if value is None else _ts(value)


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _dt_or_none(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _to_json(value: Any) -> str:
    """JSON for any value pydantic can serialise (dates, decimals, models)."""
    return pydantic_core.to_json(value).decode()


def _json_list(values: Iterable[Any]) -> str:
    """One bound parameter for `IN (SELECT value FROM json_each(?))`: no variable limit."""
    return json.dumps(list(values))
