-- Webhooks and the event relay.
--
-- sync_events.position: one increasing number over all events, given after commit by the relay (one at a
-- time, holding the event_relay row), so position order is commit order: a reader that has seen position
-- p has seen every event placed before it. Project streams read by it; NULL means "not relayed yet".
ALTER TABLE sync_events ADD COLUMN position bigint;
CREATE INDEX ix_sync_events_unplaced ON sync_events (created_at, event_id) WHERE position IS NULL;
CREATE UNIQUE INDEX ix_sync_events_position ON sync_events (project_id, position) WHERE position IS NOT NULL;

-- Retention deletes by event_id: ids are UUIDv7 made from the event's timestamp, so id order is time
-- order, and the primary key serves it. One index fewer for every event written.
DROP INDEX IF EXISTS ix_sync_events_created;

CREATE TABLE event_relay (
    id            integer NOT NULL PRIMARY KEY CHECK (id = 1),
    last_position bigint  NOT NULL
);
INSERT INTO event_relay (id, last_position) VALUES (1, 0);

-- A project's webhook endpoints. event_types: space-separated event types, '' = every type. Secrets are
-- stored protected (Data Protection), never in plain text; previous_secret signs too until it expires
-- (rotation's grace period). failing_since: the first failed attempt after the last success (NULL while
-- healthy), which decides disabling after GrpcSync:Webhooks:DisableAfter.
CREATE TABLE webhook_endpoints (
    id                         uuid    NOT NULL PRIMARY KEY,
    project_id                 text    NOT NULL,
    url                        text    NOT NULL,
    description                text    NOT NULL DEFAULT '',
    event_types                text    NOT NULL DEFAULT '',
    enabled                    boolean NOT NULL DEFAULT true,
    disabled_reason            text,
    secret                     text    NOT NULL,
    previous_secret            text,
    previous_secret_expires_at bigint,
    created_at                 bigint  NOT NULL,
    updated_at                 bigint  NOT NULL,
    last_success_at            bigint,
    failing_since              bigint
);
CREATE INDEX ix_webhook_endpoints_project ON webhook_endpoints (project_id, id);

-- One event to one endpoint: created by the relay, sent by delivery workers that lease it like a run.
-- state: Pending (to send at next_attempt_at), Succeeded, Failed (retry schedule exhausted or endpoint
-- gone); a redelivery puts it back to Pending.
CREATE TABLE webhook_deliveries (
    id               uuid    NOT NULL PRIMARY KEY,
    endpoint_id      uuid    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         uuid    NOT NULL,
    project_id       text    NOT NULL,
    state            text    NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  bigint,
    lease_owner      text,
    lease_expires_at bigint,
    last_attempt_at  bigint,
    last_status_code integer,
    last_error       text,
    created_at       bigint  NOT NULL,
    updated_at       bigint  NOT NULL
);
CREATE UNIQUE INDEX ix_webhook_deliveries_event ON webhook_deliveries (endpoint_id, event_id);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'Pending';
CREATE INDEX ix_webhook_deliveries_listing ON webhook_deliveries (endpoint_id, created_at, id);
