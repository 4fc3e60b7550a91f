"""How a live-feed connection ended, and what that means for the next one.

Apart from the connection loop (`domiq_feed.py`) because reading DomIQ's close codes and
handshake failures is a table of cases, while the loop only acts on the answer: whether
the connection had proven itself (the backoff starts over), whether to reconnect at once,
whether the resume point was refused (start over after a full pull), or whether the token
was refused (wait for a manual reconnect).
"""

from __future__ import annotations

from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from leadsync_tui.clients.errors import certificate_problem

CLOSE_UNAUTHORIZED = 4401
CLOSE_BAD_REQUEST = 4400
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_MESSAGE_TOO_BIG = 1009


class AuthRefused(Exception):
    """DomIQ refused the token: the feed waits for `request_reconnect()`."""


class Ended(Exception):
    """A connection ended in a way that says how to go on."""

    def __init__(
        self,
        reason: str,
        *,
        proven: bool,
        immediate: bool = False,
        resume_refused: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.proven = proven
        self.immediate = immediate
        self.resume_refused = resume_refused
        """The server refuses our `since`: start over from now, after a full pull."""


def ended_by_close(exc: ConnectionClosed, *, proven: bool, max_frame: int) -> Exception:
    """What a closed connection means (`Ended` or `AuthRefused`), from its close frames."""
    if exc.sent is not None and exc.sent.code == CLOSE_MESSAGE_TOO_BIG:
        return Ended(f"DomIQ sent a frame over {max_frame} bytes; reconnecting", proven=False)
    frame = exc.rcvd
    if frame is None:
        return Ended("connection dropped", proven=proven)
    if frame.code == CLOSE_UNAUTHORIZED:
        return AuthRefused(f"DomIQ refused the token ({frame.reason or 'unauthorized'})")
    if frame.code == CLOSE_BAD_REQUEST:
        return Ended(
            f"server refused the resume point ({frame.reason})",
            proven=proven,
            resume_refused=True,
        )
    if frame.code == CLOSE_TRY_AGAIN_LATER:
        return Ended("fell behind; resuming", proven=True, immediate=True)
    return Ended(f"closed by DomIQ ({frame.code} {frame.reason})".strip(), proven=proven)


def failed_to_connect(exc: Exception) -> Exception:
    """What a failed handshake or connect means (`Ended` or `AuthRefused`)."""
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        if status in (401, 403):
            return AuthRefused(f"DomIQ refused the token (HTTP {status})")
        return Ended(f"handshake refused (HTTP {status})", proven=False)
    if isinstance(exc, InvalidURI):
        return Ended(f"bad feed URL ({exc})", proven=False)
    problem = certificate_problem(exc)
    if problem is not None:
        return Ended(f"cannot connect: {problem}", proven=False)
    return Ended(f"cannot connect ({type(exc).__name__}: {exc})", proven=False)
