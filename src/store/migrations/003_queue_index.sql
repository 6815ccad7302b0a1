-- 003_queue_index: indexes that match the submitter's and the intake's queries, and no more
-- (every index is written again on each of a submission's status changes).
-- The submitter takes queued submissions of one kind, oldest first. An index in that order lets
-- it read just the rows it claims; the (status, next_attempt_at) index made every claim walk all
-- queued rows, which under load is thousands per claim.
drop index submissions_status_next_attempt_idx;
create index submissions_queue_idx on submissions (status, kind, id);
-- Every lookup of a merchant's order (live settlement checks, refund proofs) filters on
-- kind = 'settlement' and status <> 'rejected': submissions_live_order_idx serves them.
drop index submissions_order_idx;
