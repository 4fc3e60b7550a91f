"""Opening the store wherever it is (`StoreLocation`): the one door the commands use."""

from __future__ import annotations

from leadsync_tui.models import utc_now
from leadsync_tui.store.db import Database
from leadsync_tui.store.db_connection import Clock
from leadsync_tui.store.db_errors import NoStoreYet, StoreMoved
from leadsync_tui.store.records import Cursor
from leadsync_tui.store_location import StoreLocation


async def refuse_if_moved(db: Database, location: StoreLocation) -> None:
    """`StoreMoved` when `store migrate` copied this SQLite store to PostgreSQL: an engine
    on it would race the team's engine as a second deployment."""
    moved = await db.get_json_cursor(Cursor.STORE_MOVED)
    if moved is not None:
        raise StoreMoved(location, str(moved.get("to", "?")), str(moved.get("at", "?")))


async def open_database(
    location: StoreLocation, *, now: Clock = utc_now, existing: bool = False
) -> Database:
    """The store's database, open and migrated (`Database.open` / `open_postgresql`).

    `existing` (the read-only commands): `NoStoreYet` for a PostgreSQL database without
    a leadsync store, rather than create one; they check a SQLite file exists first."""
    if location.url is not None:
        try:
            return await Database.open_postgresql(
                location.url, password=location.password, now=now, existing=existing
            )
        except NoStoreYet:
            raise NoStoreYet(location) from None
    return await Database.open(location.sqlite_path, now=now)
