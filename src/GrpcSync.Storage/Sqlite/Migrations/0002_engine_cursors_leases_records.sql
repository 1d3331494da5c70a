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
