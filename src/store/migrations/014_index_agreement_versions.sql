-- Each merchant's agreement version as the read index has followed it (AgreementSet, ADR 0012):
-- PointsEarned no longer names the version, so the index gives each settlement the version in
-- force at its position in the chain.
alter table index_merchants add column agreement_version integer not null default 0;
