"""Snapshots of the leads table and the status badge: what an operator actually sees.

Deterministic by construction: fixed leads (`sample_leads`), a frozen clock, no age
timer, no cursor blink (the table has none), and the theme set explicitly.
Regenerate with `pytest tests/widgets --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol

import pytest
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.pilot import Pilot

from leadsync_tui.models import Lead, SyncStatus
from leadsync_tui.widgets import LeadsTable, LeadSyncStatus
from tests.widgets.sample_leads import NOW, frozen_clock, sample_leads

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


class SnapCompare(Protocol):
    def __call__(
        self,
        app: App[None],
        *,
        terminal_size: tuple[int, int] = ...,
        run_before: Callable[[Pilot[None]], Awaitable[None]] | None = ...,
    ) -> bool: ...


class TableSnapApp(App[None]):
    """The leads table alone, focused."""

    def __init__(
        self, leads: list[Lead], *, theme: str = "textual-dark", mask_pii: bool = False
    ) -> None:
        super().__init__()
        self.leads = leads
        self.initial_theme = theme
        self.mask_pii = mask_pii

    def compose(self) -> ComposeResult:
        yield LeadsTable(
            self.leads, clock=frozen_clock, mask_pii=self.mask_pii, age_refresh=None, id="leads"
        )

    def on_mount(self) -> None:
        self.theme = self.initial_theme
        self.query_one(LeadsTable).focus()


def table(pilot: Pilot[None]) -> LeadsTable:
    return pilot.app.query_one(LeadsTable)


async def filtered(pilot: Pilot[None]) -> None:
    table(pilot).set_filter("oakridge")


async def sorted_reversed(pilot: Pilot[None]) -> None:
    table(pilot).sort_by("name", reverse=True)


async def marked(pilot: Pilot[None]) -> None:
    await pilot.press("down", "space", "down", "down", "space", "down", "space")


async def cursor_moved(pilot: Pilot[None]) -> None:
    await pilot.press("down", "down", "down")


STATES: dict[str, tuple[dict[str, object], Callable[[Pilot[None]], Awaitable[None]] | None]] = {
    "every_status": ({}, cursor_moved),
    "empty": ({"leads": []}, None),
    "filtered": ({}, filtered),
    "sorted_reversed": ({}, sorted_reversed),
    "marked": ({}, marked),
    "masked_pii": ({"mask_pii": True}, None),
    "light_theme": ({"theme": "textual-light"}, marked),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("state", STATES)
def test_leads_table(snap_compare: SnapCompare, state: str, size: str) -> None:
    options, run_before = STATES[state]
    leads = options.get("leads", sample_leads())
    assert isinstance(leads, list)
    app = TableSnapApp(
        leads,
        theme=str(options.get("theme", "textual-dark")),
        mask_pii=bool(options.get("mask_pii", False)),
    )
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


class BadgesSnapApp(App[None]):
    """One `LeadSyncStatus` per status, the failed one focused."""

    def __init__(self, theme: str) -> None:
        super().__init__()
        self.initial_theme = theme

    def compose(self) -> ComposeResult:
        ages = (
            None,
            timedelta(seconds=12),
            timedelta(minutes=5),
            timedelta(hours=3),
            timedelta(days=2),
        )
        with Vertical():
            for index, status in enumerate(SyncStatus):
                last = ages[index % len(ages)]
                yield LeadSyncStatus(
                    status,
                    None if last is None else NOW - last,
                    clock=frozen_clock,
                    age_refresh=None,
                    id=f"status-{status}",
                )

    def on_mount(self) -> None:
        self.theme = self.initial_theme
        self.query_one("#status-failed").focus()


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_lead_sync_status_badges(snap_compare: SnapCompare, theme: str) -> None:
    assert snap_compare(BadgesSnapApp(theme), terminal_size=(50, 7))
