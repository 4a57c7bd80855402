-- 0002_gateway_columns: what the C gateway keeps beyond the Java gateway's columns.
-- `queue` now holds the resolved queue (the Java gateway stored the raw request value).
ALTER TABLE application_submission
    ADD COLUMN cluster_id         VARCHAR(32)  NULL AFTER submission_id,
    ADD COLUMN namespace          VARCHAR(63)  NULL AFTER cluster_id,
    ADD COLUMN original_user      VARCHAR(255) NULL AFTER `user`,
    ADD COLUMN idempotency_key    VARCHAR(255) NULL,
    ADD COLUMN updated_time       TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                                  ON UPDATE CURRENT_TIMESTAMP(3),
    ADD COLUMN status_time        TIMESTAMP(3) NULL COMMENT 'when status was last read from the cluster',
    ADD COLUMN cr_created_time    TIMESTAMP(3) NULL COMMENT 'metadata.creationTimestamp',
    ADD COLUMN execution_attempts INT NULL,
    ADD COLUMN error_message      TEXT NULL COMMENT 'status.applicationState.errorMessage',
    ADD COLUMN driver_info        TEXT NULL COMMENT 'status.driverInfo as JSON',
    ADD COLUMN executor_count     INT NULL,
    ADD COLUMN max_running_millis BIGINT NULL,
    ADD COLUMN last_error         TEXT NULL COMMENT 'the gateway''s own error, e.g. create failed',
    ADD UNIQUE KEY uq_user_idempotency (`user`, idempotency_key),
    ADD KEY idx_cluster_status (cluster_id, status),
    ADD KEY idx_created (created_time),
    ADD KEY idx_app_name_created (app_name, created_time);
