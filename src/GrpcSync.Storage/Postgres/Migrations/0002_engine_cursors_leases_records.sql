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
