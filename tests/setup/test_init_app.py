"""`leadsync init` in a terminal, driven by Pilot against the real simulators: type the
answers, Try, accept the proposals, Write; a wrong API key is said under the ResMan
fields and nothing is written; leaving with typed answers asks first."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

from textual.widgets import Button, Select

from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.screens.init_app import InitApp, LeaveScreen
from leadsync_tui.screens.init_pairs import PairRow
from tests.setup.init_app_fixtures import answers, fill, guided, screen_text, settle, shown
from tests.setup.setup_fixtures import SECRETS, leadsync, simulators


def asking(app: InitApp) -> bool:
    """Whether the "leave without writing?" question is in front."""
    return isinstance(app.screen, LeaveScreen)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_try_accept_write_gives_a_file_that_passes_the_online_check(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leadsync.toml"
    async with simulators() as sims:
        app = guided(path)
        async with app.run_test(size=(80, 24)) as pilot:
            await fill(pilot, answers(sims))
            await pilot.press("ctrl+t")
            await settle(pilot)
            assert shown(app, "#domiq-status").startswith("✔ ")
            assert "accepted the credentials" in shown(app, "#resman-status")
            assert "both answered" in shown(app, "#try-status")
            rows = {row.domiq_id: row for row in app.query(PairRow)}
            for link in sims.world.properties:
                if link.domiq_id not in rows:
                    continue
                row = rows[link.domiq_id]
                assert row.query_one(".property", Select).value == link.property_id
                assert row.query_one(".source", Select).value == link.source_id
                assert row.query_one(".agent", Select).value == link.agent_id
            assert rows

            await pilot.press("ctrl+s")
            await settle(pilot)
            assert mode_of(path) == 0o600
            written = shown(app, "#written")
            assert 'token = "********"' in written and 'api_key = "********"' in written
            assert "online check: all" in shown(app, "#check")
            assert "✘" not in shown(app, "#check")
            assert not any(secret in screen_text(app) for secret in SECRETS)
            await pilot.press("escape")
        assert app.return_value == ExitCode.OK

        saved = tomllib.loads(path.read_text())
        for domiq_id in rows:
            link = next(p for p in sims.world.properties if p.domiq_id == domiq_id)
            assert saved["resman"]["properties"][domiq_id]["source_id"] == link.source_id
        check = await leadsync("config", "check", "--online", "--config", str(path))
    assert check.code == 0, check.out + check.err
    assert "online check: all" in check.out


async def test_a_wrong_api_key_is_said_under_resman_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leadsync.toml"
    async with simulators() as sims:
        app = guided(path)
        async with app.run_test(size=(80, 24)) as pilot:
            await fill(pilot, answers(sims, resman_api_key="not-the-key"))
            await pilot.press("ctrl+t")
            await settle(pilot)
            assert shown(app, "#domiq-status").startswith("✔ ")
            failure = shown(app, "#resman-status")
            assert failure.startswith("✘ ResMan at ") and "refused the credentials" in failure
            assert "[resman] api_key" in failure
            assert "not-the-key" not in screen_text(app)
            assert app.query_one("#write", Button).disabled
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert "Try first" in shown(app, "#write-status")

            await pilot.press("escape")
            await pilot.pause()
            assert asking(app)
            await pilot.press("n")
            await pilot.pause()
            assert not asking(app)
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert asking(app)
            await pilot.press("y")
            await pilot.pause()
    assert app.return_value == ExitCode.USAGE
    assert not path.exists()


async def test_a_missing_answer_is_marked_at_its_field_before_anything_is_tried(
    tmp_path: Path,
) -> None:
    app = guided(tmp_path / "leadsync.toml", domiq_url="ftp://domiq")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert shown(app, "#domiq_token-error") == "✘ missing"
        assert shown(app, "#resman_api_key-error") == "✘ missing"
        assert shown(app, "#try-status") == "fix the marked fields"
        assert not app.query_one("#domiq-status").display


async def test_pairing_another_property_proposes_its_own_source_and_agent(
    tmp_path: Path,
) -> None:
    async with simulators() as sims:
        app = guided(tmp_path / "leadsync.toml")
        async with app.run_test(size=(160, 48)) as pilot:
            await fill(pilot, answers(sims))
            await pilot.press("ctrl+t")
            await settle(pilot)
            rows = list(app.query(PairRow))
            row = rows[0]
            other = next(
                p
                for p in sims.world.properties
                if p.property_id != row.query_one(".property", Select).value
            )
            row.query_one(".property", Select).value = other.property_id
            await settle(pilot)
            assert row.query_one(".source", Select).value == other.source_id
            assert row.query_one(".agent", Select).value == other.agent_id
            chosen = row.chosen()
            assert chosen is not None and chosen.property.value == other.property_id
