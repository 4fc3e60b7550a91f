"""`async with` for whatever holds connections: the upstream clients and the database.

One base, so that leaving the block always closes, the same way everywhere.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class AsyncClosing(ABC):
    """An async context manager whose exit awaits `aclose()`."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release what the object holds (connections, their threads)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
