-- 0004_monitor_counts: more of the monitor's last run, for the health endpoint and /metrics.
ALTER TABLE monitor_run
    ADD COLUMN IF NOT EXISTS failed_clusters INT NOT NULL DEFAULT 0 COMMENT 'clusters whose listing failed' AFTER clusters,
    ADD COLUMN IF NOT EXISTS restarts INT NOT NULL DEFAULT 0 COMMENT 'listings started over after 410 Expired' AFTER stopped,
    ADD COLUMN IF NOT EXISTS duration_ms BIGINT NOT NULL DEFAULT 0 AFTER restarts;
