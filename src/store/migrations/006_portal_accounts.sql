-- 006_portal_accounts: the consumers' and merchants' portal (ADR 0006). A consumer account
-- belongs to a card's points account (it follows a replacement card), a merchant account to the
-- merchant. Nothing here is on chain and nothing here decides anything on chain.

-- One row per account: the activation code (SHA-256 only, until it expires or is used) and the
-- password (argon2id PHC string, null until activated). A new code replaces the old one and, once
-- used, the password: that is the reset path. `failures` and `locked_until` slow guessing.
create table portal_accounts (
  kind            text not null check (kind in ('consumer', 'merchant')),
  subject         numeric(20, 0) not null,
  code_hash       text,
  code_expires_at timestamptz,
  password_hash   text,
  failures        integer not null default 0,
  locked_until    timestamptz,
  activated_at    timestamptz,
  created_at      timestamptz not null default now(),
  primary key (kind, subject)
);

-- Failed sign-ins and activations per client address (TRUST_PROXY says where it comes from):
-- one client guessing across many accounts is slowed without locking those accounts' owners out.
create table portal_client_failures (
  client        text primary key,
  failures      integer not null default 0,
  locked_until  timestamptz,
  last_failure  timestamptz not null default now()
);

-- Portal sessions: the cookie carries a random token, the store only its SHA-256. A session ends
-- at sign-out, after 15 minutes idle or 8 hours, and when the account's password changes.
create table portal_sessions (
  token_hash    text primary key,
  kind          text not null check (kind in ('consumer', 'merchant')),
  subject       numeric(20, 0) not null,
  created_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now(),
  expires_at    timestamptz not null,
  ended_at      timestamptz
);
create index portal_sessions_account_idx on portal_sessions (kind, subject);

-- Passkeys a signed-in holder added (WebAuthn, ES256): another way to sign in, never a way to
-- activate or reset. Using a new activation code removes them (the reset starts afresh).
create table portal_passkeys (
  credential_id text primary key,
  kind          text not null check (kind in ('consumer', 'merchant')),
  subject       numeric(20, 0) not null,
  public_key    text not null,
  created_at    timestamptz not null default now()
);
create index portal_passkeys_account_idx on portal_passkeys (kind, subject);

-- WebAuthn challenges of the portal, each answered once before it expires.
create table portal_challenges (
  id          text primary key,
  purpose     text not null check (purpose in ('add_passkey', 'sign_in')),
  challenge   text not null,
  kind        text check (kind in ('consumer', 'merchant')),
  subject     numeric(20, 0),
  expires_at  timestamptz not null
);
