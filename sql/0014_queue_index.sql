-- 0014_queue_index: an admin's list of everyone (/admin/submissions) filtered by queue is
-- read newest first along (queue, created_time): without it MariaDB walked idx_created back
-- through every row of every other queue (100,000 rows: 88 ms a page for a queue with none).
-- queue is written once, at submit: the monitor's updates never move this index.
ALTER TABLE application_submission
    ADD KEY IF NOT EXISTS idx_queue_created (queue, created_time);
