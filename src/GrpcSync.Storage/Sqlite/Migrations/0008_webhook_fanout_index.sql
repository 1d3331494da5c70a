-- Webhook fan-out: the relay turns the events it just placed (a range of global positions) into
-- deliveries in the same transaction, so it reads events by position across projects.
CREATE INDEX ix_sync_events_global_position ON sync_events (position) WHERE position IS NOT NULL;
