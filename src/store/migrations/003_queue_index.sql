-- 003_queue_index: the submitter takes queued submissions of one kind, oldest first. An index
-- in that order lets it read just the rows it claims; the (status, next_attempt_at) index made
-- every claim walk all queued rows, which under load is thousands per claim.
drop index submissions_status_next_attempt_idx;
create index submissions_queue_idx on submissions (status, kind, id);
