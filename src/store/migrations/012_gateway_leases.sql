-- 012_gateway_leases: each gateway holds a lease on its sender (the gateway key that signs its
-- ledger transactions), renewed while it lives. Its claims commit only while it holds the lease
-- (read FOR SHARE in the claim transaction). When a lease lapses, a live gateway adopts it
-- (adopted_by, FOR UPDATE SKIP LOCKED) and finishes the dead sender's 'sent' transactions; an
-- adopted key is retired and refuses to start (ADR 0007). No personal data: `instance` is a host
-- name and a process id.
create table gateway_leases (
  sender     text primary key,
  epoch      bigint not null,
  instance   text not null,
  renewed_at timestamptz not null default now(),
  expires_at timestamptz not null,
  adopted_by text,
  adopted_at timestamptz
);
create index gateway_leases_lapsed_idx on gateway_leases (expires_at) where adopted_by is null;
