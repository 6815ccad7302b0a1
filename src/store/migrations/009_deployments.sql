-- 009_deployments: the deployment record in the shared store (PostgreSQL), so that gateways with
-- DATA_DIRs of their own find the contracts one of them deployed. A gateway deploys only while it
-- holds the deployment lock (src/store/deployments.ts, ADR 0007) and finds no record here.
create table deployments (
  chain_id   text primary key,
  record     jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
