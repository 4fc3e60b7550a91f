"""`leadsync init --non-interactive` against the real simulators: the file it writes
(where, mode, masked on screen, comments kept on a second run), and that what it wrote
passes `config check --online` and runs `sync --headless --once`."""

from __future__ import annotations

import asyncio
import io
import json
import os
import stat
import sys
import tomllib
from pathlib import Path

import pytest

from leadsync_tui.locations import default_config_file
from leadsync_tui.sim.runner import RunningSims
from leadsync_tui.sim.world_records import DOMIQ_AGENT_NAME
from tests.setup.setup_fixtures import Run, assert_no_secret, leadsync, simulators


def answers(sims: RunningSims, **changes: str) -> list[str]:
    world = sims.world
    given = {
        "--domiq-url": sims.domiq_url,
        "--domiq-token": world.token,
        "--resman-url": sims.resman_url,
        "--resman-partner-id": world.partner_id,
        "--resman-api-key": world.api_key,
        "--resman-account-id": str(world.account_id),
    }
    given.update({f"--{k.replace('_', '-')}": v for k, v in changes.items()})
    return [part for pair in given.items() for part in pair]


async def init(*argv: str) -> Run:
    return await leadsync("init", "--non-interactive", *argv)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def sync_once() -> tuple[int, str]:
    """`leadsync sync --headless --once` as a real process (the sims stay on this loop)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadsync_tui.cli",
        "sync",
        "--headless",
        "--once",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ),
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


async def test_init_writes_a_config_that_passes_the_check_and_syncs() -> None:
    path = default_config_file()
    async with simulators() as sims:
        run = await init(*answers(sims))
        assert run.code == 0, run.out + run.err
        assert run.lines[0] == f"leadsync init: creating {path}"
        assert f"wrote {path} (mode 0600; secrets shown masked):" in run.out
        assert '  token = "********"' in run.lines and '  api_key = "********"' in run.lines
        assert run.lines[-1] == "online check: all 18 checks passed"
        assert_no_secret(run)
        assert mode_of(path) == 0o600 and mode_of(path.parent) == 0o700

        written = tomllib.loads(path.read_text())
        assert written["domiq"]["token"] == sims.world.token
        for link in sims.world.properties:
            assert written["resman"]["properties"][link.domiq_id] == {
                "property_id": link.property_id,
                "source_id": link.source_id,
                "agent_id": link.agent_id,
                "lost_reason_id": sims.world.default_lost_reason_id,
            }
            assert f"  {link.domiq_id} (" in run.out and f"-> {link.name} " in run.out

        check = await leadsync("config", "check", "--online")  # finds it in the XDG dir
        assert check.code == 0, check.out
        assert f"config file: {path} (XDG config dir)" in check.out

        code, output = await sync_once()
    assert code == 0, output
    events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert events[0]["event"] == "started" and events[0]["demo"] is False
    assert any(e["event"] == "attempt" and e["direction"] == "domiq_to_resman" for e in events)
    done = events[-1]
    assert done["event"] == "done" and done["exit_code"] == 0
    assert done["failed"] == 0 and done["pending"] == 0


async def test_running_init_again_edits_the_file_and_keeps_its_comments() -> None:
    path = default_config_file()
    async with simulators() as sims:
        first = await init(*answers(sims))
        assert first.code == 0, first.out
        text = path.read_text().replace(
            "[domiq]", "# our DomIQ tenant: ask the ops lead before changing it\n[domiq]"
        )
        path.write_text(text + "\n[sync]\npoll_interval = 10  # fast polls for the pilot\n")
        path.chmod(0o644)
        oak, lake = sims.world.properties[:2]

        again = await init("--pair", f"{oak.domiq_id}={lake.name}")
    assert again.code == 0, again.out + again.err
    assert again.lines[0] == f"leadsync init: editing {path}"
    kept = path.read_text()
    assert "# our DomIQ tenant: ask the ops lead before changing it\n[domiq]" in kept
    assert "poll_interval = 10  # fast polls for the pilot" in kept
    assert f"[resman.properties.{oak.domiq_id}] # {lake.name}" in kept
    assert mode_of(path) == 0o600
    paired = tomllib.loads(kept)["resman"]["properties"][oak.domiq_id]
    assert paired["property_id"] == lake.property_id
    assert paired["source_id"] == lake.source_id  # re-proposed for the new property
    assert f"{oak.domiq_id} (" in again.out and f"-> {lake.name} {lake.property_id}  [given]" in (
        again.out
    )
    assert "[kept from the file]" in again.out
    assert (
        f"ResMan properties with no DomIQ property paired: {oak.name} {oak.property_id}"
        in again.lines
    )
    assert_no_secret(again)


async def test_missing_answers_exit_2_naming_each_option() -> None:
    run = await init("--domiq-url", "http://127.0.0.1:9")
    assert run.code == 2
    assert run.err.strip() == (
        "leadsync init: missing answers: --domiq-token (or [domiq] token in the file), "
        "--resman-url (or [resman] base_url in the file), --resman-partner-id (or [resman] "
        "integration_partner_id in the file), --resman-api-key (or [resman] api_key in the "
        "file), --resman-account-id (or [resman] account_id in the file)"
    )
    assert not default_config_file().exists()


async def test_a_bad_answer_is_named_by_its_option() -> None:
    async with simulators() as sims:
        run = await init(*answers(sims, domiq_url="ftp://domiq", resman_account_id="four"))
    assert run.code == 2
    assert "leadsync init: --domiq-url: 'ftp://domiq' has no http:// or https:// scheme" in run.err
    assert "leadsync init: --resman-account-id: Input should be a valid integer" in run.err
    assert not default_config_file().exists()


async def test_a_wrong_key_or_a_system_down_writes_nothing_and_says_what_failed() -> None:
    async with simulators() as sims:
        wrong = await init(*answers(sims, resman_api_key="resman-wrong-key-0042"))
        gone = sims.domiq_url
    assert wrong.code == 2
    assert "✔ DomIQ: " in wrong.out
    assert "✘ ResMan: ResMan at http://127.0.0.1:" in wrong.out
    assert "refused the credentials: Invalid IntegrationPartnerID or ApiKey" in wrong.out
    assert "    fix: check --resman-partner-id and --resman-api-key" in wrong.out
    assert "resman-wrong-key-0042" not in wrong.out + wrong.err
    assert "nothing written" in wrong.err and not default_config_file().exists()

    down = await init(*answers(sims))
    assert down.code == 2
    assert f"✘ DomIQ: cannot use DomIQ at {gone}" in down.out
    assert "    fix: check --domiq-url (host and port) and that the service is up" in down.out
    assert not default_config_file().exists()


async def test_a_pair_naming_no_resman_property_lists_what_there_is() -> None:
    async with simulators() as sims:
        run = await init(*answers(sims), "--pair", "prop_oakridge=Nowhere Heights")
    assert run.code == 2
    assert "--pair prop_oakridge=Nowhere Heights: ResMan account 400 has no property" in run.err
    for link in sims.world.properties:
        assert f"{link.property_id} ({link.name})" in run.err
    assert not default_config_file().exists()


async def test_a_person_listed_twice_is_warned_and_a_given_agent_is_checked() -> None:
    async with simulators() as sims:
        oak, lake = sims.world.properties[:2]
        twin = sims.world.resman.add_employee(
            oak.property_id, DOMIQ_AGENT_NAME, "domiq@oakridge.example"
        )
        run = await init(*answers(sims), "--agent", f"{lake.domiq_id}={oak.agent_id}")
    assert run.code == 1
    assert (
        f"warning: ResMan lists {DOMIQ_AGENT_NAME} 2 times at {oak.name} "
        f"({oak.agent_id}, {twin.employee_id}); using {oak.agent_id}"
    ) in run.out
    assert f"✘ {oak.agent_id} is not an employee of {lake.name}" in run.line_of(
        lake.domiq_id, "agent"
    )
    assert run.fix_after(lake.domiq_id, "agent") == (
        f"run leadsync init again with --agent {lake.domiq_id}={lake.agent_id} ({DOMIQ_AGENT_NAME})"
    )
    assert run.lines[-1] == "online check: 1 of 18 checks failed (exit 1)"


async def test_secrets_can_come_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    async with simulators() as sims:
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{sims.world.token}\n{sims.world.api_key}\n"))
        run = await init(*answers(sims, domiq_token="-", resman_api_key="-"))
    assert run.code == 0, run.out + run.err
    written = tomllib.loads(default_config_file().read_text())
    assert written["resman"]["api_key"] == sims.world.api_key
    assert_no_secret(run)
