"""The throwaway PostgreSQL server the store's tests run on (`tests/pg_server.py`): the
store's role logs in with its password and nothing else, each test has a database of its
own, and LISTEN/NOTIFY (how engines tell each other of changes) works across sessions."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.pg_server import BINDIR_VARIABLE, MISSING, PostgresServer, remove_stale_servers

ROOT = Path(__file__).resolve().parents[2]


async def test_the_store_role_logs_in_with_its_password_and_owns_its_database(
    pg_url: str,
) -> None:
    async with await psycopg.AsyncConnection.connect(pg_url) as conn:
        await conn.execute("CREATE TABLE leads (id int PRIMARY KEY, name text)")
        await conn.execute("INSERT INTO leads VALUES (1, 'Zoë')")
        await conn.commit()
        cursor = await conn.execute("SELECT current_user, name FROM leads")
        assert await cursor.fetchall() == [("leadsync", "Zoë")]


@pytest.mark.parametrize("table", ["first", "second"])
async def test_every_test_starts_on_an_empty_database_of_its_own(pg_url: str, table: str) -> None:
    """Whichever of the two runs second would find the other's table, or fail to make its
    own, were the database shared."""
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema')"
        )
        assert await cursor.fetchone() == (0,)
        await conn.execute(f"CREATE TABLE {table} (id int)")
        await conn.execute("CREATE TABLE shared_name (id int)")


async def test_a_wrong_or_missing_password_is_refused(postgres_server: PostgresServer) -> None:
    url = postgres_server.url_for("postgres")
    right = url.split("@")[0].split(":")[-1]
    for wrong in (url.replace(right, "not-the-password"), url.replace(":" + right, "")):
        with pytest.raises(psycopg.OperationalError, match="password"):
            await psycopg.AsyncConnection.connect(wrong, connect_timeout=10)


async def test_a_notification_reaches_a_listener_on_another_connection(pg_url: str) -> None:
    async with (
        await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as listener,
        await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as sender,
    ):
        await listener.execute("LISTEN leads_changed")
        await sender.execute("SELECT pg_notify('leads_changed', 'lead 42')")
        async with asyncio.timeout(10):
            note = await anext(aiter(listener.notifies()))
        assert (note.channel, note.payload, note.pid) == (
            "leads_changed",
            "lead 42",
            sender.info.backend_pid,
        )


def test_a_dropped_database_is_gone_even_with_a_session_still_on_it(
    postgres_server: PostgresServer,
) -> None:
    name = f"left_open_{secrets.token_hex(4)}"
    url = postgres_server.create_database(name)
    with psycopg.connect(url) as left_open:
        postgres_server.drop_database(name)
        with pytest.raises(psycopg.OperationalError):
            left_open.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(url, connect_timeout=10)


_OWNER = """
import sys, time
from tests.pg_server import running_postgres
with running_postgres() as server:
    data = server.socket_dir.parent / "data"
    print((data / "postmaster.pid").read_text().split()[0], data.parent, flush=True)
    time.sleep(600)
"""


def test_a_killed_owner_leaves_no_server_behind(postgres_server: PostgresServer) -> None:
    """SIGKILL gives no chance to clean up: the server still goes (it dies with its
    parent), and the next start removes what it left on disk."""
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    postmaster, home = owner.stdout.readline().split()
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 20  # generous: detects a server that stays
    while _running(int(postmaster)):
        assert time.monotonic() < deadline, "the postmaster outlived its owner"
        time.sleep(0.01)
    remove_stale_servers()
    assert not Path(home).exists()


def _running(pid: int) -> bool:
    """Still running (a zombie left for init to reap is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_without_server_binaries_the_tests_are_skipped_and_the_summary_says_so(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_needs_pg.py").write_text(
        "def test_one(pg_url):\n    pass\n\ndef test_two(pg_url):\n    pass\n"
    )
    env = {**os.environ, BINDIR_VARIABLE: str(tmp_path / "no-such-bin")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.pg_fixtures", "-p", "no:cacheprovider",
         "-q", "-n", "0", "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 test(s) SKIPPED: no PostgreSQL server" in done.stdout
    assert MISSING in done.stdout
