-- A scheduled INCREMENTAL run lives on its Sync's row while it runs (row_run_*), and the collapsed entry the Sync's
-- no-change runs are folding into keeps its count, last start and end here (streak_*) until the streak ends: a
-- no-change run then rewrites only its Sync's row, not a run row and two random index leaves (RelationalSyncStore.RowRuns).
-- The run gets a row in sync_runs only when it has something to report (changes, failure, cancel, retry); the entry's
-- row gets the streak's figures when a newer entry of the Sync is written. Readers overlay both.
ALTER TABLE syncs ADD COLUMN row_run_id uuid;
ALTER TABLE syncs ADD COLUMN row_run_created_at bigint;
ALTER TABLE syncs ADD COLUMN row_run_due_at bigint;
ALTER TABLE syncs ADD COLUMN row_run_started_at bigint;
ALTER TABLE syncs ADD COLUMN row_run_attempt integer;
ALTER TABLE syncs ADD COLUMN row_run_lease_owner text;
ALTER TABLE syncs ADD COLUMN row_run_lease_expires_at bigint;
ALTER TABLE syncs ADD COLUMN streak_entry_id uuid;
ALTER TABLE syncs ADD COLUMN streak_runs integer;
ALTER TABLE syncs ADD COLUMN streak_last_started_at bigint;
ALTER TABLE syncs ADD COLUMN streak_finished_at bigint;
-- Runs on Sync rows by lease end: reclaiming expired ones, counting live ones per credential, renewing one.
-- Keys arrive in time order, so the pages a run touches here are the same few recent ones.
CREATE INDEX ix_syncs_row_run_lease ON syncs (row_run_lease_expires_at, row_run_id) WHERE row_run_id IS NOT NULL;
