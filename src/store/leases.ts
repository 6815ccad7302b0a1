/**
 * Gateway leases (ADR 0007): each gateway holds a row of `gateway_leases` on its sender (the
 * gateway key that signs its ledger transactions), renewed while it lives. The lease fences the
 * gateway's claims: a claim transaction reads the row FOR SHARE and commits only while the lease
 * is held. When a lease lapses, a live gateway adopts it (FOR UPDATE SKIP LOCKED: one adopter per
 * lease) and finishes the dead sender's 'sent' transactions. An adopted key is retired: it never
 * takes a lease again.
 *
 * Every time is the database's (`now()`), so the gateways' clocks never compare with each other.
 */
import type { Db } from "./db";

/** A lease as its holder knows it: a renewal or claim under an older epoch is refused. */
export interface Lease {
  sender: string;
  epoch: number;
}

/** The key's lease was adopted by another gateway: the key is retired and must not sign again. */
export class GatewayKeyRetiredError extends Error {
  readonly code = "gateway.key_retired";
  constructor(
    readonly sender: string,
    readonly adoptedBy: string,
    readonly adoptedAt: Date | null,
  ) {
    super(
      `the gateway key ${sender} is retired: its lease lapsed and the gateway ${adoptedBy} adopted its unfinished work` +
        `${adoptedAt ? ` at ${adoptedAt.toISOString()}` : ""}. Start this gateway with a new GATEWAY_KEY, granted the gateway role ` +
        "(README, \"A retired gateway key\"); the retired key must never sign again",
    );
    this.name = "GatewayKeyRetiredError";
  }
}

/**
 * Takes (or takes back) the lease on `sender` for `seconds`, under a new epoch, so that any older
 * holder of the same key is fenced out from its next claim. Refused with GatewayKeyRetiredError
 * when the lease was adopted.
 */
export async function takeLease(db: Db, o: { sender: string; instance: string; seconds: number }): Promise<Lease> {
  const [taken] = await db.query<{ epoch: string }>(
    `insert into gateway_leases (sender, epoch, instance, expires_at) values ($1, 1, $2, now() + make_interval(secs => $3))
     on conflict (sender) do update set epoch = gateway_leases.epoch + 1, instance = excluded.instance, renewed_at = now(),
       expires_at = excluded.expires_at
     where gateway_leases.adopted_by is null
     returning epoch`,
    [o.sender, o.instance, o.seconds],
  );
  if (taken) return { sender: o.sender, epoch: Number(taken.epoch) };
  const [row] = await db.query<{ adopted_by: string; adopted_at: Date | null }>("select adopted_by, adopted_at from gateway_leases where sender = $1", [o.sender]);
  throw new GatewayKeyRetiredError(o.sender, row?.adopted_by ?? "unknown", row?.adopted_at ?? null);
}

/** Extends the lease by `seconds` from now; false when it is no longer this holder's (a newer epoch, adopted, or ended). */
export async function renewLease(db: Db, lease: Lease, seconds: number): Promise<boolean> {
  const rows = await db.query(
    `update gateway_leases set renewed_at = now(), expires_at = now() + make_interval(secs => $3)
     where sender = $1 and epoch = $2 and adopted_by is null returning sender`,
    [lease.sender, lease.epoch, seconds],
  );
  return rows.length > 0;
}

/**
 * Inside a claim transaction: true while `lease` is held (same epoch, not adopted, not lapsed).
 * The row is read FOR SHARE, so an adoption (FOR UPDATE) waits for the claim to commit or roll
 * back, and then sees what it stored.
 */
export async function holdsLease(tx: Db, lease: Lease): Promise<boolean> {
  const rows = await tx.query(
    "select 1 from gateway_leases where sender = $1 and epoch = $2 and adopted_by is null and expires_at > now() for share",
    [lease.sender, lease.epoch],
  );
  return rows.length > 0;
}

/**
 * On a clean stop: ends the lease when its sender has no unfinished ('sent') transaction left, so
 * nobody adopts it and the key may start again whenever. Returns whether it was ended.
 */
export async function releaseLease(db: Db, lease: Lease): Promise<boolean> {
  const rows = await db.query(
    `delete from gateway_leases
     where sender = $1 and epoch = $2 and adopted_by is null
       and not exists (select 1 from chain_txs where sender = $1 and status = 'sent')
     returning sender`,
    [lease.sender, lease.epoch],
  );
  return rows.length > 0;
}

/** What one adoption did with a lapsed lease. */
export type Adoption =
  /** Its sender had unfinished transactions: they are now the adopter's to finish, and the key is retired. */
  | { sender: string; outcome: "adopted" }
  /** Nothing was left to finish: the lease was ended, the key is not retired. */
  | { sender: string; outcome: "ended" };

/**
 * Takes one lapsed lease (not `adopter`'s own), if any. The row is locked FOR UPDATE SKIP LOCKED:
 * two adopters never take one lease, and the lock waits for a claim the lapsed holder still has
 * open. With unfinished transactions it becomes `adopter`'s (the key is retired); without, it is
 * ended (nothing needs the key kept away). Either way, the leases the lapsed holder had adopted
 * pass on to `adopter`.
 */
export async function adoptLapsedLease(db: Db, adopter: string): Promise<Adoption | undefined> {
  return db.transaction(async (tx) => {
    const [lapsed] = await tx.query<{ sender: string }>(
      `select sender from gateway_leases
       where adopted_by is null and expires_at < now() and sender <> $1
       order by expires_at limit 1 for update skip locked`,
      [adopter],
    );
    if (!lapsed) return undefined;
    const unfinished = await tx.query("select 1 from chain_txs where sender = $1 and status = 'sent' limit 1", [lapsed.sender]);
    // What the lapsed holder had adopted and not finished passes on with it.
    await tx.query("update gateway_leases set adopted_by = $2, adopted_at = now() where adopted_by = $1", [lapsed.sender, adopter]);
    if (unfinished.length === 0) {
      await tx.query("delete from gateway_leases where sender = $1", [lapsed.sender]);
      return { sender: lapsed.sender, outcome: "ended" as const };
    }
    await tx.query("update gateway_leases set adopted_by = $2, adopted_at = now() where sender = $1", [lapsed.sender, adopter]);
    return { sender: lapsed.sender, outcome: "adopted" as const };
  });
}

/** The senders `adopter` adopted that still have unfinished ('sent') transactions. */
export async function adoptedUnfinished(db: Db, adopter: string): Promise<string[]> {
  const rows = await db.query<{ sender: string }>(
    `select l.sender from gateway_leases l
     where l.adopted_by = $1 and exists (select 1 from chain_txs c where c.sender = l.sender and c.status = 'sent')
     order by l.adopted_at, l.sender`,
    [adopter],
  );
  return rows.map((r) => r.sender);
}

/** A lease as an operator reads it. */
export interface LeaseView {
  sender: string;
  instance: string;
  renewedAt: Date;
  expiresAt: Date;
  /** Whether it lapsed (expires_at in the past, by the database's clock). */
  lapsed: boolean;
  adoptedBy: string | null;
  adoptedAt: Date | null;
}

/** Every lease in the store, by sender. */
export async function listLeases(db: Db): Promise<LeaseView[]> {
  const rows = await db.query<{ sender: string; instance: string; renewed_at: Date; expires_at: Date; lapsed: boolean; adopted_by: string | null; adopted_at: Date | null }>(
    "select sender, instance, renewed_at, expires_at, expires_at < now() as lapsed, adopted_by, adopted_at from gateway_leases order by sender",
  );
  return rows.map((r) => ({
    sender: r.sender,
    instance: r.instance,
    renewedAt: new Date(r.renewed_at),
    expiresAt: new Date(r.expires_at),
    lapsed: r.lapsed,
    adoptedBy: r.adopted_by,
    adoptedAt: r.adopted_at && new Date(r.adopted_at),
  }));
}
