/**
 * The ledger's counters recomputed by the auditor: accounts, holdings, merchant totals, ledger
 * totals, the batch chain, used nonces and settled orders. The arithmetic mirrors PointsLedger's
 * `_earn`, `_reverse`, `_redeem` and `_recordBatch` (and PackedRecords.touch for activity times)
 * so that, on an honest chain, every figure equals the contract's view of it.
 */
import type { AccountStats, MerchantStats } from "../credit/score";
import { batchChainStep } from "../domain/settled-order";

import { CHAIN_RING } from "../domain/settled-order";

/** The batch chain's value before the first batch. */
export const CHAIN_START = "0x" + "0".repeat(64);

/** An account's counters: IPointsLedger.AccountStats, as the score reads them too. */
export type AccountFigures = AccountStats;

export interface HoldingFigures {
  earned: bigint;
  reversed: bigint;
  firstActivity: bigint;
  lastActivity: bigint;
}

/** A merchant's counters: IPointsLedger.MerchantStats (the score's fields and points redeemed). */
export interface MerchantFigures extends MerchantStats {
  pointsRedeemed: bigint;
}

/** A settled order: what the ledger recorded (its leaf) and what the auditor recomputed. */
export interface OrderRecord {
  leaf: string;
  cardId: string;
  merchantId: number;
  orderId: string;
  terminal: string;
  amount: bigint;
  currency: string;
  category: number;
  time: bigint;
  /** The slip hash the settlement signed, from calldata ("" when its calldata was not found). */
  slipHash: string;
  /** Recomputed from the agreement and the credit-point rule. */
  points: bigint;
  creditPoints: bigint;
  refunded: bigint;
  block: number;
  tx: string;
  /** Set when the slip archive held this order's slip, hashing right. */
  slipSeen: boolean;
}

const zeroAccount = (): AccountFigures => ({ earned: 0n, reversed: 0n, redeemed: 0n, merchantCount: 0n, firstActivity: 0n, lastActivity: 0n });
const zeroHolding = (): HoldingFigures => ({ earned: 0n, reversed: 0n, firstActivity: 0n, lastActivity: 0n });
const zeroMerchant = (): MerchantFigures => ({
  pointsGranted: 0n,
  pointsReversed: 0n,
  creditPoints: 0n,
  creditPointsReversed: 0n,
  pointsRedeemed: 0n,
  consumersServed: 0n,
  firstActivity: 0n,
  lastActivity: 0n,
});

/** PackedRecords.touch: first activity once, last activity when later. */
function touch(r: { firstActivity: bigint; lastActivity: bigint }, when: bigint): void {
  if (r.firstActivity === 0n) r.firstActivity = when;
  if (when > r.lastActivity) r.lastActivity = when;
}

export class LedgerModel {
  readonly accounts = new Map<bigint, AccountFigures>();
  readonly holdings = new Map<string, HoldingFigures>();
  readonly merchants = new Map<number, MerchantFigures>();
  readonly totals = { earned: 0n, reversed: 0n, redeemed: 0n };
  /**
   * The batch chain's value after each batch, by batch ID: chain(0) = 0, chain(b) =
   * batchChainStep(chain(b - 1), digest(b)), each digest recomputed from the leaves of the
   * orders the batch recorded (replay.ts), folded in the order the batches were recorded.
   */
  readonly batchChains = new Map<bigint, string>();
  /** The batch chain's value after the last batch recorded (zero before any). */
  chain = CHAIN_START;
  /** Batches whose chain value a ChainSealed event says the ledger keeps for good. */
  readonly sealedBatches = new Set<bigint>();
  batchCount = 0n;
  private readonly nonces = new Set<string>();
  readonly ordersByLeaf = new Map<string, OrderRecord>();
  /** `${merchantId}:${orderId}` -> the first settlement of that order. */
  readonly ordersByKey = new Map<string, OrderRecord>();
  /** `${account}:${merchantId}:${orderId}` -> points corrections voided naming that order, not yet met by a refund. */
  private readonly voidedForOrder = new Map<string, { points: bigint; credit: bigint }>();

  account(account: bigint): AccountFigures {
    let a = this.accounts.get(account);
    if (!a) this.accounts.set(account, (a = zeroAccount()));
    return a;
  }

  holding(account: bigint, merchantId: number): HoldingFigures {
    const key = `${account}:${merchantId}`;
    let h = this.holdings.get(key);
    if (!h) this.holdings.set(key, (h = zeroHolding()));
    return h;
  }

  merchant(merchantId: number): MerchantFigures {
    let m = this.merchants.get(merchantId);
    if (!m) this.merchants.set(merchantId, (m = zeroMerchant()));
    return m;
  }

  balance(account: bigint): bigint {
    const a = this.account(account);
    return a.earned - a.reversed - a.redeemed;
  }

  /** Marks a terminal nonce used; false when it already was (settlements, refunds and redemptions share them). */
  useNonce(terminal: string, nonce: bigint): boolean {
    const key = `${terminal.toLowerCase()}:${nonce}`;
    if (this.nonces.has(key)) return false;
    this.nonces.add(key);
    return true;
  }

  /** PointsLedger._earn, with `time` the settlement's time. */
  earn(account: bigint, merchantId: number, points: bigint, credit: bigint, time: bigint): void {
    const when = time & 0xffffffffn;
    const a = this.account(account);
    const h = this.holding(account, merchantId);
    const m = this.merchant(merchantId);
    if (h.firstActivity === 0n) {
      a.merchantCount += 1n;
      m.consumersServed += 1n;
    }
    a.earned += points;
    touch(a, when);
    h.earned += points;
    touch(h, when);
    touch(m, when);
    m.pointsGranted += points;
    m.creditPoints += credit;
    this.totals.earned += points;
  }

  /** PointsLedger._reverse. */
  reverse(account: bigint, merchantId: number, points: bigint, credit: bigint): void {
    this.account(account).reversed += points;
    this.holding(account, merchantId).reversed += points;
    const m = this.merchant(merchantId);
    m.pointsReversed += points;
    m.creditPointsReversed += credit;
    this.totals.reversed += points;
  }

  /** PointsLedger.voidPoints' note of what it voided for the order it names (none for a zero order ID). */
  recordVoided(account: bigint, merchantId: number, orderId: string, points: bigint, credit: bigint): void {
    if (BigInt(orderId) === 0n) return;
    const key = `${account}:${merchantId}:${orderId.toLowerCase()}`;
    const v = this.voidedForOrder.get(key) ?? { points: 0n, credit: 0n };
    this.voidedForOrder.set(key, { points: v.points + points, credit: v.credit + credit });
  }

  /** What corrections voided for an order of an account and no refund has met yet. */
  voided(account: bigint, merchantId: number, orderId: string): { points: bigint; credit: bigint } {
    return this.voidedForOrder.get(`${account}:${merchantId}:${orderId.toLowerCase()}`) ?? { points: 0n, credit: 0n };
  }

  /** PointsLedger._netOfVoided: a refund's reversal less what corrections voided for its order, consuming that. */
  netOfVoided(account: bigint, merchantId: number, orderId: string, points: bigint, credit: bigint): [bigint, bigint] {
    const v = this.voidedForOrder.get(`${account}:${merchantId}:${orderId.toLowerCase()}`);
    if (!v) return [points, credit];
    const fromPoints = points < v.points ? points : v.points;
    const fromCredit = credit < v.credit ? credit : v.credit;
    v.points -= fromPoints;
    v.credit -= fromCredit;
    return [points - fromPoints, credit - fromCredit];
  }

  /** PointsLedger._redeem. */
  redeem(account: bigint, merchantId: number, points: bigint): void {
    this.account(account).redeemed += points;
    this.merchant(merchantId).pointsRedeemed += points;
    this.totals.redeemed += points;
  }

  /**
   * A batch and its digest (the hash of its settled orders' leaves, settled-order.ts
   * batchDigest), folded into the batch chain (PointsLedger._recordBatch). Returns the chain's
   * value after the batch.
   */
  recordBatch(batchId: bigint, digest: string): string {
    this.chain = batchChainStep(this.chain, digest);
    this.batchChains.set(batchId, this.chain);
    if (batchId > this.batchCount) this.batchCount = batchId;
    return this.chain;
  }

  /** The batch chain's value after batch `batchId` (zero for batch 0; undefined for a batch never recorded). */
  chainAfter(batchId: bigint): string | undefined {
    return batchId === 0n ? CHAIN_START : this.batchChains.get(batchId);
  }

  /** PointsLedger.sealChain: the ledger keeps batch `batchId`'s chain value for good. */
  recordSeal(batchId: bigint): void {
    this.sealedBatches.add(batchId);
  }

  /**
   * The batches whose chain values PointsLedger.batchChain still answers with, once `batchCount`
   * batches are recorded: the last CHAIN_RING, every CHAIN_RING-th and every sealed one; in
   * ascending order.
   */
  heldChains(): bigint[] {
    const held = new Set<bigint>();
    const count = this.batchCount;
    for (let b = count > CHAIN_RING ? count - CHAIN_RING + 1n : 1n; b <= count; b++) held.add(b);
    for (let b = CHAIN_RING; b <= count; b += CHAIN_RING) held.add(b);
    for (const b of this.sealedBatches) if (b >= 1n && b <= count) held.add(b);
    return [...held].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Records a settled order; returns the earlier settlement of the same order, if any. */
  recordOrder(order: OrderRecord): OrderRecord | undefined {
    this.ordersByLeaf.set(order.leaf, order);
    const key = `${order.merchantId}:${order.orderId.toLowerCase()}`;
    const earlier = this.ordersByKey.get(key);
    if (!earlier) this.ordersByKey.set(key, order);
    return earlier;
  }
}
