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
