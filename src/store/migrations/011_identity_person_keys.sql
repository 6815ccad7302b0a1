-- One active consumer card per person (ADR 0004): beside each consumer holder's encrypted record,
-- a keyed hash (HMAC-SHA256 under a gateway secret) of the normalized national ID, so a second
-- issuance for the same person is found without storing or revealing the ID. Erased with the record.
alter table identities add column person_key text;
create index identities_person_key_idx on identities (person_key) where person_key is not null;
