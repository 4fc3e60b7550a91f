"""Links (DomIQ conversation <-> ResMan prospect, with the agreed snapshot) and the
named cursors the pollers resume from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from leadsync_tui.store.db_codec import _dt, _json_list, _to_json, _ts
from leadsync_tui.store.db_connection import DbConnection
from leadsync_tui.store.db_errors import DuplicateLink
from leadsync_tui.store.records import Link

_ONE_OWNER = frozenset({"links.prospect_id", "links_one_owner"})
"""How each database names the rule "one link a prospect, unless a person decided
otherwise" when a write breaks it: SQLite by column, PostgreSQL by index."""

_LINK_COLUMNS = (
    "conversation_id, prospect_id, person_id, property_id, snapshot, agreed_at, shared_by"
)


def _link(row: Sequence[Any]) -> Link:
    return Link(
        conversation_id=row[0],
        prospect_id=row[1],
        person_id=row[2],
        property_id=row[3],
        snapshot=json.loads(row[4]),
        agreed_at=_dt(row[5]),
        shared_by=row[6],
    )


class LinkRows(DbConnection):
    """Links and cursors: what the sync has agreed with the other side, and where it
    left off reading it."""

    async def upsert_links(self, links: Sequence[Link]) -> None:
        """Record or move forward links; raises `DuplicateLink` if a prospect is taken
        (by a link made without a person's decision to share it: `Link.shared_by`).

        A link moved forward on the same prospect keeps its `shared_by`, so a merge that
        builds a fresh `Link` cannot turn a shared link into a second owner."""
        if not links:
            return
        rows = [
            (
                link.conversation_id,
                link.prospect_id,
                link.person_id,
                link.property_id,
                _to_json(link.snapshot),
                _ts(link.agreed_at),
                link.shared_by,
            )
            for link in links
        ]
        try:
            await self._write(
                lambda: self._conn.executemany(
                    f"INSERT INTO links ({_LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (conversation_id) DO UPDATE SET"
                    " prospect_id = excluded.prospect_id, person_id = excluded.person_id,"
                    " property_id = excluded.property_id, snapshot = excluded.snapshot,"
                    " agreed_at = excluded.agreed_at,"
                    " shared_by = CASE WHEN excluded.prospect_id = links.prospect_id"
                    " THEN coalesce(excluded.shared_by, links.shared_by)"
                    " ELSE excluded.shared_by END",
                    rows,
                )
            )
        except Exception as exc:
            if self._conn.unique_violation(exc) not in _ONE_OWNER:
                raise
            raise DuplicateLink(
                f"a prospect in {[link.prospect_id for link in links]} is already linked"
                " to another conversation"
            ) from exc

    async def upsert_link(self, link: Link) -> None:
        await self.upsert_links([link])

    async def get_link(self, conversation_id: str) -> Link | None:
        rows = await self._fetch(
            f"SELECT {_LINK_COLUMNS} FROM links WHERE conversation_id = ?", (conversation_id,)
        )
        return _link(rows[0]) if rows else None

    async def get_links(self, conversation_ids: Iterable[str]) -> dict[str, Link]:
        """Links for these conversations, by conversation id."""
        rows = await self._fetch(
            f"SELECT {_LINK_COLUMNS} FROM links"
            " WHERE conversation_id IN (SELECT value FROM json_each(?))",
            (_json_list(conversation_ids),),
        )
        return {row[0]: _link(row) for row in rows}

    async def links_by_prospect(self, prospect_ids: Iterable[str]) -> dict[str, Link]:
        """Links for these ResMan prospects, by prospect id (one query per poll batch)."""
        rows = await self._fetch(
            f"SELECT {_LINK_COLUMNS} FROM links"
            " WHERE prospect_id IN (SELECT value FROM json_each(?))",
            (_json_list(prospect_ids),),
        )
        return {row[1]: _link(row) for row in rows}

    # ----------------------------------------------------------------- cursors

    async def get_cursor(self, name: str) -> str | None:
        rows = await self._fetch("SELECT value FROM cursors WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    async def get_json_cursor(self, name: str) -> dict[str, Any] | None:
        """A cursor that holds a JSON object (the engine's, the feed's, the last drift
        scan's state): None when it is missing or not an object (written by hand, cut
        short by a full disk), so a reader shows "unknown" rather than failing."""
        value = await self.get_cursor(name)
        if value is None:
            return None
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None

    async def set_cursor(self, name: str, value: str) -> None:
        await self._write(
            lambda: self._conn.execute(
                "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at",
                (name, value, _ts(self._now())),
            )
        )
