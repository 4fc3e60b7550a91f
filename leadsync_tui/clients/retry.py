"""One retry policy for both upstream clients (tenacity underneath).

Why one: the engine must be able to reason about "how long can one client call take"
from a single place. A call is retried only when its error says `retryable` (5xx,
timeouts, rate limits, cut-off bodies); permanent errors (auth, validation, not found,
version conflicts) surface at once. Waits are jittered exponential so many leads failing
together do not retry in lock-step, and never shorter than the server's `Retry-After`.
Retrying is bounded twice: by attempts and by total seconds; a wait that would overrun
the time budget is not taken and the last error is raised instead, so the engine can
park the work and come back later.

The sleep function is injectable: tests assert the waits without waiting.

`exponential_wait` and `jittered_wait` are the project's one backoff: the outbox's next
attempt, the live feed's reconnects, the engine's failed passes and the worker's put-back
of an unstored result all wait by them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from leadsync_tui.clients.errors import SyncError

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
RetryIf = Callable[[BaseException], bool]


def is_retryable(error: BaseException) -> bool:
    """The default predicate: our typed errors that say retrying may help."""
    return isinstance(error, SyncError) and error.retryable


def retry_after_of(error: BaseException | None) -> float | None:
    """The server's requested wait carried by an error (`RateLimited.retry_after`)."""
    value = getattr(error, "retry_after", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def exponential_wait(attempt: int, *, initial: float, maximum: float) -> float:
    """`initial * 2**(attempt-1)` capped at `maximum`, for failed attempt `attempt`
    (1-based): the doubling every backoff here starts from."""
    try:
        return min(maximum, initial * 2.0 ** max(0, attempt - 1))
    except OverflowError:  # a feed down for days: the cap, not a crash
        return maximum


def jittered_wait(
    attempt: int,
    *,
    initial: float,
    maximum: float,
    jitter: float,
    rng: random.Random,
    retry_after: float | None = None,
) -> float:
    """The one backoff formula (client retries, outbox items, the live feed's reconnects):
    `exponential_wait` less up to `jitter` of it at random, so many callers failing
    together do not retry in lock-step; never shorter than the server's `retry_after`."""
    wait = exponential_wait(attempt, initial=initial, maximum=maximum)
    wait *= 1.0 - jitter * rng.random()
    return wait if retry_after is None else max(retry_after, wait)


@dataclass(frozen=True)
class RetryAttempt:
    """Told to `on_retry` before each wait: which attempt failed, why, how long we wait."""

    attempt: int
    error: BaseException
    wait: float


class RetryPolicy:
    """Bounded, jittered exponential retries of retryable errors, honouring Retry-After.

    The wait after failed attempt n (1-based) is `max(retry_after, jittered)` where
    `jittered = min(max_wait, initial_wait * 2**(n-1)) * (1 - jitter * U[0,1))`.
    `jitter=0` makes waits exact (tests); `jitter=1` is "full jitter".
    """

    def __init__(
        self,
        *,
        attempts: int = 5,
        total_seconds: float = 60.0,
        initial_wait: float = 0.5,
        max_wait: float = 20.0,
        jitter: float = 0.5,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
        on_retry: Callable[[RetryAttempt], None] | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if total_seconds <= 0 or initial_wait < 0 or max_wait < 0:
            raise ValueError("total_seconds must be > 0; initial_wait and max_wait >= 0")
        if not 0.0 <= jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")
        self.attempts = attempts
        self.total_seconds = total_seconds
        self.initial_wait = initial_wait
        self.max_wait = max_wait
        self.jitter = jitter
        self._sleep: Sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()
        self._on_retry = on_retry

    @classmethod
    def no_retries(cls) -> RetryPolicy:
        """One attempt only: for health checks and callers that retry themselves."""
        return cls(attempts=1)

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(attempts={self.attempts}, total_seconds={self.total_seconds:g}, "
            f"initial_wait={self.initial_wait:g}, max_wait={self.max_wait:g}, "
            f"jitter={self.jitter:g})"
        )

    def wait_seconds(self, attempt: int, error: BaseException | None = None) -> float:
        """How long to wait after failed attempt `attempt` (1-based) that raised `error`."""
        return jittered_wait(
            attempt,
            initial=self.initial_wait,
            maximum=self.max_wait,
            jitter=self.jitter,
            rng=self._rng,
            retry_after=retry_after_of(error),
        )

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.wait_seconds(state.attempt_number, error)

    def _before_sleep(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        if error is None:  # pragma: no cover - we only retry on exceptions
            return
        # Our clients log each failed attempt with its reason (`_http.log_failure`): once.
        reason = "logged above" if getattr(error, "logged", False) else str(error)
        logger.info(
            "attempt %d failed (%s: %s); retrying in %.2f s",
            state.attempt_number,
            type(error).__name__,
            reason,
            state.upcoming_sleep,
        )
        if self._on_retry is not None:
            self._on_retry(RetryAttempt(state.attempt_number, error, state.upcoming_sleep))

    def retrying(self, retry_if: RetryIf | None = None) -> AsyncRetrying:
        """A tenacity controller for this policy (raises the last error, never RetryError)."""
        return AsyncRetrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self.attempts) | stop_before_delay(self.total_seconds),
            wait=self._wait,
            retry=retry_if_exception(retry_if or is_retryable),
            before_sleep=self._before_sleep,
            reraise=True,
        )

    async def run(self, call: Callable[[], Awaitable[T]], *, retry_if: RetryIf | None = None) -> T:
        """Await `call()` until it succeeds, fails permanently, or the budget is spent.

        `retry_if` narrows (or replaces) which errors are retried, e.g. only errors where
        the request surely never took effect, for writes that are not idempotent.
        """
        result: T = await self.retrying(retry_if)(call)
        return result
