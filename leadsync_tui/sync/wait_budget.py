"""How long the engine may still wait on retries: `--max-wait`, shared by every wait.

Three kinds of waiting exist: a client's backoff between attempts of one call (its
`RetryPolicy` sleeps here), a reconcile pass retried after an upstream failed, and the
worker napping until the next outbox item is due. All draw from one budget, so
`leadsync sync --headless --once --max-wait 60` never waits more than 60 seconds in all
(concurrent waits each count in full: the bound is never exceeded, only approached).
A wait the budget cannot cover fails at once with `WaitBudgetSpent`, a retryable error:
the item stays in the outbox for the next run. Unlimited unless `limit()` is called.
"""

from __future__ import annotations

import asyncio
import math
from contextvars import ContextVar

from leadsync_tui.clients.errors import TransientError
from leadsync_tui.clients.retry import RetryAttempt

_RETRYING: ContextVar[str | None] = ContextVar("leadsync_retrying", default=None)
"""The error the current task is about to retry (tenacity reports it, then sleeps)."""


class WaitBudgetSpent(TransientError):
    """A retry would wait longer than the budget has left."""


class WaitBudget:
    """Seconds of waiting left (`math.inf`: unlimited, the long-running default)."""

    def __init__(self, seconds: float = math.inf) -> None:
        self.seconds = seconds

    def limit(self, seconds: float) -> None:
        self.seconds = max(0.0, seconds)

    def unlimit(self) -> None:
        self.seconds = math.inf

    def spend(self, seconds: float) -> None:
        self.seconds = max(0.0, self.seconds - max(0.0, seconds))

    def covers(self, seconds: float) -> bool:
        return seconds <= self.seconds

    def note(self, attempt: RetryAttempt) -> None:
        """A `RetryPolicy.on_retry` hook: remember why this task is about to wait."""
        _RETRYING.set(getattr(attempt.error, "message", None) or str(attempt.error))

    async def sleep(self, seconds: float) -> None:
        """A `RetryPolicy` sleep that draws from the budget (or refuses to wait)."""
        if not self.covers(seconds):
            why = _RETRYING.get()
            raise WaitBudgetSpent(
                f"{why} (not retried: --max-wait is spent)" if why else "--max-wait is spent"
            )
        self.spend(seconds)
        await asyncio.sleep(seconds)
