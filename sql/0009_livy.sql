-- 0009_livy: Apache Livy's batch ids. Livy clients know a batch by an integer; each batch
-- submitted through the Livy API (prefix [livy] prefix) gets one here, mapped to its
-- submission. killed_time: the batch was deleted through the Livy API (state "killed").
CREATE TABLE IF NOT EXISTS livy_batch (
    id            INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    submission_id VARCHAR(255) NOT NULL,
    created_time  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    killed_time   TIMESTAMP(3) NULL,
    UNIQUE KEY uq_livy_submission (submission_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
