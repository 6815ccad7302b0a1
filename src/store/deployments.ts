/**
 * Deployment once, whatever the number of gateways (ADR 0007): on a shared PostgreSQL a gateway
 * decides whether to deploy while it holds a transaction-scoped advisory lock, and keeps the
 * record in `deployments`, where gateways starting later (or waiting on the lock) find it. The
 * embedded store serves one gateway (its DATA_DIR is locked), whose record is its deployment file.
 */
import { deploymentSchema, type DeploymentRecord } from "../chain/deployment";
import type { Db } from "./db";

/** Any constant shared by all gateways, other than the migrations' lock: "cred-dep" in ASCII. */
const DEPLOYMENT_LOCK_KEY = 0x637265642d646570n;

/**
 * Takes the deployment lock on a shared store and returns its release (safe to call twice). The
 * lock lives in a transaction of its own that stays open until released, on one pool connection;
 * other queries go on as usual. On the embedded store, nothing to take.
 */
export async function holdDeploymentLock(db: Db): Promise<() => Promise<void>> {
  if (db.engine !== "postgres") return async () => undefined;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let acquired!: () => void;
  const held = new Promise<void>((resolve) => (acquired = resolve));
  const transaction = db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1::bigint)", [DEPLOYMENT_LOCK_KEY.toString()]);
    acquired();
    await released;
  });
  await Promise.race([held, transaction]);
  return async () => {
    release();
    await transaction;
  };
}

/** The record the shared store holds for `chainId`, if any (the embedded store holds none). */
export async function storedDeployment(db: Db, chainId: string): Promise<DeploymentRecord | undefined> {
  if (db.engine !== "postgres") return undefined;
  const [row] = await db.query<{ record: unknown }>("select record from deployments where chain_id = $1", [chainId]);
  return row ? deploymentSchema.parse(row.record) : undefined;
}

/**
 * Keeps `record` in the shared store. A record of other contracts for the same chain is refused:
 * gateways on one store must use one deployment. Contracts added beside the same ledger (the
 * credit center's, on an old record) update it.
 */
export async function storeDeployment(db: Db, record: DeploymentRecord): Promise<void> {
  if (db.engine !== "postgres") return;
  const existing = await storedDeployment(db, record.chainId);
  if (existing && (existing.ledger.toLowerCase() !== record.ledger.toLowerCase() || existing.registry.toLowerCase() !== record.registry.toLowerCase())) {
    throw new Error(`the store holds another deployment for chain ${record.chainId} (ledger ${existing.ledger}, not ${record.ledger}): every gateway on one store uses one deployment`);
  }
  await db.query(
    `insert into deployments (chain_id, record) values ($1, $2::jsonb)
     on conflict (chain_id) do update set record = excluded.record, updated_at = now()`,
    [record.chainId, JSON.stringify(record)],
  );
}
