-- 0001_initial: the Java gateway's two tables (spec 7.2), in MySQL/MariaDB dialect, with the
-- indexes it lacked.  Forward-only: never edit a migration once landed; add the next number.
CREATE TABLE IF NOT EXISTS application_submission (
    submission_id      VARCHAR(255) NOT NULL PRIMARY KEY,
    `user`             VARCHAR(255) NULL,
    app_name           VARCHAR(255) NULL,
    dag_name           VARCHAR(255) NULL,
    task_name          VARCHAR(255) NULL,
    spark_version      VARCHAR(255) NULL,
    queue              VARCHAR(255) NULL,
    status             VARCHAR(255) NULL,
    app_id             VARCHAR(255) NULL,
    request_body       MEDIUMTEXT NULL,
    created_time       TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    finished_time      TIMESTAMP(3) NULL,
    start_time         TIMESTAMP(3) NULL,
    driver_core        SMALLINT NULL,
    driver_memory_mb   INT NULL,
    number_executor    SMALLINT NULL,
    executor_core      SMALLINT NULL,
    executor_memory_mb INT NULL,
    cost               DECIMAL(10,2) NULL,
    KEY idx_app_id (app_id),
    KEY idx_status_created (status, created_time),
    KEY idx_user_created (`user`, created_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS logindex (
    logs3key    VARCHAR(500) NOT NULL PRIMARY KEY,
    `date`      DATE NOT NULL,
    `hour`      SMALLINT NOT NULL,
    containerId VARCHAR(255) NOT NULL,
    KEY idx_container (containerId, logs3key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
