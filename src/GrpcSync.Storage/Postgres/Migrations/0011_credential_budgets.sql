-- Rate budgets shared per credential (RelationalSyncStore.Budgets.cs). One row per credential that was ever
-- throttled or full; none for the others, so the dispatcher's probes of it cost nothing in the common case.
-- hold_until: the source throttled the credential; no run on it starts before (ms since the epoch).
-- busy_until: every run slot of the credential was taken; its Syncs are not dispatch candidates until then
-- (the soonest a slot frees without a run ending) or until a run on it ends, which clears it.
CREATE TABLE credential_budgets (
    credential_id uuid    NOT NULL PRIMARY KEY,
    hold_until    bigint,
    hold_error    text,
    busy_until    bigint
);

-- Why a QUEUED run waits on its credential (RunHold), and when a RATE_LIMITED Sync resumes.
ALTER TABLE sync_runs ADD COLUMN hold text;
ALTER TABLE syncs ADD COLUMN rate_limited_until bigint;
