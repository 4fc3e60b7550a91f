"""The shared retry policy: which errors are retried, how long it waits, when it stops."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from leadsync_tui.clients._http import parse_retry_after, redact
from leadsync_tui.clients.errors import (
    AuthError,
    MalformedResponse,
    NotFound,
    RateLimited,
    RemoteRejected,
    TransientError,
    ValidationFailed,
    VersionConflict,
)
from leadsync_tui.clients.retry import (
    RetryAttempt,
    RetryPolicy,
    exponential_wait,
    is_retryable,
    jittered_wait,
)
from tests.clients.sim_fixtures import RecordingSleep


class Flaky:
    """A call that raises the given errors in turn, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def policy(sleep: RecordingSleep, **options: float) -> RetryPolicy:
    settings: dict[str, float] = {
        "attempts": 5,
        "total_seconds": 60.0,
        "initial_wait": 0.5,
        "max_wait": 4.0,
        "jitter": 0.0,
    }
    settings.update(options)
    return RetryPolicy(
        attempts=int(settings["attempts"]),
        total_seconds=settings["total_seconds"],
        initial_wait=settings["initial_wait"],
        max_wait=settings["max_wait"],
        jitter=settings["jitter"],
        sleep=sleep,
    )


def test_waits_grow_exponentially_up_to_the_cap() -> None:
    p = policy(RecordingSleep())
    assert [p.wait_seconds(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_jitter_stays_within_its_band_and_varies() -> None:
    p = RetryPolicy(initial_wait=1.0, max_wait=8.0, jitter=0.5, rng=random.Random(3))
    waits = [p.wait_seconds(3) for _ in range(200)]
    assert all(2.0 <= w <= 4.0 for w in waits)
    assert len(set(waits)) > 100


def test_every_backoff_doubles_from_its_start_to_its_cap() -> None:
    # the engine's failed passes (1 s to 10 s), a result that could not be stored
    # (0.5 s to 10 s), the outbox (0.25 s to 60 s) and the live feed (0.5 s to 30 s)
    waits = {
        (initial, cap): [exponential_wait(n, initial=initial, maximum=cap) for n in range(1, 9)]
        for initial, cap in [(1.0, 10.0), (0.5, 10.0), (0.25, 60.0), (0.5, 30.0)]
    }
    assert waits == {
        (1.0, 10.0): [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0],
        (0.5, 10.0): [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0],
        (0.25, 60.0): [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
        (0.5, 30.0): [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0],
    }
    assert exponential_wait(0, initial=0.25, maximum=60.0) == 0.25
    assert exponential_wait(5000, initial=0.5, maximum=30.0) == 30.0  # days down: no overflow


def test_a_jittered_wait_is_half_to_all_of_the_doubled_one() -> None:
    rng = random.Random(5)
    waits = [jittered_wait(4, initial=0.25, maximum=60.0, jitter=0.5, rng=rng) for _ in range(200)]
    assert all(1.0 <= w <= 2.0 for w in waits)
    assert len(set(waits)) > 100
    late = jittered_wait(1, initial=0.25, maximum=60.0, jitter=0.5, rng=rng, retry_after=3.0)
    assert late == 3.0


def test_retry_after_is_a_floor_for_the_wait() -> None:
    p = policy(RecordingSleep())
    assert p.wait_seconds(1, RateLimited("slow down", retry_after=7)) == 7.0
    assert p.wait_seconds(4, RateLimited("slow down", retry_after=1)) == 4.0
    assert p.wait_seconds(1, RateLimited("slow down")) == 0.5


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (TransientError("503"), True),
        (RateLimited("429", retry_after=1), True),
        (MalformedResponse("cut"), True),
        (MalformedResponse("too big", retryable=False), False),
        (AuthError("401"), False),
        (ValidationFailed("422", field="email"), False),
        (NotFound("404"), False),
        (VersionConflict("412", current_version=3), False),
        (RemoteRejected("something odd"), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_errors_that_say_so_are_retryable(error: Exception, retryable: bool) -> None:
    assert is_retryable(error) is retryable


async def test_transient_errors_are_retried_until_success() -> None:
    sleep = RecordingSleep()
    call = Flaky(TransientError("a"), MalformedResponse("b"), RateLimited("c", retry_after=3))
    assert await policy(sleep).run(call) == "done"
    assert call.calls == 4
    assert sleep.waits == [0.5, 1.0, 3.0]


async def test_permanent_errors_are_raised_at_once() -> None:
    sleep = RecordingSleep()
    call = Flaky(ValidationFailed("bad email", field="email"))
    with pytest.raises(ValidationFailed):
        await policy(sleep).run(call)
    assert call.calls == 1
    assert sleep.waits == []


async def test_attempts_bound_the_retries_and_the_last_error_is_raised() -> None:
    sleep = RecordingSleep()
    call = Flaky(*(TransientError(f"try {i}") for i in range(10)))
    with pytest.raises(TransientError, match="try 2"):
        await policy(sleep, attempts=3).run(call)
    assert call.calls == 3
    assert len(sleep.waits) == 2


async def test_a_wait_that_would_overrun_the_time_budget_is_not_taken() -> None:
    sleep = RecordingSleep()
    call = Flaky(RateLimited("come back in an hour", retry_after=3600))
    with pytest.raises(RateLimited) as raised:
        await policy(sleep, total_seconds=30).run(call)
    assert raised.value.retry_after == 3600
    assert call.calls == 1
    assert sleep.waits == []


async def test_retry_if_narrows_what_is_retried() -> None:
    sleep = RecordingSleep()
    call = Flaky(TransientError("maybe applied"))
    with pytest.raises(TransientError):
        await policy(sleep).run(call, retry_if=lambda e: isinstance(e, RateLimited))
    assert call.calls == 1


async def test_on_retry_hears_of_every_wait() -> None:
    heard: list[RetryAttempt] = []
    p = RetryPolicy(
        attempts=3, initial_wait=0.25, jitter=0.0, sleep=RecordingSleep(), on_retry=heard.append
    )
    await p.run(Flaky(TransientError("x"), TransientError("y")))
    assert [(h.attempt, h.wait, str(h.error)) for h in heard] == [(1, 0.25, "x"), (2, 0.5, "y")]


async def test_no_retries_policy_makes_one_attempt() -> None:
    call = Flaky(TransientError("down"))
    with pytest.raises(TransientError):
        await RetryPolicy.no_retries().run(call)
    assert call.calls == 1


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)
    with pytest.raises(ValueError):
        RetryPolicy(total_seconds=0)


def test_retry_after_header_forms() -> None:
    now = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Tue, 24 Nov 2026 09:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Tue, 24 Nov 2026 08:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    assert parse_retry_after(None) is None


def test_redact_scrubs_a_secret_echoed_in_an_error() -> None:
    error = RemoteRejected("Invalid ApiKey s3cr3t for partner")
    redact(error, "s3cr3t")
    assert "s3cr3t" not in str(error)
    assert "s3cr3t" not in error.message
    assert "s3cr3t" not in error.error_description
    assert "***" in str(error)
