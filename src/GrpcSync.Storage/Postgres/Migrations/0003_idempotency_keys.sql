CREATE TABLE idempotency_keys (
    project_id      text    NOT NULL,
    user_id         text    NOT NULL,
    method          text    NOT NULL,
    idempotency_key text    NOT NULL,
    request_hash    bytea   NOT NULL,
    response        bytea   NOT NULL,
    created_at      bigint  NOT NULL,
    PRIMARY KEY (project_id, user_id, method, idempotency_key)
);
CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);
