-- 002_chain_txs: exactly-once submission. Every ledger transaction the gateway signs is stored
-- (raw bytes included) in the same database transaction that claims its submissions, BEFORE it
-- is broadcast. After a crash, a 'sent' transaction is looked up by hash and re-broadcast
-- unchanged (same nonce, same hash) until mined: it can be recorded once and only once.
create table chain_txs (
  tx_hash      text primary key,
  sender       text not null,
  nonce        numeric(20,0) not null check (nonce between 0 and 18446744073709551615),
  kind         text not null check (kind in ('settlement', 'refund', 'redemption')),
  raw          text not null,
  status       text not null default 'sent' check (status in ('sent', 'mined', 'reverted', 'dropped')),
  block_number bigint,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  unique (sender, nonce)
);
create index chain_txs_status_idx on chain_txs (status);

-- What the ledger recorded for a confirmed submission (its leaf proves it for refunds).
alter table submissions add column points numeric(20,0);
alter table submissions add column credit_points numeric(20,0);
alter table submissions add column leaf text;
alter table submissions add column confirmed_at timestamptz;
create index submissions_tx_idx on submissions (tx_hash);
create index submissions_card_idx on submissions (card_id, id);

-- One live settlement per merchant order: a rejected one may be retried under a new nonce.
create unique index submissions_live_order_idx on submissions (merchant_id, order_id)
  where kind = 'settlement' and status <> 'rejected';
