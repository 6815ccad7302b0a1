-- 005_identity_data_keys: each holder's personal data under a data key of its own (ADR 0004).
-- The data keys live outside the database (src/auth/identity-keys.ts); a row keeps only the
-- ciphertext, which covers the commitment's salt too. Format 1 rows (one key for every holder,
-- the salt in clear) are re-encrypted at start by src/auth/identity-migration.ts.
alter table identities add column format smallint not null default 1 check (format in (1, 2));
alter table identities add column stored_at timestamptz not null default now();
-- Set by the identity sweep once the card exists on chain (a card is never un-issued), so each
-- sweep reads the chain only for records whose card it has not yet seen.
alter table identities add column card_issued boolean not null default false;
alter table identities drop constraint identities_check;
alter table identities add constraint identities_erased_check check ((erased_at is null) = (ciphertext is not null));
alter table identities add constraint identities_salt_check check (format = 1 or salt is null);
