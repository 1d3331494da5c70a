-- The event log (transactional outbox): every event is appended in the transaction of the change it
-- reports. No foreign key to syncs: a Sync's events (sync_deleted last) outlive it until retention
-- removes them. sequence increases per Sync id, across its lives; syncs.event_sequence is the last
-- one given, kept on the Sync row so that retention emptying the log never restarts it.

ALTER TABLE syncs ADD COLUMN event_sequence bigint NOT NULL DEFAULT 0;

CREATE TABLE sync_events (
    event_id      uuid    NOT NULL PRIMARY KEY,
    sync_id       uuid    NOT NULL,
    incarnation   bigint  NOT NULL,
    sequence      bigint  NOT NULL,
    project_id    text    NOT NULL,
    user_id       text    NOT NULL,
    integration   text    NOT NULL,
    credential_id uuid,
    event_type    text    NOT NULL,
    created_at    bigint  NOT NULL,
    data_json     text    NOT NULL
);
CREATE UNIQUE INDEX ix_sync_events_sequence ON sync_events (sync_id, sequence);
CREATE INDEX ix_sync_events_created ON sync_events (created_at);
