-- Several events of one change share one row (a record page's record_* events, a run's end): event_count
-- members, and data_json is then a JSON array of {"id","type","data"} members. Member i has sequence + i
-- and, once placed, position + i; the row's event_id, event_type and created_at are its first member's.
-- One row instead of one per record keeps what the log adds to a page write small next to its records.
ALTER TABLE sync_events ADD COLUMN event_count INTEGER NOT NULL DEFAULT 1;

-- A delivery's event is a member of the row log_event_id (the row's event_id; the event's own for a row of one).
ALTER TABLE webhook_deliveries ADD COLUMN log_event_id TEXT;
-- and its type, which a row of several no longer says: the delivery log lists it without reading the row.
ALTER TABLE webhook_deliveries ADD COLUMN event_type TEXT;
UPDATE webhook_deliveries SET log_event_id = event_id,
    event_type = (SELECT e.event_type FROM sync_events e WHERE e.event_id = webhook_deliveries.event_id);
