using GrpcSync.Storage.Relational;

namespace GrpcSync.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema, as ordered versioned migrations. Ids are <c>uuid</c>; timestamps are
/// <c>bigint</c> unix milliseconds (UTC); enums are stored by name ("Queued", "Active", ...); bytes are <c>bytea</c>.
/// Same tables, columns and indexes as <see cref="Sqlite.SqliteMigrations"/>.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>Key of the transaction-level advisory lock that serialises migrations across replicas.</summary>
    public const long AdvisoryLockKey = 0x4752_5043_5359_4E43; // "GRPCSYNC"

    public const string SchemaMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer NOT NULL PRIMARY KEY,
            applied_at bigint  NOT NULL
        );
        """;

    public static IReadOnlyList<Migration> All { get; } = MigrationList.Validate(
    [
        new Migration(1, "initial schema", """
            CREATE TABLE syncs (
                id                    uuid    NOT NULL PRIMARY KEY,
                project_id            text    NOT NULL,
                user_id               text    NOT NULL,
                integration           text    NOT NULL,
                pipeline              text    NOT NULL,
                configuration_name    text    NOT NULL,
                configuration_json    text    NOT NULL,
                credential_id         uuid,
                frequency             text,
                status                text    NOT NULL,
                reason                text,
                rate_limit_backoff_ms bigint,
                next_run_at           bigint,
                last_run_started_at   bigint,
                last_synced_at        bigint,
                total_records         bigint  NOT NULL,
                synced_records_count  bigint  NOT NULL,
                latest_cursor         text,
                version               bigint  NOT NULL,
                created_at            bigint  NOT NULL,
                updated_at            bigint  NOT NULL
            );
            CREATE INDEX ix_syncs_scope ON syncs (project_id, user_id, created_at, id);
            CREATE INDEX ix_syncs_credential ON syncs (credential_id) WHERE credential_id IS NOT NULL;

            CREATE TABLE sync_runs (
                id          uuid    NOT NULL PRIMARY KEY,
                sync_id     uuid    NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
                run_type    text    NOT NULL,
                run_trigger text    NOT NULL,
                state       text    NOT NULL,
                created_at  bigint  NOT NULL,
                due_at      bigint  NOT NULL,
                started_at  bigint,
                finished_at bigint,
                attempt     integer NOT NULL,
                error       text
            );
            CREATE INDEX ix_sync_runs_sync_created ON sync_runs (sync_id, created_at DESC, id DESC);
            CREATE INDEX ix_sync_runs_open ON sync_runs (sync_id, created_at, id) WHERE state IN ('Queued', 'Running');
            CREATE INDEX ix_sync_runs_queued_due ON sync_runs (due_at) WHERE state = 'Queued';

            CREATE TABLE credentials (
                id               uuid    NOT NULL PRIMARY KEY,
                project_id       text    NOT NULL,
                user_id          text    NOT NULL,
                integration      text    NOT NULL,
                display_name     text    NOT NULL,
                protected_secret text    NOT NULL,
                created_at       bigint  NOT NULL,
                deleted_at       bigint
            );
            CREATE INDEX ix_credentials_scope ON credentials (project_id, user_id, created_at, id) WHERE deleted_at IS NULL;
            """),
        new Migration(2, "engine: cursors, leases, records", """
            ALTER TABLE syncs
                ADD COLUMN source_cursor     text,
                ADD COLUMN last_full_sync_at bigint,
                ADD COLUMN record_sequence   bigint NOT NULL DEFAULT 0;
            CREATE INDEX ix_syncs_next_run ON syncs (next_run_at) WHERE next_run_at IS NOT NULL;

            ALTER TABLE sync_runs
                ADD COLUMN retries          integer NOT NULL DEFAULT 0,
                ADD COLUMN lease_owner      text,
                ADD COLUMN lease_expires_at bigint;
            CREATE INDEX ix_sync_runs_running_lease ON sync_runs (lease_expires_at) WHERE state = 'Running';

            CREATE TABLE sync_records (
                sync_id          uuid    NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
                id               uuid    NOT NULL,
                external_id      text    NOT NULL,
                sequence         bigint  NOT NULL,
                deleted          boolean NOT NULL,
                data_json        text    NOT NULL,
                fingerprint      text    NOT NULL,
                synced_at        bigint  NOT NULL,
                last_seen_run_id uuid,
                PRIMARY KEY (sync_id, id),
                UNIQUE (sync_id, external_id)
            );
            CREATE INDEX ix_sync_records_sequence ON sync_records (sync_id, sequence);
            """),
        new Migration(3, "idempotency keys", """
            CREATE TABLE idempotency_keys (
                project_id      text    NOT NULL,
                user_id         text    NOT NULL,
                method          text    NOT NULL,
                idempotency_key text    NOT NULL,
                request_hash    bytea   NOT NULL,
                response        bytea   NOT NULL,
                created_at      bigint  NOT NULL,
                PRIMARY KEY (project_id, user_id, method, idempotency_key)
            );
            CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);
            """),
        // Cursors carry the Sync's incarnation. A Sync from before this migration has had one life in
        // this table, so its creation time (ms) names it; new lives draw a random one. latest_cursor
        // goes: the latest cursor is built from record_sequence and the incarnation when read.
        new Migration(4, "cursors: sync incarnation", """
            ALTER TABLE syncs ADD COLUMN incarnation bigint NOT NULL DEFAULT 0;
            UPDATE syncs SET incarnation = created_at;
            ALTER TABLE syncs DROP COLUMN latest_cursor;
            """),
    ]);
}
