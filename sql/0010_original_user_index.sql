-- 0010_original_user_index: lists show a user the submissions they own (`user`) and those
-- they submitted for someone else (original_user: an Airflow proxy account with ?dagUser=).
-- The OR of the two is answered by an index merge of idx_user_created and this one.
ALTER TABLE application_submission
    ADD KEY IF NOT EXISTS idx_original_user_created (original_user, created_time);
