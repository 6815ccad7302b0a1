-- Drafts of credential removals (POST /v1/operators/:credentialId/removal) join decisions and
-- enrolments: `signatures` collects a removal's quorum of other operators.
alter table operator_drafts drop constraint operator_drafts_purpose_check;
alter table operator_drafts add constraint operator_drafts_purpose_check check (purpose in ('decision', 'enrolment', 'removal'));
