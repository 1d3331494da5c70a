using GrpcSync.Storage.Relational;

namespace GrpcSync.Storage.Sqlite;

/// <summary>
/// The SQLite schema, as ordered versioned migrations. Ids are TEXT (lower-case "D" format GUIDs,
/// so text order equals <see cref="Guid.CompareTo(Guid)"/> order and PostgreSQL's uuid order);
/// timestamps are INTEGER unix milliseconds (UTC); enums are stored by name ("Queued", "Active", ...);
/// booleans are INTEGER 0/1; bytes are BLOB.
/// </summary>
internal static class SqliteMigrations
{
    public const string SchemaMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER NOT NULL PRIMARY KEY,
            applied_at INTEGER NOT NULL
        ) STRICT;
        """;

    public static IReadOnlyList<Migration> All { get; } = MigrationList.Validate(
    [
        new Migration(1, "initial schema", """
            CREATE TABLE syncs (
                id                    TEXT    NOT NULL PRIMARY KEY,
                project_id            TEXT    NOT NULL,
                user_id               TEXT    NOT NULL,
                integration           TEXT    NOT NULL,
                pipeline              TEXT    NOT NULL,
                configuration_name    TEXT    NOT NULL,
                configuration_json    TEXT    NOT NULL,
                credential_id         TEXT,
                frequency             TEXT,
                status                TEXT    NOT NULL,
                reason                TEXT,
                rate_limit_backoff_ms INTEGER,
                next_run_at           INTEGER,
                last_run_started_at   INTEGER,
                last_synced_at        INTEGER,
                total_records         INTEGER NOT NULL,
                synced_records_count  INTEGER NOT NULL,
                latest_cursor         TEXT,
                version               INTEGER NOT NULL,
                created_at            INTEGER NOT NULL,
                updated_at            INTEGER NOT NULL
            ) STRICT;
            CREATE INDEX ix_syncs_scope ON syncs (project_id, user_id, created_at, id);
            CREATE INDEX ix_syncs_credential ON syncs (credential_id) WHERE credential_id IS NOT NULL;

            CREATE TABLE sync_runs (
                id          TEXT    NOT NULL PRIMARY KEY,
                sync_id     TEXT    NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
                run_type    TEXT    NOT NULL,
                run_trigger TEXT    NOT NULL,
                state       TEXT    NOT NULL,
                created_at  INTEGER NOT NULL,
                due_at      INTEGER NOT NULL,
                started_at  INTEGER,
                finished_at INTEGER,
                attempt     INTEGER NOT NULL,
                error       TEXT
            ) STRICT;
            CREATE INDEX ix_sync_runs_sync_created ON sync_runs (sync_id, created_at DESC, id DESC);
            CREATE INDEX ix_sync_runs_open ON sync_runs (sync_id, created_at, id) WHERE state IN ('Queued', 'Running');
            CREATE INDEX ix_sync_runs_queued_due ON sync_runs (due_at) WHERE state = 'Queued';

            CREATE TABLE credentials (
                id               TEXT    NOT NULL PRIMARY KEY,
                project_id       TEXT    NOT NULL,
                user_id          TEXT    NOT NULL,
                integration      TEXT    NOT NULL,
                display_name     TEXT    NOT NULL,
                protected_secret TEXT    NOT NULL,
                created_at       INTEGER NOT NULL,
                deleted_at       INTEGER
            ) STRICT;
            CREATE INDEX ix_credentials_scope ON credentials (project_id, user_id, created_at, id) WHERE deleted_at IS NULL;
            """),
        new Migration(2, "engine: cursors, leases, records", """
            ALTER TABLE syncs ADD COLUMN source_cursor TEXT;
            ALTER TABLE syncs ADD COLUMN last_full_sync_at INTEGER;
            ALTER TABLE syncs ADD COLUMN record_sequence INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX ix_syncs_next_run ON syncs (next_run_at) WHERE next_run_at IS NOT NULL;

            ALTER TABLE sync_runs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE sync_runs ADD COLUMN lease_owner TEXT;
            ALTER TABLE sync_runs ADD COLUMN lease_expires_at INTEGER;
            CREATE INDEX ix_sync_runs_running_lease ON sync_runs (lease_expires_at) WHERE state = 'Running';

            CREATE TABLE sync_records (
                sync_id          TEXT    NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
                id               TEXT    NOT NULL,
                external_id      TEXT    NOT NULL,
                sequence         INTEGER NOT NULL,
                deleted          INTEGER NOT NULL,
                data_json        TEXT    NOT NULL,
                fingerprint      TEXT    NOT NULL,
                synced_at        INTEGER NOT NULL,
                last_seen_run_id TEXT,
                PRIMARY KEY (sync_id, id),
                UNIQUE (sync_id, external_id)
            ) STRICT;
            CREATE INDEX ix_sync_records_sequence ON sync_records (sync_id, sequence);
            """),
        new Migration(3, "idempotency keys", """
            CREATE TABLE idempotency_keys (
                project_id      TEXT    NOT NULL,
                user_id         TEXT    NOT NULL,
                method          TEXT    NOT NULL,
                idempotency_key TEXT    NOT NULL,
                request_hash    BLOB    NOT NULL,
                response        BLOB    NOT NULL,
                created_at      INTEGER NOT NULL,
                PRIMARY KEY (project_id, user_id, method, idempotency_key)
            ) STRICT;
            CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);
            """),
        // Cursors carry the Sync's incarnation. A Sync from before this migration has had one life in
        // this table, so its creation time (ms) names it; new lives draw a random one. latest_cursor
        // goes: the latest cursor is built from record_sequence and the incarnation when read.
        new Migration(4, "cursors: sync incarnation", """
            ALTER TABLE syncs ADD COLUMN incarnation INTEGER NOT NULL DEFAULT 0;
            UPDATE syncs SET incarnation = created_at;
            ALTER TABLE syncs DROP COLUMN latest_cursor;
            """),
    ]);
}
