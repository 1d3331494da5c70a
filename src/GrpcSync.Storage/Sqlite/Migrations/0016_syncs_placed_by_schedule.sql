-- Sync rows placed by their schedule (Sqlite/SqliteSyncPlacement): each row's rowid becomes its slot's offset into the
-- minute (high bits) and its rank among the Syncs of that offset (low bits), so the Syncs due together lie side by side
-- and a dispatch round rewrites a few pages, not one random page per run. New rows are placed so on insert.
-- Every placed rowid is at least 2^40, above every rowid before this migration, so moving rows one by one never collides.
-- Ids, foreign keys and indexed values are unchanged (indexes follow the rowids). One pass over the table.
UPDATE syncs SET rowid = placed.rowid_placed
FROM (SELECT id, sync_row_base(id) + ROW_NUMBER() OVER (PARTITION BY sync_row_base(id) ORDER BY rowid) - 1 AS rowid_placed
      FROM syncs) AS placed
WHERE syncs.id = placed.id;
