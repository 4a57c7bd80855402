-- 0006_abandoned_creates: a create the gateway gave up on (a timeout, a broken connection)
-- may still land on the cluster later. The row says when it was abandoned, so the monitor
-- deletes such a SparkApplication if it shows up instead of letting it run unseen.
ALTER TABLE application_submission
    ADD COLUMN IF NOT EXISTS abandoned_time TIMESTAMP(3) NULL COMMENT 'the gateway gave up on creating its CR',
    ADD KEY IF NOT EXISTS idx_abandoned (cluster_id, abandoned_time);
