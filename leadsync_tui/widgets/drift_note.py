"""The drift scan's one line: "drift scan 1,240 of 3,100 pairs · 3 out of step".

Shown only while a scan runs (it takes no room otherwise). With `agreement` (the metrics
screen) it also says when a scan last found every pair in step, and stays shown once
that is known. Fed by the screen with the store's `DriftProgress`.
"""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Label

from leadsync_tui.store.changes import DriftProgress


def drift_text(progress: DriftProgress | None, *, agreement: bool) -> str:
    """The line for a progress (empty: nothing to show)."""
    if progress is None:
        return ""
    parts = []
    if progress.running:
        parts.append(
            f"drift scan {progress.checked:,} of {progress.total:,} pairs"
            f" · {progress.out_of_step:,} out of step"
        )
    elif agreement and progress.total:
        parts.append(f"{progress.out_of_step:,} pairs out of step at the last drift scan")
    if agreement and progress.last_agreement_at is not None:
        parts.append(f"last full agreement at {progress.last_agreement_at:%Y-%m-%d %H:%M} UTC")
    elif agreement and parts:
        parts.append("no full agreement yet")
    return " · ".join(parts)


class DriftScanNote(Label):
    """The drift scan's progress (and, with `agreement`, its last full agreement)."""

    DEFAULT_CSS = """
    DriftScanNote {
        width: auto;
        max-width: 50%;
        height: 1;
        padding: 0 1;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    progress: reactive[DriftProgress | None] = reactive(None, always_update=True)

    def __init__(
        self,
        progress: DriftProgress | None = None,
        *,
        agreement: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__("", id=id)
        self._agreement = agreement
        self.set_reactive(DriftScanNote.progress, progress)

    def on_mount(self) -> None:
        self._show()

    def watch_progress(self) -> None:
        self._show()

    def _show(self) -> None:
        text = drift_text(self.progress, agreement=self._agreement)
        self.update(text)
        self.display = bool(text)
