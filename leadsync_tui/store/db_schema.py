"""The schema: every migration since v1, in order. Append only; `db.open` applies them."""

from __future__ import annotations

from typing import Final

from leadsync_tui.store.pg_sql import SqliteOnly

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # v1: the first schema.
    (
        """CREATE TABLE leads (
            conversation_id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            property_id TEXT NOT NULL,
            resman_sync_status TEXT NOT NULL,
            resman_prospect_id TEXT,
            updated_at TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX leads_by_property ON leads (property_id, updated_at)",
        "CREATE INDEX leads_by_status ON leads (resman_sync_status, updated_at)",
        "CREATE INDEX leads_by_updated ON leads (updated_at)",
        "CREATE INDEX leads_by_prospect ON leads (resman_prospect_id)"
        " WHERE resman_prospect_id IS NOT NULL",
        """CREATE TABLE links (
            conversation_id TEXT PRIMARY KEY REFERENCES leads (conversation_id),
            prospect_id TEXT NOT NULL UNIQUE,
            person_id TEXT,
            property_id TEXT NOT NULL,
            snapshot TEXT NOT NULL,
            agreed_at TEXT NOT NULL
        )""",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES leads (conversation_id),
            direction TEXT NOT NULL CHECK (direction IN ('domiq_to_resman', 'resman_to_domiq')),
            sync_type TEXT NOT NULL,
            payload TEXT NOT NULL,
            dedupe_key TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id)",
        "CREATE INDEX outbox_lane ON outbox (conversation_id, direction, id)",
        """CREATE TABLE sync_log (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL,
            sync_direction TEXT NOT NULL,
            sync_status TEXT NOT NULL,
            sync_type TEXT NOT NULL,
            created_at TEXT NOT NULL,
            error_message TEXT,
            conflict_resolution TEXT,
            latency_ms REAL
        )""",
        "CREATE INDEX sync_log_by_lead ON sync_log (conversation_id, created_at)",
        "CREATE INDEX sync_log_by_time ON sync_log (created_at)",
        """CREATE TABLE conflicts (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES leads (conversation_id),
            field TEXT NOT NULL,
            resman_value TEXT NOT NULL,
            domiq_value TEXT NOT NULL,
            base_value TEXT NOT NULL,
            conflict_type TEXT NOT NULL,
            conflict_severity TEXT NOT NULL,
            resolution_status TEXT NOT NULL,
            detected_at TEXT,
            resolution TEXT,
            resolved_at TEXT,
            resolved_by TEXT
        )""",
        "CREATE INDEX conflicts_by_lead ON conflicts (conversation_id)",
        "CREATE INDEX conflicts_open ON conflicts (detected_at)"
        " WHERE resolution_status != 'resolved'",
        """CREATE TABLE cursors (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            before TEXT,
            after TEXT,
            reason TEXT
        )""",
        "CREATE INDEX audit_by_time ON audit (at)",
        "CREATE INDEX audit_by_target ON audit (target, at)",
    ),
    # v2: which engine runs on this store (see `EngineRecord`; a lease's row later).
    (
        """CREATE TABLE engine (
            slot TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            token TEXT NOT NULL,
            mode TEXT NOT NULL,
            started_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            stopped_at TEXT,
            generation INTEGER NOT NULL
        )""",
    ),
    # v3: a prospect may be linked to a second conversation when a person decides so
    # (`Link.shared_by`); without such a decision it still has one link at most.
    (
        """CREATE TABLE links_v2 (
            conversation_id TEXT PRIMARY KEY REFERENCES leads (conversation_id),
            prospect_id TEXT NOT NULL,
            person_id TEXT,
            property_id TEXT NOT NULL,
            snapshot TEXT NOT NULL,
            agreed_at TEXT NOT NULL,
            shared_by TEXT
        )""",
        "INSERT INTO links_v2 SELECT conversation_id, prospect_id, person_id, property_id,"
        " snapshot, agreed_at, NULL FROM links",
        "DROP TABLE links",
        "ALTER TABLE links_v2 RENAME TO links",
        "CREATE UNIQUE INDEX links_one_owner ON links (prospect_id) WHERE shared_by IS NULL",
        "CREATE INDEX links_by_prospect ON links (prospect_id)",
    ),
    # v4: what each connection committed, by key, for the other windows on this file
    # (`store.change_watch`); the newest `FEED_KEEP` rows are kept.
    (
        """CREATE TABLE change_feed (
            seq INTEGER PRIMARY KEY,
            writer TEXT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL
        )""",
    ),
    # v5: outbox payloads carry their kind (`store.payloads`), inferred as the sender
    # did before the tag existed: by sync type, then `report`, `fields`, `resync`.
    (
        SqliteOnly(
            """UPDATE outbox SET payload = CASE
            WHEN sync_type = 'resolution' THEN json_set(payload, '$.kind', 'resolution')
            WHEN json_extract(payload, '$.report') THEN json_object('kind', 'report')
            WHEN json_type(payload, '$.fields') IS NOT NULL
                THEN json_set(payload, '$.kind', 'fields')
            WHEN json_type(payload, '$.resync') IS NOT NULL
                THEN json_set(payload, '$.kind', 'resync')
            ELSE json_set(payload, '$.kind', 'link')
        END
        WHERE json_type(payload, '$.kind') IS NULL"""
        ),
    ),
    # v6: what watching windows ask the lease holder's engine to do, and its outcome
    # (`store.operator_commands`).
    (
        """CREATE TABLE commands (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL,
            state TEXT NOT NULL
                CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            claimed_by TEXT,
            result TEXT,
            error TEXT,
            error_kind TEXT,
            done_at TEXT
        )""",
        "CREATE INDEX commands_open ON commands (id) WHERE state IN ('pending', 'running')",
    ),
)
"""Each entry is one schema version's statements, applied in one transaction; the
database's `PRAGMA user_version` is the number of entries applied. Only ever append."""

SCHEMA_VERSION: Final = len(MIGRATIONS)
