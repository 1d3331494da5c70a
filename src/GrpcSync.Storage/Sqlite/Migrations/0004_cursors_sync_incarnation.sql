-- Cursors carry the Sync's incarnation. A Sync from before this migration has had one life in
-- this table, so its creation time (ms) names it; new lives draw a random one. latest_cursor
-- goes: the latest cursor is built from record_sequence and the incarnation when read.

ALTER TABLE syncs ADD COLUMN incarnation INTEGER NOT NULL DEFAULT 0;
UPDATE syncs SET incarnation = created_at;
ALTER TABLE syncs DROP COLUMN latest_cursor;
