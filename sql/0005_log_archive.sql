-- 0005_log_archive: the gateway archives logs itself (the Java gateway needed an external
-- mover and indexer). `format` says how /log reads an object back: 'fluentbit' records
-- written by an external mover (the Java layout), or 'raw' bytes as the pod gave them.
ALTER TABLE logindex
    ADD COLUMN IF NOT EXISTS format VARCHAR(16) NOT NULL DEFAULT 'fluentbit',
    ADD COLUMN IF NOT EXISTS size BIGINT NULL COMMENT 'bytes, when known';

-- The monitor archives each ended submission's logs once: level-triggered on these columns.
ALTER TABLE application_submission
    ADD COLUMN IF NOT EXISTS logs_archived_time TIMESTAMP(3) NULL COMMENT 'when its logs reached S3',
    ADD COLUMN IF NOT EXISTS log_archive_attempts SMALLINT NOT NULL DEFAULT 0,
    ADD KEY IF NOT EXISTS idx_archive (logs_archived_time, finished_time);
