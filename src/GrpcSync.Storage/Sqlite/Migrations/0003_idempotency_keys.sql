CREATE TABLE idempotency_keys (
    project_id      TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    request_hash    BLOB    NOT NULL,
    response        BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id, method, idempotency_key)
) STRICT;
CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);
