"""`SyncErrorAlert`: a one-to-three-line error bar with optional Retry and a close button.

Spec: `SyncErrorAlert { error, onRetry?, onClose }`. The callbacks become messages:
`on_retry` -> `SyncErrorAlert.RetryRequested`, offered only while `retryable` is true (the
spec's "onRetry is given"); `on_close` -> `SyncErrorAlert.Closed`. The widget does not hide
itself on close: the app clears `error` (an empty error hides the bar) or removes it.

Error text comes from upstream systems, proxies and exceptions, so it is treated as hostile:
`clean_text` drops control and format characters and ANSI escapes, folds newlines, caps the
length, and the text is never parsed as markup. The bar lays its lines out itself (at most
`max_lines`, the last cut with "…"), so a 10 KB stack trace cannot push the screen around.
"""

from __future__ import annotations

import re
import unicodedata

from textual.binding import Binding
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

MAX_ERROR_LENGTH = 500
"""Characters of an error kept: more than three lines of the widest terminal."""

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_SPACES = re.compile(r"\s+")
_MAX_MARKS = 2
"""Combining marks kept per base character ("Zalgo" text stacks hundreds)."""


def clean_text(text: str, limit: int = MAX_ERROR_LENGTH) -> str:
    """`text` made safe for a one-line cell: printable, single-spaced, at most `limit` chars.

    Removes ANSI escapes, control / format / private-use characters (bidi overrides,
    zero-width joiners, NUL, ESC ...) and excess combining marks; turns every run of
    whitespace (newlines, tabs) into one space; cuts to `limit` with a trailing "…".
    """
    text = _ANSI.sub("", text[: limit * 4 + 64])  # bound the work on huge inputs
    kept: list[str] = []
    marks = 0
    for char in text:
        category = unicodedata.category(char)
        if char.isspace():
            kept.append(" ")
        elif category[0] == "C":
            continue
        elif category[0] == "M":
            marks += 1
            if marks <= _MAX_MARKS:
                kept.append(char)
            continue
        else:
            kept.append(char)
        marks = 0
    cleaned = _SPACES.sub(" ", "".join(kept)).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


class SyncErrorAlert(Widget, can_focus=True):
    """`✖ <error>` with `Retry` (when retryable) and `✕` (close) at the right.

    | Key | Action |
    | :- | :- |
    | r | Retry (only when `retryable`) |
    | escape | Close |
    """

    BINDINGS = [
        Binding("r", "retry", "Retry"),
        Binding("escape", "close", "Close"),
    ]

    COMPONENT_CLASSES = {"sync-error-alert--glyph"}
    """
    | Class | Styles |
    | :- | :- |
    | `sync-error-alert--glyph` | The leading `✖` |

    The clickable `Retry` and `✕` are drawn with the widget's `link-*` styles.
    """

    DEFAULT_CSS = """
    SyncErrorAlert {
        width: 1fr;
        height: auto;
        max-height: 3;
        padding: 0 1;
        background: $error 20%;
        color: $text;
        link-color: $text;
        link-background: $error 50%;
        link-style: bold;
        link-color-hover: $text;
        link-background-hover: $error;
        link-style-hover: bold;
        & > .sync-error-alert--glyph { color: $text-error; text-style: bold; }
        &:focus { background: $error 30%; link-background: $error 70%; }
    }
    """

    error: reactive[str] = reactive("", layout=True)
    """The error to show (spec: `error`); empty hides the bar."""
    retryable: reactive[bool] = reactive(False, layout=True, bindings=True)
    """Whether Retry is offered (spec: whether `onRetry` is given)."""
    max_lines: reactive[int] = reactive(3, layout=True)
    """Most lines the bar takes; the text is cut with "…" to fit."""

    class _Request(Message):
        """Base of the alert's messages: which alert, and the error it showed."""

        def __init__(self, alert: SyncErrorAlert) -> None:
            super().__init__()
            self.alert = alert
            self.error = alert.error
            """The error as given (not cleaned), for logs."""

        @property
        def control(self) -> SyncErrorAlert:
            return self.alert

    class RetryRequested(_Request):
        """The user asked to retry what failed (spec: `onRetry`)."""

    class Closed(_Request):
        """The user dismissed the alert (spec: `onClose`)."""

    def __init__(
        self,
        error: str = "",
        *,
        retryable: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(SyncErrorAlert.error, error)
        self.set_reactive(SyncErrorAlert.retryable, retryable)
        self.display = bool(error)

    def watch_error(self, error: str) -> None:
        self.display = bool(error)

    @property
    def message(self) -> str:
        """The error as shown: cleaned and capped (before wrapping)."""
        return clean_text(self.error)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.retryable
        return True

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Content:
        return Content("\n").join(self._lines(self.content_region.width))

    def _lines(self, width: int) -> list[Content]:
        """The bar laid out in `width` cells: glyph + wrapped text, actions on line one."""
        actions = self._actions()
        text_width = max(8, width - 2 - actions.cell_length - 1)
        body = Content(self.message)
        lines = body.wrap(text_width) if body else [Content("")]
        limit = max(1, self.max_lines)
        if len(lines) > limit:
            lines = lines[:limit]
            lines[-1] = lines[-1].truncate(text_width - 1).rstrip() + "…"
        glyph = Content.styled("✖ ", self._style("glyph"))
        rows: list[Content] = []
        for index, line in enumerate(lines):
            row = (glyph if index == 0 else Content("  ")) + line.rstrip()
            if index == 0:
                gap = max(1, width - row.cell_length - actions.cell_length)
                row = row + Content(" " * gap) + actions
            rows.append(row)
        return rows

    def _actions(self) -> Content:
        parts: list[Content] = []
        if self.retryable:
            parts += [_button(" Retry ", "retry"), Content(" ")]
        parts.append(_button(" ✕ ", "close"))
        return Content.assemble(*parts)

    def _style(self, component: str) -> Style:
        return self.get_visual_style(f"sync-error-alert--{component}", partial=True)

    def action_retry(self) -> None:
        """Ask the app to retry (ignored unless `retryable`)."""
        if self.retryable:
            self.post_message(self.RetryRequested(self))

    def action_close(self) -> None:
        """Ask the app to dismiss the alert."""
        self.post_message(self.Closed(self))


def _button(label: str, action: str) -> Content:
    """`label` as a link-styled button that runs `action` on the alert when clicked."""
    return Content.styled(label, Style.from_meta({"@click": action}))
