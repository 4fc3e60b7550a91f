"""The one way the UI runs work: workers and screen callbacks that never end the app.

Textual ends the app on any exception a worker (by default) or a message handler raises,
and prints the traceback with its local variables (customers' names, emails, phones) to
the terminal. Every screen therefore runs its background work through `ui_work` (a
decorator, in place of Textual's `@work`) or `run_ui_work` (in place of `run_worker`), and
opens screens with `push_screen` here (its result callback guarded, and nothing opened
from a screen no longer in front); `LeadSyncApp` runs every action through
`report_failure` too. Then:

- a worker or callback whose screen is gone (dismissed while the work waited on ResMan)
  drops its result quietly (a DEBUG line in the log);
- any other failure is logged with its traceback (to the log file only, never with
  locals) and shown in the `SyncErrorAlert` with a one-line reason and a pointer to the
  log; the app stays up.

`tests/test_ui_work.py` fails if a `run_worker` or `@work` in `leadsync_tui/` bypasses it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from textual._context import active_message_pump
from textual.app import App
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker

from leadsync_tui.store.db_errors import transient_store_error
from leadsync_tui.widgets.sync_error_alert import SyncErrorAlert, clean_text

logger = logging.getLogger("leadsync_tui.ui")

P = ParamSpec("P")
T = TypeVar("T")
N = TypeVar("N", bound=DOMNode)
R = TypeVar("R")

LOG_POINTER = "details in the log"


def is_gone(node: DOMNode) -> bool:
    """Whether `node`'s screen has left the stack (or the node was removed): a result
    meant for it has nowhere to go."""
    if not node.is_attached:
        return True
    screen = node if isinstance(node, Screen) else getattr(node, "screen", None)
    try:
        stack = node.app.screen_stack
    except Exception:  # the app is closing
        return True
    return screen is not None and screen not in stack


def failure_reason(what: str, error: BaseException) -> str:
    """One line for the user: what failed and why, without a traceback."""
    detail = clean_text(str(error), 160) or type(error).__name__
    return f"{what} failed: {detail} ({LOG_POINTER})"


def report_failure(node: DOMNode, what: str, error: BaseException) -> None:
    """Drop a failure of work whose screen is gone; otherwise log it and show it."""
    if is_gone(node):
        logger.debug("%s: result dropped, its screen is gone (%s)", what, type(error).__name__)
        return
    logger.error("%s failed", what, exc_info=error)
    show_failure(node, failure_reason(what, error))


def show_failure(node: DOMNode, reason: str) -> None:
    """Put `reason` in the dashboard's `SyncErrorAlert` (through the store, so closing it
    clears it); a toast too when the screen in front has no alert of its own."""
    try:
        app = node.app
    except Exception:
        return
    store = getattr(app, "store", None)
    if store is not None:

        async def post() -> None:
            try:
                await store.set_error(reason)
            except Exception:
                logger.exception("could not show a failure in the error bar")

        app.run_worker(post(), name="show-failure", group="ui-failure", exit_on_error=False)
    try:
        alert_in_front = bool(app.screen.query(SyncErrorAlert))
    except Exception:
        alert_in_front = False
    if not alert_in_front:
        app.notify(reason, title="Something went wrong", severity="error", timeout=8)


async def guarded(
    node: DOMNode, what: str, work: Awaitable[T], *, store_down_ok: bool = False
) -> T | None:
    """Await `work` for `node`; a failure is reported (never raised), cancellation kept.
    `store_down_ok`: work a timer repeats skips a store that does not answer (a
    PostgreSQL restart) without a word; the engine's seat says it once, in the header."""
    try:
        return await work
    except asyncio.CancelledError:
        raise
    except Exception as error:
        if store_down_ok and transient_store_error(error):
            logger.debug("%s skipped: the store does not answer (%s)", what, error)
            return None
        report_failure(node, what, error)
        return None


def run_ui_work(
    node: DOMNode,
    work: Awaitable[Any],
    *,
    name: str = "",
    group: str = "default",
    exclusive: bool = False,
    description: str = "",
) -> Worker[Any]:
    """`node.run_worker(work)` that can never end the app (see the module doc)."""
    what = description or name or "background work"
    return node.run_worker(
        guarded(node, what, work),
        name=name,
        group=group,
        description=description,
        exclusive=exclusive,
        exit_on_error=False,
    )


def ui_work(
    *, group: str = "default", exclusive: bool = False, description: str = ""
) -> Callable[
    [Callable[..., Coroutine[Any, Any, Any]]],
    Callable[..., Worker[Any]],
]:
    """Textual's `@work` for async methods of widgets and screens, run by `run_ui_work`."""

    def decorator(
        method: Callable[..., Coroutine[Any, Any, Any]],
    ) -> Callable[..., Worker[Any]]:
        what = description or method.__name__.strip("_").replace("_", " ")

        @functools.wraps(method)
        def start(self: DOMNode, *args: Any, **kwargs: Any) -> Worker[Any]:
            return run_ui_work(
                self,
                method(self, *args, **kwargs),
                name=method.__name__,
                group=group,
                exclusive=exclusive,
                description=what,
            )

        return start

    return decorator


def guard_callback(
    node: DOMNode, callback: Callable[[T], Any] | None, what: str = ""
) -> Callable[[T], Awaitable[None]] | None:
    """`callback` (sync or async) for a screen's result, reporting instead of raising."""
    if callback is None:
        return None
    label = what or getattr(callback, "__name__", "") or "screen result"
    label = label.strip("_").replace("_", " ")

    async def call(result: T) -> None:
        try:
            outcome = callback(result)
            if inspect.isawaitable(outcome):
                await outcome
        except asyncio.CancelledError:
            raise
        except Exception as error:
            report_failure(node, label, error)

    return call


def push_screen(
    node: DOMNode, screen: Screen[R], callback: Callable[[R | None], Any] | None = None
) -> bool:
    """Open `screen` over the app for `node`'s screen, `callback` guarded; the one way
    screens open others. False (and nothing opened) when `node`'s screen is no longer in
    front: keys typed in a burst are handled before the messages they cause (`c` posts
    "conflict selected", `n` opens the form at once), so a request from a screen that
    another has covered since, or that was dismissed, would stack a second modal over
    the first, or open one behind it."""
    app = node.app
    requester = node if isinstance(node, Screen) else node.screen
    if requester is not app.screen:
        logger.debug(
            "not opening %s: %s is no longer in front",
            type(screen).__name__,
            type(requester).__name__,
        )
        return False
    app.push_screen(screen, guard_callback(node, callback))
    return True


def stale_request(app: App[Any], front: Screen[Any]) -> bool:
    """Whether the handler running now belongs to a screen other than `front` (one that
    was closed or covered since its key was queued): what it asks for is not for `front`."""
    caller = active_message_pump.get(None)
    if caller is None or caller is app:
        return False
    if isinstance(caller, Screen):
        screen: Screen[Any] | None = caller
    else:
        try:
            screen = caller.screen if isinstance(caller, Widget) else None
        except Exception:  # detached: certainly not in front
            return True
    return screen is not None and screen is not front


def action_label(action_name: str) -> str:
    """`bulk_resolve` -> `Bulk resolve`, for the one-line reason."""
    return action_name.replace("_", " ").strip().capitalize() or "Action"


def crash_notice() -> str:
    """What the terminal shows when the app did end on an error: one line, no traceback."""
    from leadsync_tui.logging_setup import current_log_file

    where = current_log_file()
    pointer = f"details in {where}" if where else "run with --log-level DEBUG for details"
    return f"leadsync stopped on an internal error; {pointer}."
