-- 0008_operator_states: the operator's state machine (issue 24). Only COMPLETED and FAILED
-- are final on the cluster; SUBMISSION_FAILED is not (the operator retries, then FAILED).
--
-- gateway_failed: the gateway itself never created the SparkApplication (its create was
-- refused, or abandoned after a timeout, or never finished). Final, and kept apart from
-- the operator's SUBMISSION_FAILED; the API answers SUBMISSION_FAILED for both, the error
-- message tells them apart.
--
-- resource_version: metadata.resourceVersion of the observation the row holds, compared as
-- a number (the API server's etcd revision, which grows for one object). An observation is
-- written only when it is newer, checked in the UPDATE itself, so a status read's
-- write-through and the monitor never take the row back in time.
ALTER TABLE application_submission
    ADD COLUMN IF NOT EXISTS gateway_failed TINYINT NOT NULL DEFAULT 0
        COMMENT '1: the gateway never created the SparkApplication (final)',
    ADD COLUMN IF NOT EXISTS resource_version BIGINT NULL
        COMMENT 'metadata.resourceVersion of the observation stored';

-- The attempts of each submission, as observed. A table rather than a JSON column: both
-- writers (status write-through, the monitor's page of rows) upsert one attempt by its key
-- with the newer-resourceVersion rule per attempt in one statement, with no
-- read-modify-write of a shared JSON document; the history stays small rows, indexed.
-- An attempt is one submission by the operator: its counters (submissionAttempts,
-- executionAttempts) and lastSubmissionAttemptTime (the counters alone repeat: a rerun
-- resets submissionAttempts). Attempts that began and ended between two observations are
-- not seen.
CREATE TABLE IF NOT EXISTS application_attempt (
    submission_id      VARCHAR(255) NOT NULL,
    execution_attempt  INT NOT NULL COMMENT 'status.executionAttempts',
    submission_attempt INT NOT NULL COMMENT 'status.submissionAttempts',
    submitted_time     TIMESTAMP(3) NOT NULL COMMENT 'status.lastSubmissionAttemptTime',
    app_id             VARCHAR(255) NULL COMMENT 'status.sparkApplicationId',
    state              VARCHAR(255) NULL COMMENT 'the last state observed in this attempt',
    error_message      TEXT NULL,
    termination_time   TIMESTAMP(3) NULL,
    resource_version   BIGINT NULL,
    PRIMARY KEY (submission_id, execution_attempt, submission_attempt, submitted_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Existing rows. SUBMISSION_FAILED written by the gateway (abandoned, or never created:
-- no CR creation time) become gateway failures. The operator's SUBMISSION_FAILED rows are
-- open again: not finished, and due for a fresh read, so the monitor and /status observe
-- them again (the resubmission, or the operator's FAILED).
UPDATE application_submission SET gateway_failed = 1
    WHERE status = 'SUBMISSION_FAILED' AND (abandoned_time IS NOT NULL OR cr_created_time IS NULL);
UPDATE application_submission SET finished_time = NULL, status_time = NULL
    WHERE status = 'SUBMISSION_FAILED' AND gateway_failed = 0;
