"""`leadsync config check --online` against the real simulators: what an operator reads
and the exit code a script sees (0 all passed, 1 a check failed, 2 unusable)."""

from __future__ import annotations

import re
from pathlib import Path

from leadsync_tui.sim.world_records import DOMIQ_AGENT_NAME
from tests.setup.setup_fixtures import (
    assert_no_secret,
    leadsync,
    simulators,
    write_config,
)


async def test_a_good_config_passes_every_check(tmp_path: Path) -> None:
    async with simulators() as sims:
        config = write_config(tmp_path / "config.toml", sims.config_toml())
        run = await leadsync("config", "check", "--online", "--config", str(config))
    assert run.code == 0, run.out + run.err
    assert "config OK" in run.out
    assert run.lines[-1] == "online check: all 18 checks passed"
    assert re.search(r"^DomIQ +connection +✔ .* accepted the token", run.out, re.M)
    assert re.search(r"^ResMan +connection +✔ .* account 400 has 4 properties", run.out, re.M)
    for link in sims.world.properties:
        assert f"✔ {link.name} ({link.property_id})" in run.line_of(link.domiq_id, "property")
        assert "✔ DomIQ Chat" in run.line_of(link.domiq_id, "source")
        assert f"✔ {DOMIQ_AGENT_NAME}" in run.line_of(link.domiq_id, "agent")
        assert "✔ Inactive (Lack of Response)" in run.line_of(link.domiq_id, "lost reason")
    assert "✘" not in run.out
    assert_no_secret(run)


async def test_a_broken_mapping_fails_with_the_fix_for_each(tmp_path: Path) -> None:
    async with simulators() as sims:
        oak, lake, river = sims.world.properties[:3]
        other_agent = next(
            e for e in sims.world.resman.employees(lake.property_id) if e.name != DOMIQ_AGENT_NAME
        )
        text = (
            sims.config_toml()
            .replace(oak.source_id, "no-such-source")
            .replace(lake.agent_id, river.agent_id)  # an employee, but of another property
            .replace(river.property_id, "00000000-0000-0000-0000-000000000000")
        )
        config = write_config(tmp_path / "config.toml", text)
        run = await leadsync("config", "check", "--online", "--config", str(config))
    assert run.code == 1, run.out + run.err
    assert run.lines[-1] == "online check: 3 of 16 checks failed (exit 1)"

    assert "✘ no-such-source is not a prospect source linked to Oakridge Commons" in (
        run.line_of(oak.domiq_id, "source")
    )
    assert run.fix_after(oak.domiq_id, "source") == (
        f'set [resman.properties.{oak.domiq_id}] source_id = "{oak.source_id}" (DomIQ Chat)'
    )
    assert f"✘ {river.agent_id} is not an employee of Lakeview Terrace" in (
        run.line_of(lake.domiq_id, "agent")
    )
    assert run.fix_after(lake.domiq_id, "agent") == (
        f'set [resman.properties.{lake.domiq_id}] agent_id = "{lake.agent_id}" ({DOMIQ_AGENT_NAME})'
    )
    assert other_agent.employee_id not in run.fix_after(lake.domiq_id, "agent")
    assert "✘ 00000000-0000-0000-0000-000000000000 is not a property of ResMan account 400" in (
        run.line_of(river.domiq_id, "property")
    )
    assert run.fix_after(river.domiq_id, "property") == (
        f'set [resman.properties.{river.domiq_id}] property_id = "{river.property_id}" '
        f"(Riverbend Lofts, named like {river.domiq_id})"
    )
    assert "- not checked: the property is unknown" in run.line_of(river.domiq_id, "source")
    assert_no_secret(run)


async def test_unset_keys_and_a_person_listed_twice_are_said(tmp_path: Path) -> None:
    async with simulators() as sims:
        oak = sims.world.properties[0]
        twin = sims.world.resman.add_employee(
            oak.property_id, DOMIQ_AGENT_NAME, "domiq@oakridge.example"
        )
        text = sims.config_toml().replace(
            f'lost_reason_id = "{sims.world.default_lost_reason_id}"', "", 1
        )
        config = write_config(tmp_path / "config.toml", text)
        run = await leadsync("config", "check", "--online", "--config", str(config))
    assert run.code == 1
    assert "✘ lost_reason_id is not set" in run.line_of(oak.domiq_id, "lost reason")
    assert run.fix_after(oak.domiq_id, "lost reason").endswith(
        f'lost_reason_id = "{sims.world.default_lost_reason_id}" (Inactive (Lack of Response))'
    )
    agent = run.line_of(oak.domiq_id, "agent")
    assert "✔" in agent and f"ResMan lists this person 2 times (also {twin.employee_id})" in agent


async def test_a_wrong_api_key_exits_2_and_never_prints_a_key(tmp_path: Path) -> None:
    async with simulators() as sims:
        text = sims.config_toml().replace(sims.world.api_key, "resman-wrong-key-0042")
        config = write_config(tmp_path / "config.toml", text)
        run = await leadsync("config", "check", "--online", "--config", str(config))
    assert run.code == 2
    assert re.search(r"^DomIQ +connection +✔", run.out, re.M)
    line = run.line_of("ResMan", "connection")
    assert "✘ ResMan at http://127.0.0.1:" in line
    assert "refused the credentials: Invalid IntegrationPartnerID or ApiKey" in line
    assert run.fix_after("ResMan", "connection").startswith(
        "check [resman] integration_partner_id and [resman] api_key"
    )
    assert run.lines[-1].endswith("could not be reached or used (exit 2)")
    assert "resman-wrong-key-0042" not in run.out + run.err
    assert_no_secret(run)


async def test_simulators_down_exit_2_naming_both(tmp_path: Path) -> None:
    async with simulators() as sims:
        config = write_config(tmp_path / "config.toml", sims.config_toml())
    run = await leadsync("config", "check", "--online", "--config", str(config))
    assert run.code == 2
    for system, url in (("DomIQ", sims.domiq_url), ("ResMan", sims.resman_url)):
        assert f"✘ cannot use {system} at {url}" in run.line_of(system, "connection")
        assert "could not connect" in run.line_of(system, "connection")
        assert run.fix_after(system, "connection") == (
            f"check [{system.lower()}] base_url (host and port) and that the service is up"
        )
    assert_no_secret(run)


async def test_demo_mode_has_nothing_to_check_online() -> None:
    run = await leadsync("config", "check", "--online")
    assert run.code == 2
    assert "nothing to check online; run `leadsync init`" in run.out


async def test_a_bad_config_file_exits_2_before_going_online(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", "[domiq]\nbase_url = 'ftp://x'\n")
    run = await leadsync("config", "check", "--online", "--config", str(config))
    assert run.code == 2
    assert "configuration problem" in run.err and "online check" not in run.out
