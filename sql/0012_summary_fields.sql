-- 0012_summary_fields: the few fields of the stored request that a list shows (dagName and
-- applicationArguments), as a small JSON object written with the row at submit
-- ({"arguments":[...],"driver":{"labels":{"dag_name":"..."}}}, only those present). A list
-- page reads it instead of every row's whole request_body. Rows from before it have NULL:
-- lists read their request_body, as before (no backfill: no long lock on a large table).
ALTER TABLE application_submission
    ADD COLUMN IF NOT EXISTS summary_fields TEXT NULL AFTER request_body;
