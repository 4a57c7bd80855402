-- 0013_summary_fields_rendered: summary_fields written since this migration are the members a
-- list page shows, already rendered as the page has them ("dagName":"...",
-- "applicationArguments":[...], no braces, so always starting with '"'), which a list copies
-- into its page as they are instead of reading them out of a JSON object per row. Values
-- from before it (a JSON object, starting with '{') and rows without any (NULL: the
-- request_body is read) are read as before. Only the column's comment changes here, to say so.
ALTER TABLE application_submission
    MODIFY COLUMN summary_fields TEXT NULL
    COMMENT 'list members, rendered ("dagName":..): 0013; a JSON object: 0012';
