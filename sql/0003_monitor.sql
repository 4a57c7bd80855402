-- 0003_monitor: the monitor's last run, for the health endpoint and /metrics (one row, id 1).
CREATE TABLE IF NOT EXISTS monitor_run (
    id           TINYINT NOT NULL PRIMARY KEY,
    started_at   TIMESTAMP(3) NOT NULL,
    finished_at  TIMESTAMP(3) NULL,
    outcome      VARCHAR(16) NOT NULL COMMENT 'ok, partial (some clusters failed) or failed',
    clusters     INT NOT NULL DEFAULT 0,
    objects      INT NOT NULL DEFAULT 0,
    changed      INT NOT NULL DEFAULT 0,
    finalized    INT NOT NULL DEFAULT 0,
    stopped      INT NOT NULL DEFAULT 0,
    errors       TEXT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
