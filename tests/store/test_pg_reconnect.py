"""A PostgreSQL store whose connections are cut (a server restart, a failover, an idle
connection dropped by a firewall): the store connects again by itself, the next write
and read work, and a watching window goes on following. Cut for real: the server
terminates the backends (`pg_terminate_backend`), as a restart does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import psycopg
import pytest

from leadsync_tui.store.change_watch import follow, watch_for
from leadsync_tui.store.opening import open_database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.store_location import StoreLocation
from tests.store.conftest import make_lead
from tests.team_store import postgres_location
from tests.waiting import eventually

pytestmark = pytest.mark.postgresql


async def cut_every_connection(url: str) -> int:
    """Terminate every other connection to the test's database; how many there were."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        cursor = await admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def test_after_its_connection_is_cut_the_store_writes_and_reads_again(
    pg_url: str,
) -> None:
    where: StoreLocation = postgres_location(pg_url)
    async with await open_database(where) as db:
        await db.upsert_leads([make_lead("c1")])
        assert await cut_every_connection(pg_url) == 1

        await db.upsert_leads([make_lead("c2")])  # connects again before the transaction

        assert set(await db.get_leads(["c1", "c2"])) == {"c1", "c2"}
        assert await cut_every_connection(pg_url) == 1
        assert set(await db.get_leads(["c1", "c2"])) == {"c1", "c2"}  # a read, tried again


async def test_a_watching_window_follows_on_after_its_connections_are_cut(pg_url: str) -> None:
    where = postgres_location(pg_url)
    async with await open_database(where) as engine_db, await open_database(where) as window_db:
        window = LeadSyncStore(window_db)
        watch = watch_for(window_db)
        await watch.start()
        following = asyncio.create_task(follow(window, watch))
        try:
            await engine_db.upsert_leads([make_lead("c1")])
            await eventually(_has(window, "c1"), 10)

            assert await cut_every_connection(pg_url) == 3  # both stores and the listener
            await engine_db.upsert_leads([make_lead("c2")])

            await eventually(_has(window, "c2"), 15)
            assert not following.done()
        finally:
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)


def _has(store: LeadSyncStore, conversation_id: str) -> Callable[[], bool]:
    return lambda: conversation_id in store.state.leads
