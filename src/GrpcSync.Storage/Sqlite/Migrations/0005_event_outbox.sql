-- The event log (transactional outbox): every event is appended in the transaction of the change it
-- reports. No foreign key to syncs: a Sync's events (sync_deleted last) outlive it until retention
-- removes them. sequence increases per Sync id, across its lives; syncs.event_sequence is the last
-- one given, kept on the Sync row so that retention emptying the log never restarts it.

ALTER TABLE syncs ADD COLUMN event_sequence INTEGER NOT NULL DEFAULT 0;

CREATE TABLE sync_events (
    event_id      TEXT    NOT NULL PRIMARY KEY,
    sync_id       TEXT    NOT NULL,
    incarnation   INTEGER NOT NULL,
    sequence      INTEGER NOT NULL,
    project_id    TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    integration   TEXT    NOT NULL,
    credential_id TEXT,
    event_type    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    data_json     TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX ix_sync_events_sequence ON sync_events (sync_id, sequence);
CREATE INDEX ix_sync_events_created ON sync_events (created_at);
