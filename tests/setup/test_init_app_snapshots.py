"""What a person sees in `leadsync init`'s guided screen at 80x24 (SSH): answers typed
and tried (both systems answered, the pairs proposed), and a wrong API key refused.

The real simulators answer (on their own thread: `snap_compare` runs its own loop); the
answers name fixed example URLs (`through`), so no run-to-run port shows. The token is
the simulators' demo token, the API keys obvious fakes; both show only as bullets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.setup.init_app_fixtures import (
    FAKE_DOMIQ,
    FAKE_RESMAN,
    fill,
    guided,
    settle,
    sims_on_a_thread,
    through,
)

SnapCompare = Callable[..., bool]


def typed(api_key: str) -> dict[str, str]:
    return {
        "domiq_url": FAKE_DOMIQ,
        "domiq_token": "domiq-demo-token",
        "resman_url": FAKE_RESMAN,
        "resman_partner_id": "leadsync-demo",
        "resman_api_key": api_key,
        "resman_account_id": "400",
    }


def tried(fields: dict[str, str], *, scroll: int = 0) -> Callable[[Pilot[int]], object]:
    async def run_before(pilot: Pilot[int]) -> None:
        await fill(pilot, fields)
        await pilot.press("ctrl+t")
        await settle(pilot)
        pilot.app.query_one("#try").focus()
        pilot.app.query_one("#form").scroll_to(y=scroll, animate=False)
        await settle(pilot)

    return run_before


@pytest.fixture
def config_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A relative config path, so the screen's first line is the same on every machine."""
    monkeypatch.chdir(tmp_path)
    return Path("leadsync.toml")


def test_filled_and_tried_at_80x24(snap_compare: SnapCompare, config_here: Path) -> None:
    with sims_on_a_thread() as sims:
        app = guided(config_here, discover=through(sims))
        assert snap_compare(
            app, terminal_size=(80, 24), run_before=tried(typed("resman-demo-key"), scroll=12)
        )


def test_wrong_api_key_at_80x24(snap_compare: SnapCompare, config_here: Path) -> None:
    with sims_on_a_thread() as sims:
        app = guided(config_here, discover=through(sims))
        assert snap_compare(
            app, terminal_size=(80, 24), run_before=tried(typed("fake-key-not-real"))
        )
