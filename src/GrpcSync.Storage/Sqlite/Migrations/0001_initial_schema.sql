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
