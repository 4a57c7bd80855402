-- schema.sql: the gateway's database as the migrations leave it (0001 .. 0014), to read.
--
-- The truth is the numbered migrations beside this file: `bpg-fcgi --migrate` applies them
-- (never this file) and records each in schema_migrations(version, applied_at). This file
-- says the same thing in one place, grouped by meaning: t/integration/test_schema.py applies
-- the migrations to one scratch database and this file to another and compares their
-- tables, columns and indexes. A new migration changes this file in the same commit.
--
-- Times are TIMESTAMP(3) (UTC milliseconds); the gateway reads them as epoch ms.
-- Every table: InnoDB, utf8mb4 with the binary collation (ids compare byte for byte).

-- One row a submission (POST /spark, the Livy API's batches): what was asked, where it went,
-- what the cluster says of it. Written by the gateway at submit and on status reads, and by
-- bpg-monitor (lib/bpg_subdb.c, lib/bpg_recstore.c).
CREATE TABLE application_submission (
    -- who and where
    submission_id      VARCHAR(255) NOT NULL PRIMARY KEY,   -- also the SparkApplication's name
    cluster_id         VARCHAR(32)  NULL,
    namespace          VARCHAR(63)  NULL,
    `user`             VARCHAR(255) NULL,      -- the owner (the proxy user)
    original_user      VARCHAR(255) NULL,      -- who sent it (an Airflow proxy account, or the owner)
    queue              VARCHAR(255) NULL,      -- the resolved queue, written once at submit

    -- what was asked (from the request; the Java gateway's columns)
    app_name           VARCHAR(255) NULL,
    dag_name           VARCHAR(255) NULL,
    task_name          VARCHAR(255) NULL,
    spark_version      VARCHAR(255) NULL,
    request_body       MEDIUMTEXT NULL,        -- masked
    summary_fields     TEXT NULL
        COMMENT 'list members, rendered ("dagName":..): 0013; a JSON object: 0012',
    driver_core        SMALLINT NULL,
    driver_memory_mb   INT NULL,
    number_executor    SMALLINT NULL,
    executor_core      SMALLINT NULL,
    executor_memory_mb INT NULL,
    max_running_millis BIGINT NULL,
    cost               DECIMAL(10,2) NULL,     -- the Java gateway's; never written

    -- what the cluster says (the operator's SparkApplication status)
    status             VARCHAR(255) NULL,      -- the operator's state; NULL until observed
    app_id             VARCHAR(255) NULL,
    error_message      TEXT NULL COMMENT 'status.applicationState.errorMessage',
    driver_info        TEXT NULL COMMENT 'status.driverInfo as JSON',
    execution_attempts INT NULL,
    executor_count     INT NULL,
    resource_version   BIGINT NULL COMMENT 'metadata.resourceVersion of the observation stored',
    cr_created_time    TIMESTAMP(3) NULL COMMENT 'metadata.creationTimestamp',
    start_time         TIMESTAMP(3) NULL,
    finished_time      TIMESTAMP(3) NULL,
    status_time        TIMESTAMP(3) NULL COMMENT 'when status was last read from the cluster',

    -- the gateway's own bookkeeping
    created_time       TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_time       TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                       ON UPDATE CURRENT_TIMESTAMP(3),
    last_error         TEXT NULL COMMENT 'the gateway''s own error, e.g. create failed',
    gateway_failed     TINYINT NOT NULL DEFAULT 0
        COMMENT '1: the gateway never created the SparkApplication (final)',
    abandoned_time     TIMESTAMP(3) NULL COMMENT 'the gateway gave up on creating its CR',
    claim_owner        VARCHAR(64) NULL COMMENT 'named lock of the worker handling it',

    -- Idempotency-Key (0007): the key is the sender's (original_user), the first answer kept
    idempotency_key    VARCHAR(255) NULL,
    idem_fingerprint   CHAR(64) NULL COMMENT 'SHA-256 of the keyed request',
    idem_status        SMALLINT NULL COMMENT 'HTTP status of the first answer',
    idem_response      TEXT NULL COMMENT 'body of the first answer',

    -- log archiving by the monitor (level-triggered on these)
    logs_archived_time   TIMESTAMP(3) NULL COMMENT 'when its logs reached S3',
    log_archive_attempts SMALLINT NOT NULL DEFAULT 0,

    UNIQUE KEY uq_submitter_idempotency (original_user, idempotency_key),
    KEY idx_idem_created (idempotency_key, created_time),         -- keys expired by age
    KEY idx_app_id (app_id),                                      -- look-ups by Spark app id
    KEY idx_cluster_status (cluster_id, status),                  -- the monitor's open rows
    KEY idx_abandoned (cluster_id, abandoned_time),               -- the monitor's orphans
    KEY idx_archive (logs_archived_time, finished_time),          -- logs still to archive
    KEY idx_created (created_time),                               -- lists, newest first
    KEY idx_status_created (status, created_time),
    KEY idx_user_created (`user`, created_time),                  -- a user's list (owner) ...
    KEY idx_original_user_created (original_user, created_time),  -- ... or sender (index merge)
    KEY idx_app_name_created (app_name, created_time),
    KEY idx_queue_created (queue, created_time)                   -- an admin's list by queue
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The attempts of each submission as observed (status write-through and the monitor upsert
-- one attempt by its key, a newer resourceVersion winning per attempt).
CREATE TABLE application_attempt (
    -- the key: an attempt is one submission by the operator
    submission_id      VARCHAR(255) NOT NULL,
    submitted_time     TIMESTAMP(3) NOT NULL COMMENT 'status.lastSubmissionAttemptTime',
    submission_attempt INT NOT NULL COMMENT 'status.submissionAttempts',
    execution_attempt  INT NOT NULL COMMENT 'status.executionAttempts',
    -- what was last observed of it
    state              VARCHAR(255) NULL COMMENT 'the last state observed in this attempt',
    app_id             VARCHAR(255) NULL COMMENT 'status.sparkApplicationId',
    termination_time   TIMESTAMP(3) NULL,
    error_message      TEXT NULL,
    resource_version   BIGINT NULL,
    PRIMARY KEY (submission_id, execution_attempt, submission_attempt, submitted_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Apache Livy's integer batch ids, one a submission made through the Livy API.
CREATE TABLE livy_batch (
    id            INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    submission_id VARCHAR(255) NOT NULL,
    created_time  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    killed_time   TIMESTAMP(3) NULL,          -- deleted through the Livy API ("killed")
    UNIQUE KEY uq_livy_submission (submission_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Idempotency-Key for calls other than POST /spark (uploads): one row a key a user sent.
CREATE TABLE idempotent_request (
    original_user VARCHAR(255) NOT NULL,
    idem_key      VARCHAR(255) NOT NULL,
    route         VARCHAR(64)  NOT NULL,
    fingerprint   CHAR(64)     NULL,          -- SHA-256 of the request
    claim_owner   VARCHAR(64)  NULL,          -- named lock of the worker handling it
    status        SMALLINT     NULL,          -- the first answer, once done
    response      TEXT         NULL,
    created_time  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (original_user, idem_key),
    KEY idx_idem_req_created (created_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The pod logs in S3: one row an object (the Java gateway's table, plus how to read it).
CREATE TABLE logindex (
    logs3key    VARCHAR(500) NOT NULL PRIMARY KEY,
    `date`      DATE NOT NULL,
    `hour`      SMALLINT NOT NULL,
    containerId VARCHAR(255) NOT NULL,
    format      VARCHAR(16) NOT NULL DEFAULT 'fluentbit',   -- 'fluentbit' records, or 'raw'
    size        BIGINT NULL COMMENT 'bytes, when known',
    KEY idx_container (containerId, logs3key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- bpg-monitor's last run (one row, id 1), for the health endpoint and /metrics.
CREATE TABLE monitor_run (
    id              TINYINT NOT NULL PRIMARY KEY,
    started_at      TIMESTAMP(3) NOT NULL,
    finished_at     TIMESTAMP(3) NULL,
    outcome         VARCHAR(16) NOT NULL COMMENT 'ok, partial (some clusters failed) or failed',
    clusters        INT NOT NULL DEFAULT 0,
    failed_clusters INT NOT NULL DEFAULT 0 COMMENT 'clusters whose listing failed',
    objects         INT NOT NULL DEFAULT 0,
    changed         INT NOT NULL DEFAULT 0,
    finalized       INT NOT NULL DEFAULT 0,
    stopped         INT NOT NULL DEFAULT 0,
    restarts        INT NOT NULL DEFAULT 0 COMMENT 'listings started over after 410 Expired',
    duration_ms     BIGINT NOT NULL DEFAULT 0,
    errors          TEXT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
