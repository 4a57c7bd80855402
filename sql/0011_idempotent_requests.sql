-- 0011_idempotent_requests: Idempotency-Key for calls other than POST /spark (which keeps the
-- key on its submission row, 0007): uploads (POST {base}/s3/{name}). One row per key a user
-- sent: the request's fingerprint and first answer once it is done, and meanwhile the claim
-- of the worker handling it (a MariaDB named lock that lives as long as that worker's session).
CREATE TABLE IF NOT EXISTS idempotent_request (
    original_user VARCHAR(255) NOT NULL,
    idem_key      VARCHAR(255) NOT NULL,
    route         VARCHAR(64)  NOT NULL,
    fingerprint   CHAR(64)     NULL,
    claim_owner   VARCHAR(64)  NULL,
    status        SMALLINT     NULL,
    response      TEXT         NULL,
    created_time  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (original_user, idem_key),
    KEY idx_idem_req_created (created_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
