-- OAuth credentials (RelationalSyncStore.CredentialTokens.cs).
-- secret_version: bumped by every rewrite of protected_secret (an access-token refresh), the compare-and-swap token
-- that keeps a rotated refresh token from being overwritten by a concurrent writer.
-- refresh_holder / refresh_until: the lease of the one run (on any replica) refreshing the credential's access
-- token; others wait for secret_version to move. An expired lease (its holder died) may be taken over.
-- invalid_at: the source rejected the grant for good (invalid_grant); its Syncs are ERRORED.
ALTER TABLE credentials ADD COLUMN secret_version bigint NOT NULL DEFAULT 0;
ALTER TABLE credentials ADD COLUMN refresh_holder text;
ALTER TABLE credentials ADD COLUMN refresh_until bigint;
ALTER TABLE credentials ADD COLUMN invalid_at bigint;
