"""The commands on a PostgreSQL store (`[store] url`, #14): they read it like the file,
and a store they cannot use ends in one line naming the cause and the fix, exit 2,
never a traceback and never a password."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from leadsync_tui.cli import main
from leadsync_tui.config import ConfigError, load_settings
from leadsync_tui.store.opening import open_database
from leadsync_tui.store.pg_link import PgLink
from leadsync_tui.store_location import StoreLocation
from tests.team_store import postgres_location, store_block

LIVE = """
[domiq]
base_url = "https://api.domiq.example"
token = "t"
[resman]
base_url = "https://api.myresman.com"
integration_partner_id = "leadsync"
api_key = "k"
account_id = 400
[sync]
database = "{database}"
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def config_with(tmp_path: Path, store: str) -> Path:
    config = tmp_path / "leadsync.toml"
    config.write_text(LIVE.format(database=tmp_path / "unused.db") + store)
    config.chmod(0o600)
    return config


@pytest.mark.parametrize("command", [["status"], ["audit"], ["sync", "--headless", "--once"]])
def test_an_unreachable_store_is_one_line_and_exit_2(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://leadsync@127.0.0.1:{closed_port()}/leadsync"
    config = config_with(tmp_path, f'[store]\nurl = "{url}"\npassword = "s3cret-pw"\n')

    assert main([*command, "--config", str(config)]) == 2

    captured = capsys.readouterr()
    said = [line for line in captured.err.splitlines() if line.strip()]
    assert len(said) == 1, captured.err
    assert f"cannot reach the PostgreSQL store {url}" in said[0]
    assert "check [store] url" in said[0]
    assert "s3cret-pw" not in captured.err + captured.out
    assert "Traceback" not in captured.err + captured.out


def test_a_password_in_the_url_is_refused_without_being_shown(tmp_path: Path) -> None:
    config = config_with(tmp_path, '[store]\nurl = "postgresql://ops:hunter22@db:5432/leadsync"\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert "hunter22" not in str(refused.value)
    assert "[store] password" in str(refused.value)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://db/leadsync", "has mysql://"),
        ("db.internal/leadsync", "has no scheme"),
        ("postgresql://db.internal", "needs a host and a database name"),
    ],
)
def test_a_url_that_is_not_postgresql_says_how_to_write_it(
    url: str, said: str, tmp_path: Path
) -> None:
    config = config_with(tmp_path, f'[store]\nurl = "{url}"\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert said in str(refused.value)


@pytest.mark.postgresql
def test_status_and_audit_read_a_postgresql_store(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = postgres_location(pg_url)
    config = config_with(tmp_path, store_block(where))
    asyncio.run(_create_store(where))  # as the first engine on it would

    assert main(["status", "--config", str(config)]) == 0  # a new store: healthy, empty
    out = capsys.readouterr().out
    assert f"database   {where.url}" in out
    assert main(["audit", "--config", str(config)]) == 0


async def _create_store(where: StoreLocation) -> None:
    await (await open_database(where)).close()


async def _has_store(where: StoreLocation) -> bool:
    link = await PgLink.open(where.url or "", where.password)
    try:
        return await link.schema_version() > 0
    finally:
        await link.close()


@pytest.mark.postgresql
@pytest.mark.parametrize("command", ["status", "audit"])
def test_reading_an_empty_database_says_so_and_creates_nothing(
    command: str, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = postgres_location(pg_url)
    config = config_with(tmp_path, store_block(where))

    assert main([command, "--config", str(config)]) == 2

    said = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert said == [
        f"leadsync {command}: there is no leadsync store in {where.url} yet; one is created "
        "when an engine first runs on it (`leadsync sync --headless --once --config PATH`) "
        "or by `leadsync store migrate`"
    ]
    assert not asyncio.run(_has_store(where))  # a typo'd url must not grow a schema


@pytest.mark.postgresql
def test_a_missing_database_says_to_create_it(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = postgres_location(pg_url.rsplit("/", 1)[0] + "/no_such_db")
    config = config_with(tmp_path, store_block(where))
    assert main(["status", "--config", str(config)]) == 2
    assert "has no such database" in capsys.readouterr().err
