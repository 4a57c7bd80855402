-- 0007_idempotency: Idempotency-Key as the IETF draft defines it, and claims on in-flight rows.
-- * A key belongs to the authenticated user who sent it (original_user), not to the owner a
--   proxy account submits for: the unique key moves to (original_user, idempotency_key).
-- * idem_fingerprint: SHA-256 (hex) of the method, the route, the authenticated user, the owner
--   and the normalised request; the same key with another fingerprint is refused (422).
-- * idem_status / idem_response: the first answer, replayed byte for byte to a retry.
-- * claim_owner: the MariaDB named lock the worker handling the row holds for as long as its
--   database session lives. A free lock means that worker is gone: a retry with the key, or
--   the monitor, may take the row over.
ALTER TABLE application_submission
    ADD COLUMN IF NOT EXISTS idem_fingerprint CHAR(64) NULL COMMENT 'SHA-256 of the keyed request',
    ADD COLUMN IF NOT EXISTS idem_status SMALLINT NULL COMMENT 'HTTP status of the first answer',
    ADD COLUMN IF NOT EXISTS idem_response TEXT NULL COMMENT 'body of the first answer',
    ADD COLUMN IF NOT EXISTS claim_owner VARCHAR(64) NULL COMMENT 'named lock of the worker handling it',
    DROP INDEX IF EXISTS uq_user_idempotency,
    ADD UNIQUE KEY IF NOT EXISTS uq_submitter_idempotency (original_user, idempotency_key),
    ADD KEY IF NOT EXISTS idx_idem_created (idempotency_key, created_time);
