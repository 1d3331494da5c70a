-- Run history that stays bounded (Domain/RunHistory). collapsed_runs: NULL for an entry of its own; n >= 1 for an
-- entry standing for n consecutive scheduled INCREMENTAL runs that changed nothing (the first one's row, updated in
-- place as each next one folds in, whose own row is then deleted). last_started_at: such an entry's latest start.
-- No new index: retention walks the primary key (UUIDv7, so id order is creation order) and protects each Sync's
-- newest entries through ix_sync_runs_sync_created; every index on sync_runs is paid by every run.
ALTER TABLE sync_runs ADD COLUMN collapsed_runs integer;
ALTER TABLE sync_runs ADD COLUMN last_started_at bigint;
