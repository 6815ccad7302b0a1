-- 001_init: the gateway's first schema. Runs unchanged on PGlite and PostgreSQL.
-- Chain integers: uint64 (nonces, amounts, batch ids) are numeric(20,0) checked to the uint64
-- range; uint32 merchant ids are bigint (an integer column would overflow above 2^31 - 1).
-- Hashes and addresses are 0x-hex text.

-- Transaction slips (patent units 6-8): the canonical slip off chain, its hash on chain.
create table slips (
  id          text primary key,                 -- random 128-bit hex
  merchant_id bigint not null check (merchant_id between 0 and 4294967295),
  terminal    text not null,                    -- terminal key address
  card_id     text not null,
  order_id    text not null,
  slip_hash   text not null unique,
  currency    text not null,
  category    integer not null,
  amount      numeric(20,0) not null check (amount between 0 and 18446744073709551615),
  body        jsonb not null,                   -- the canonical slip
  created_at  timestamptz not null default now(),
  unique (merchant_id, order_id)
);

-- The durable outbox of terminal-signed ledger operations. (terminal, nonce) is the replay key;
-- request_hash (hash of the canonical payload) tells an idempotent retry from a conflicting reuse.
create table submissions (
  id              bigserial primary key,
  kind            text not null check (kind in ('settlement', 'refund', 'redemption')),
  terminal        text not null,
  nonce           numeric(20,0) not null check (nonce between 0 and 18446744073709551615),
  order_id        text,
  card_id         text,
  merchant_id     bigint check (merchant_id between 0 and 4294967295),
  payload         jsonb not null,               -- signed message + signatures, as submitted
  request_hash    text not null,
  status          text not null default 'queued'
                  check (status in ('queued', 'submitted', 'confirmed', 'rejected')),
  reason          text,
  tx_hash         text,
  block_number    bigint,
  batch_id        numeric(20,0) check (batch_id between 0 and 18446744073709551615),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  unique (terminal, nonce)
);
create index submissions_status_next_attempt_idx on submissions (status, next_attempt_at);
create index submissions_order_idx on submissions (merchant_id, order_id);

-- Leaves of every recorded batch, needed later to prove a leaf (e.g. for a refund).
create table batches (
  tx_hash      text primary key,
  batch_id     numeric(20,0) not null check (batch_id between 0 and 18446744073709551615),
  block_number bigint not null,
  leaves       jsonb not null,
  created_at   timestamptz not null default now()
);

-- Bank, credit-center and auditor operators of the portal and API.
create table operators (
  id            bigserial primary key,
  username      text not null unique,
  role          text not null check (role in ('bank', 'credit_center', 'auditor')),
  password_hash text not null,
  address       text,                           -- the operator's chain key address, if any
  created_at    timestamptz not null default now()
);

-- Personal data of card holders, encrypted (AES-256-GCM). Erasure nulls ciphertext and salt
-- ("crypto-shredding"): the on-chain commitment can then no longer be linked to a person.
create table identities (
  card_id    text primary key,
  ciphertext bytea,
  iv         bytea,
  auth_tag   bytea,
  salt       bytea,
  commitment text not null,
  erased_at  timestamptz,
  check ((erased_at is null) = (ciphertext is not null and salt is not null))
);

-- Off-chain mirror of card state, for reads; the chain stays the source of truth.
create table cards_meta (
  card_id     text primary key,
  kind        text not null,
  key_address text,
  account     numeric(20,0),
  status      text not null,
  merchant_id bigint check (merchant_id between 0 and 4294967295),
  created_at  timestamptz not null default now()
);
