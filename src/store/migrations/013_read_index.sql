-- 013_read_index: the read index (src/index/, ADR 0008). The ledger's and the registry's events,
-- decoded and kept in the store so that histories, per-day figures and operator lists read rows
-- instead of scanning chain logs. Fed from the chain's logs by whichever gateway holds the index's
-- lock; every row is keyed by its chain position, so writing a block twice changes nothing.
-- No personal data: card IDs, accounts, merchant IDs, terminals, amounts and order IDs only.

-- One row per deployment followed: how far its index has got.
create table index_sources (
  id            serial primary key,
  chain_id      text not null,
  ledger        text not null,
  registry      text not null,
  -- The last block whose events are all in the index (the deployment block - 1 at first).
  indexed_block bigint not null,
  updated_at    timestamptz not null default now(),
  unique (chain_id, ledger)
);

-- Points movements: earned (settlements), reversed (refunds and corrections), redeemed.
create table index_movements (
  source_id         integer not null references index_sources (id),
  -- block * 2^20 + log index: the chain's order, and the cursor of a history page.
  position          bigint not null,
  block             bigint not null,
  log_index         integer not null,
  tx_hash           bytea not null,
  -- The block's timestamp (seconds).
  time              bigint not null,
  movement          text not null check (movement in ('earned', 'reversed_refund', 'reversed_correction', 'redeemed')),
  card_id           bytea not null,
  -- The card's points account: a replacement card's history is its account's.
  account           bigint not null,
  merchant_id       bigint  not null,
  terminal          bytea not null,
  order_id          bytea not null,
  -- Signed: what the movement did to the card's balance.
  points            bigint not null,
  credit_points     bigint not null,
  -- A settlement's amount or a refund's; null for redemptions.
  amount            bigint,
  reason_code       integer,
  agreement_version integer,
  primary key (source_id, position)
);
create index index_movements_account_idx on index_movements (source_id, account, position desc);

-- A merchant's settlements, refunds and redemptions summed by day (UTC) and terminal.
create table index_merchant_days (
  source_id       integer not null references index_sources (id),
  merchant_id     bigint  not null,
  -- Days since 1970-01-01 (UTC).
  day             integer not null,
  terminal        bytea not null,
  settlements     integer not null default 0,
  amount          numeric not null default 0,
  points          numeric not null default 0,
  credit_points   numeric not null default 0,
  refunds         integer not null default 0,
  refund_amount   numeric not null default 0,
  points_reversed numeric not null default 0,
  redemptions     integer not null default 0,
  points_redeemed numeric not null default 0,
  primary key (source_id, merchant_id, day, terminal)
);

create table index_cards (
  source_id   integer not null references index_sources (id),
  card_id     bytea not null,
  account     bigint not null,
  kind        text not null check (kind in ('consumer', 'merchant')),
  status      text not null check (status in ('active', 'frozen', 'closed')),
  replaced_by bytea,
  primary key (source_id, card_id)
);
create index index_cards_account_idx on index_cards (source_id, account);
create index index_cards_status_kind_idx on index_cards (source_id, status, kind, card_id);

-- The cards that earned points at a merchant (GET /v1/cards?merchant=).
create table index_card_merchants (
  source_id   integer not null references index_sources (id),
  merchant_id bigint  not null,
  card_id     bytea not null,
  primary key (source_id, merchant_id, card_id)
);

create table index_merchants (
  source_id   integer not null references index_sources (id),
  merchant_id bigint  not null,
  card_id     bytea not null,
  active      boolean not null,
  primary key (source_id, merchant_id)
);
create index index_merchants_card_idx on index_merchants (source_id, card_id);

create table index_terminals (
  source_id   integer not null references index_sources (id),
  terminal    bytea not null,
  merchant_id bigint  not null,
  enabled     boolean not null,
  primary key (source_id, terminal)
);
create index index_terminals_merchant_idx on index_terminals (source_id, merchant_id, terminal);
