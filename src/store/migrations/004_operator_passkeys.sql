-- 004_operator_passkeys: what passkey sign-in, enrolment and relayed decisions keep between two
-- requests (ADR 0001, section 10). Nothing here decides anything: every decision is a signature
-- the chain checks.

-- WebAuthn challenges the gateway issued: each is taken (deleted) by the one request that answers
-- it, and lapses at expires_at. `payload` says what it was for (institution, operator ID).
create table operator_challenges (
  id         text primary key,
  purpose    text not null check (purpose in ('sign_in', 'enrolment')),
  challenge  text not null,
  payload    jsonb not null default '{}'::jsonb,
  expires_at timestamptz not null
);
create index operator_challenges_expiry_idx on operator_challenges (expires_at);

-- Operator sessions: the cookie carries a random token, the store only its SHA-256. A session
-- ends at sign-out (ended_at), after 15 minutes idle (last_seen_at) or 8 hours (expires_at),
-- and at once when its credential is removed on chain (checked on each request).
create table operator_sessions (
  token_hash    text primary key,
  credential_id numeric(20, 0) not null,
  institution   text not null check (institution in ('bank', 'credit_center')),
  operator_id   text not null,
  kind          text not null check (kind in ('passkey', 'hsm')),
  created_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now(),
  expires_at    timestamptz not null,
  ended_at      timestamptz
);
create index operator_sessions_credential_idx on operator_sessions (credential_id);

-- Drafts of operator steps (decisions and enrolments): the step and call the gateway built for
-- someone to sign, kept until the step's notAfter. `signatures` collects an enrolment's quorum.
create table operator_drafts (
  id          text primary key,
  purpose     text not null check (purpose in ('decision', 'enrolment')),
  payload     jsonb not null,
  signatures  jsonb not null default '[]'::jsonb,
  expires_at  timestamptz not null,
  created_at  timestamptz not null default now()
);
create index operator_drafts_expiry_idx on operator_drafts (expires_at);
