-- Webhook fan-out: the relay turns the events it just placed (a range of global positions) into
-- deliveries in the same transaction, so it reads events by position across projects.
CREATE INDEX ix_sync_events_global_position ON sync_events (position) WHERE position IS NOT NULL;

-- Delivery claims rank each endpoint's due deliveries by due time (a few per endpoint per claim).
CREATE INDEX ix_webhook_deliveries_endpoint_due ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE state = 'Pending';
