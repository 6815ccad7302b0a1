/**
 * The replay: every registry and ledger event in chain order, one transaction at a time, with
 * the transaction's ledger call decoded from its calldata. Registry events update the registry
 * model; ledger events are checked against it and recomputed into the ledger model (each
 * batch's digest from its settled orders' leaves, folded into the model's own batch chain, which
 * each BatchRecorded's `chainBefore` and each ChainSealed's `chain` must match); dual control is
 * checked per transaction. Settlement signers are found in the signature pool while the replay
 * goes on, and compared with who had to sign when the signers come back.
 */
import { getBytes, type TypedDataDomain } from "ethers";
import { signerAt } from "../domain/ecdsa";
import { recoverCompact } from "../domain/signer-recovery";
import { redemptionDigest, refundDigest } from "../domain/typed-data";
import { reversedShare } from "../domain/points";
import { settledOrderLeaf, batchDigest, batchChainStep } from "../domain/settled-order";
import type { LedgerCall } from "./calldata";
import { SIGNED_SETTLEMENT_BYTES, bySettlementKey, settlementKey, type DecodedSettlement } from "../chain/settlement-calldata";
import type { DecodedLog } from "./events";
import type { RegistryModel } from "./registry-model";
import { CHAIN_START, type LedgerModel } from "./ledger-model";
import type { DualControlChecker } from "./dual-control";
import type { OperatorStepChecker, StepTransaction } from "./operator-steps";
import type { SignaturePool } from "./signature-pool";
import type { AuditCounts, Discrepancy, Findings } from "./report";
import { checkCard, checkTerminal, priceSettlement, type EarnedEvent } from "./settlement-checks";
import { checkLostCardReport } from "./lost-card-checks";
import { REVERSAL_CORRECTION } from "./dual-control-subjects";

interface SignerExpectation {
  terminal: string;
  /** The card's key at that block, or undefined when the card was unknown. */
  cardKey?: string;
  where: Pick<Discrepancy, "block" | "tx" | "card" | "merchant">;
}

interface PendingRecovery {
  signers: Promise<Uint8Array>;
  expected: SignerExpectation[];
}

/** How many recovery jobs may be in flight before the replay waits for the oldest. */
const MAX_PENDING_RECOVERIES = 32;

export interface ReplayDeps {
  registryAddress: string;
  ledgerAddress: string;
  domain: TypedDataDomain;
  registry: RegistryModel;
  ledger: LedgerModel;
  dualControl: DualControlChecker;
  /** Re-verifies operator steps (absent for a deployment without a credentials contract). */
  operatorSteps?: OperatorStepChecker;
  pool: SignaturePool;
  findings: Findings;
  counts: AuditCounts;
}

export class Replay {
  private readonly pending: PendingRecovery[] = [];
  private readonly registryAddress: string;
  private readonly ledgerAddress: string;
  /**
   * The batch chain as the ledger's own BatchRecorded events carry it: after the last batch,
   * keccak256(chainBefore, digest) of its event. A batch whose `chainBefore` continues it where
   * it already parts from the model's chain is not named again (see `batch`).
   */
  private ledgerChain = CHAIN_START;

  constructor(private readonly d: ReplayDeps) {
    this.registryAddress = d.registryAddress.toLowerCase();
    this.ledgerAddress = d.ledgerAddress.toLowerCase();
  }

  /**
   * Replay one transaction's logs (in log order). `call` is its ledger call, when it made one;
   * `stepTx` the transaction itself, when it performed operator steps (checked first, against
   * the credentials as they were before it).
   */
  async transaction(logs: readonly DecodedLog[], call: LedgerCall | undefined, stepTx?: StepTransaction): Promise<void> {
    const { block, tx } = { block: logs[0].blockNumber, tx: logs[0].transactionHash };
    this.d.counts.transactions++;
    if (stepTx && this.d.operatorSteps) for (const d of this.d.operatorSteps.transaction(logs, stepTx)) this.d.findings.add(d);
    const items = call?.kind === "settlements" ? bySettlementKey(call.items, (it) => it.settlement) : new Map<string, DecodedSettlement>();
    const leaves: (string | undefined)[] = [];
    const accepted: DecodedSettlement[] = [];
    const expected: SignerExpectation[] = [];
    for (const log of logs) {
      this.d.counts.events++;
      this.d.dualControl.onEvent(log.address, log.name, log.args);
      if (log.address === this.registryAddress) {
        if (log.name === "CardReportedLost") for (const d of checkLostCardReport(this.d.registry, log, { block, tx })) this.d.findings.add(d);
        this.d.registry.apply(log);
        continue;
      }
      if (log.address !== this.ledgerAddress) continue;
      switch (log.name) {
        case "PointsEarned": {
          const e = earnedOf(log);
          const item = items.get(settlementKey(e.terminal, e.nonce));
          leaves.push(this.earned(e, item, block, tx));
          if (item) {
            accepted.push(item);
            expected.push({ terminal: item.settlement.terminal, cardKey: this.d.registry.card(e.cardId)?.key, where: { block, tx, card: e.cardId, merchant: e.merchantId } });
          }
          break;
        }
        case "SettlementRejected":
          this.d.counts.rejectedSettlements++;
          break;
        case "BatchRecorded":
          this.batch(log, leaves.splice(0), block, tx);
          break;
        case "ChainSealed":
          this.sealed(log, block, tx);
          break;
        case "PointsReversed":
          this.reversed(log, call, block, tx);
          break;
        case "PointsRedeemed":
          this.redeemed(log, call, block, tx);
          break;
      }
    }
    for (const d of this.d.dualControl.endTransaction(block, tx)) this.d.findings.add(d);
    if (accepted.length > 0) await this.queueRecovery(accepted, expected);
  }

  /** Wait for every signature recovery still in flight and check its result. */
  async flush(): Promise<void> {
    while (this.pending.length > 0) await this.settleOldest();
  }

  /**
   * Checks one PointsEarned against the signed settlement it names in the calldata (`item`),
   * which gives its order and amount, and records it. Returns the settled order's leaf, or
   * undefined when the calldata does not carry the settlement (its order is then unknown).
   */
  private earned(e: EarnedEvent, item: DecodedSettlement | undefined, block: number, tx: string): string | undefined {
    const { findings, counts, registry, ledger } = this.d;
    counts.settlements++;
    const where = { block, tx, card: e.cardId, merchant: e.merchantId };
    const add = (list: Discrepancy[]) => list.forEach((x) => findings.add(x));
    if (!item) {
      findings.add({ code: "signature.unverifiable", message: `no signed settlement for terminal ${e.terminal} nonce ${e.nonce} in the transaction's calldata`, ...where });
    } else if (item.settlement.cardId.toLowerCase() !== e.cardId.toLowerCase()) {
      findings.add({ code: "settlement.event_mismatch", message: `PointsEarned names card ${e.cardId}, the signed settlement card ${item.settlement.cardId}`, ...where });
    }
    add(checkTerminal(registry, e.terminal, e.merchantId, where));
    add(checkCard(registry, e.cardId, where));
    const priced = priceSettlement(registry, e, item?.settlement, where);
    add(priced.found);
    if (!ledger.useNonce(e.terminal, e.nonce)) {
      findings.add({ code: "nonce.reused", message: `terminal ${e.terminal} nonce ${e.nonce} was used before`, ...where });
    }
    const card = registry.card(e.cardId);
    if (card) ledger.earn(card.account, e.merchantId, priced.points, priced.creditPoints, item?.settlement.time ?? 0n);
    if (!item) return undefined;
    const s = item.settlement;
    const leaf = settledOrderLeaf({ cardId: e.cardId, merchantId: BigInt(e.merchantId), orderId: s.orderId, terminal: e.terminal, nonce: e.nonce, amount: s.amount, points: e.points, creditPoints: e.creditPoints });
    const earlier = ledger.recordOrder({
      leaf,
      cardId: e.cardId,
      merchantId: e.merchantId,
      orderId: s.orderId,
      terminal: e.terminal,
      amount: s.amount,
      currency: s.currency,
      category: s.category,
      time: s.time,
      slipHash: s.slipHash,
      points: priced.points,
      creditPoints: priced.creditPoints,
      refunded: 0n,
      block,
      tx,
      slipSeen: false,
    });
    if (earlier) {
      findings.add({ code: "order.settled_twice", message: `order ${s.orderId} of merchant ${e.merchantId} was already settled in block ${earlier.block} (tx ${earlier.tx})`, ...where });
    }
    return leaf;
  }

  /**
   * Checks a batch's digest against its settled orders' leaves, in order, and folds it into the
   * model's batch chain, whose value before the batch the event's `chainBefore` must be. A leaf
   * is unknown when its settlement was not in the calldata (reported as
   * `signature.unverifiable`): the digest is then taken as the ledger gives it.
   *
   * Once the ledger's chain parts from the model's, every later `chainBefore` differs too: a
   * batch is named (`batch.chain_mismatch`) where the parting shows, that is where its
   * `chainBefore` is neither the model's value nor the one the ledger's previous event leads to
   * (keccak256 of that event's `chainBefore` and `digest`). A `chainBefore` that merely carries
   * on from an earlier parting, already named here or as that batch's `batch.digest_mismatch`,
   * is not named again; the chain values the ledger holds are each compared by state-check.ts.
   */
  private batch(log: DecodedLog, leaves: (string | undefined)[], block: number, tx: string): void {
    const { findings, counts, ledger } = this.d;
    counts.batches++;
    const batchId = BigInt(log.args.batchId as bigint);
    const where = { block, tx };
    if (batchId !== ledger.batchCount + 1n) {
      findings.add({ code: "batch.id_out_of_sequence", message: `batch ${batchId} follows batch ${ledger.batchCount}`, expected: String(ledger.batchCount + 1n), actual: String(batchId), ...where });
    }
    const recorded = String(log.args.digest);
    const known = leaves.filter((l): l is string => l !== undefined);
    const digest = known.length === leaves.length ? batchDigest(known) : recorded;
    if (digest !== recorded) {
      findings.add({ code: "batch.digest_mismatch", message: `batch ${batchId}'s digest is not the hash of its settled orders`, expected: digest, actual: recorded, ...where });
    }
    if (BigInt(log.args.accepted as bigint) !== BigInt(leaves.length)) {
      findings.add({ code: "batch.count_mismatch", message: `batch ${batchId} says ${log.args.accepted} accepted, ${leaves.length} PointsEarned events`, ...where });
    }
    const chainBefore = String(log.args.chainBefore);
    if (chainBefore !== ledger.chain && chainBefore !== this.ledgerChain) {
      findings.add({
        code: "batch.chain_mismatch",
        message: `batch ${batchId}'s chainBefore is not the batch chain's value after batch ${ledger.batchCount}, as recomputed from the orders of the batches before it`,
        expected: ledger.chain,
        actual: chainBefore,
        ...where,
      });
    }
    this.ledgerChain = batchChainStep(chainBefore, recorded);
    ledger.recordBatch(batchId, digest);
  }

  /** Checks a ChainSealed's value against the model's chain value after the batch it names, and notes the seal. */
  private sealed(log: DecodedLog, block: number, tx: string): void {
    const { findings, ledger } = this.d;
    const batchId = BigInt(log.args.batchId as bigint);
    const sealed = String(log.args.chain);
    const expected = ledger.chainAfter(batchId);
    if (sealed !== expected) {
      findings.add({
        code: "batch.sealed_chain_mismatch",
        message:
          expected === undefined
            ? `ChainSealed names batch ${batchId}, never recorded`
            : `the chain value sealed for batch ${batchId} is not the batch chain's value after it, as recomputed from the orders of batches 1..${batchId}`,
        expected: expected ?? "none",
        actual: sealed,
        block,
        tx,
      });
    }
    ledger.recordSeal(batchId);
  }

  private reversed(log: DecodedLog, call: LedgerCall | undefined, block: number, tx: string): void {
    const { findings, counts, registry, ledger } = this.d;
    const a = log.args;
    const cardId = String(a.cardId);
    const merchantId = Number(a.merchantId);
    const points = BigInt(a.points as bigint);
    const credit = BigInt(a.creditPoints as bigint);
    const where = { block, tx, card: cardId, merchant: merchantId };
    const card = registry.card(cardId);
    if (!card) {
      findings.add({ code: "reversal.card_unknown", message: `points reversed on card ${cardId}, never issued`, ...where });
      return;
    }
    const h = ledger.holding(card.account, merchantId);
    const m = ledger.merchant(merchantId);
    // The terminal and nonce a refund came from, as the event names them (none for a correction).
    const terminal = String(a.terminal);
    const nonce = BigInt(a.nonce as bigint);
    if (BigInt(a.reason as bigint) === REVERSAL_CORRECTION) {
      counts.corrections++;
      if (points + h.reversed > h.earned || credit + m.creditPointsReversed > m.creditPoints) {
        findings.add({ code: "correction.exceeds_earned", message: `a correction voids more than the holding or the merchant's credit points hold`, ...where });
      }
      // Whose points: a consumer's, with at most as many credit points; or the merchant's own card, credit points alone.
      const merchantsOwnCard = registry.merchants.get(merchantId)?.cardId.toLowerCase() === cardId.toLowerCase();
      if (merchantsOwnCard ? points !== 0n : credit > points) {
        findings.add({
          code: "correction.unattributed",
          message: merchantsOwnCard
            ? `a correction voids ${points} points on merchant ${merchantId}'s own card`
            : `a correction voids ${credit} of merchant ${merchantId}'s credit points naming card ${cardId}, whose ${points} voided points could not have earned them`,
          ...where,
        });
      }
      if (BigInt(terminal) !== 0n || nonce !== 0n) {
        findings.add({ code: "correction.event_mismatch", message: `a correction names terminal ${terminal} nonce ${nonce}`, ...where });
      }
      const orderId = String(a.orderId);
      const order = BigInt(orderId) === 0n ? undefined : ledger.ordersByKey.get(`${merchantId}:${orderId.toLowerCase()}`);
      if (order) {
        // PointsLedger._voidForOrder: no more than the order has un-reversed (refunds and corrections share it).
        const voided = ledger.voided(card.account, merchantId, orderId);
        const left = (total: bigint, v: bigint) => {
          const taken = reversedShare(total, order.amount, 0n, order.refunded > order.amount ? order.amount : order.refunded) + v;
          return taken >= total ? 0n : total - taken;
        };
        if (points > left(order.points, voided.points) || credit > left(order.creditPoints, voided.credit)) {
          findings.add({ code: "correction.exceeds_order", message: `a correction voids more than order ${orderId} has un-reversed`, ...where });
        }
      }
      ledger.reverse(card.account, merchantId, points, credit);
      ledger.recordVoided(card.account, merchantId, orderId, points, credit);
      return;
    }
    counts.refunds++;
    for (const d of checkTerminal(registry, terminal, merchantId, where, "refund")) findings.add(d);
    if (!ledger.useNonce(terminal, nonce)) findings.add({ code: "nonce.reused", message: `terminal ${terminal} nonce ${nonce} was used before`, ...where });
    if (call?.kind !== "refund") {
      findings.add({ code: "refund.unverifiable", message: "no signed refund in the transaction's calldata", ...where });
      ledger.reverse(card.account, merchantId, points, credit);
      return;
    }
    const r = call.refund;
    if (r.terminal.toLowerCase() !== terminal.toLowerCase() || r.nonce !== nonce) {
      findings.add({ code: "refund.event_mismatch", message: `PointsReversed names terminal ${terminal} nonce ${nonce}, the signed refund ${r.terminal} nonce ${r.nonce}`, ...where });
    }
    this.checkSigner(recoverCompact(getBytes(refundDigest(this.d.domain, r)), call.signature), r.terminal, "signature.refund_terminal_invalid", where);
    const o = call.order;
    if (
      r.cardId.toLowerCase() !== o.cardId.toLowerCase() ||
      r.orderId.toLowerCase() !== o.orderId.toLowerCase() ||
      r.settlementTerminal.toLowerCase() !== o.terminal.toLowerCase() ||
      r.settlementNonce !== o.nonce
    ) {
      findings.add({ code: "refund.order_mismatch", message: `the refund names another settlement than the order it reversed (${o.terminal} nonce ${o.nonce})`, ...where });
    }
    const order = ledger.ordersByLeaf.get(settledOrderLeaf(o));
    if (!order) {
      findings.add({ code: "refund.order_unknown", message: `refunded order ${r.orderId} was never settled`, ...where });
      ledger.reverse(card.account, merchantId, points, credit);
      return;
    }
    const before = order.refunded;
    const after = before + r.amount;
    if (after > order.amount) findings.add({ code: "refund.exceeds_order", message: `refunds add up to ${after}, the order was ${order.amount}`, ...where });
    order.refunded = after;
    const share = (total: bigint) => (after > order.amount ? 0n : reversedShare(total, order.amount, before, after));
    const [netPoints, netCredit] = ledger.netOfVoided(card.account, merchantId, call.order.orderId, share(order.points), share(order.creditPoints));
    const expectedPoints = min(netPoints, h.earned - h.reversed);
    const expectedCredit = min(netCredit, m.creditPoints - m.creditPointsReversed);
    if (expectedPoints !== points || expectedCredit !== credit) {
      findings.add({
        code: "refund.points_mismatch",
        message: `refund of ${r.amount} should reverse ${expectedPoints} points and ${expectedCredit} credit points; the ledger reversed ${points} and ${credit}`,
        expected: `${expectedPoints}/${expectedCredit}`,
        actual: `${points}/${credit}`,
        ...where,
      });
    }
    ledger.reverse(card.account, merchantId, expectedPoints, expectedCredit);
  }

  private redeemed(log: DecodedLog, call: LedgerCall | undefined, block: number, tx: string): void {
    const { findings, counts, registry, ledger } = this.d;
    counts.redemptions++;
    const a = log.args;
    const cardId = String(a.cardId);
    const merchantId = Number(a.merchantId);
    const points = BigInt(a.points as bigint);
    const terminal = String(a.terminal);
    const where = { block, tx, card: cardId, merchant: merchantId };
    for (const d of checkTerminal(registry, terminal, merchantId, where, "redemption")) findings.add(d);
    for (const d of checkCard(registry, cardId, where, "redemption")) findings.add(d);
    if (!ledger.useNonce(terminal, BigInt(a.nonce as bigint))) findings.add({ code: "nonce.reused", message: `terminal ${terminal} nonce ${a.nonce} was used before`, ...where });
    const card = registry.card(cardId);
    if (call?.kind !== "redemption") {
      findings.add({ code: "redemption.unverifiable", message: "no signed redemption in the transaction's calldata", ...where });
    } else {
      const digest = getBytes(redemptionDigest(this.d.domain, call.redemption));
      this.checkSigner(recoverCompact(digest, call.terminalSignature), terminal, "signature.redemption_terminal_invalid", where);
      this.checkSigner(recoverCompact(digest, call.cardSignature), card?.key, "signature.redemption_card_invalid", where);
    }
    if (!card) return;
    const balance = ledger.balance(card.account);
    if (balance < points) {
      findings.add({ code: "redemption.insufficient_points", message: `redeemed ${points} points from a recomputed balance of ${balance}`, expected: `<= ${balance}`, actual: points.toString(), ...where });
    }
    ledger.redeem(card.account, merchantId, points);
  }

  private checkSigner(recovered: string | null, expected: string | undefined, code: string, where: SignerExpectation["where"]): void {
    this.d.counts.signaturesChecked++;
    if (!expected || recovered?.toLowerCase() !== expected.toLowerCase()) {
      this.d.findings.add({ code, message: `signed by ${recovered ?? "nobody (invalid signature)"}, not by ${expected ?? "a known key"}`, expected, actual: recovered ?? "invalid", ...where });
    }
  }

  private async queueRecovery(items: DecodedSettlement[], expected: SignerExpectation[]): Promise<void> {
    const words = new Uint8Array(items.length * SIGNED_SETTLEMENT_BYTES);
    items.forEach((it, i) => words.set(it.words, i * SIGNED_SETTLEMENT_BYTES));
    this.pending.push({ signers: this.d.pool.recover(words), expected });
    if (this.pending.length > MAX_PENDING_RECOVERIES) await this.settleOldest();
  }

  private async settleOldest(): Promise<void> {
    const job = this.pending.shift()!;
    const signers = await job.signers;
    job.expected.forEach((x, i) => {
      this.checkSigner(signerAt(signers, i * 40), x.terminal, "signature.terminal_invalid", x.where);
      this.checkSigner(signerAt(signers, i * 40 + 20), x.cardKey, "signature.card_invalid", x.where);
    });
  }
}

function earnedOf(log: DecodedLog): EarnedEvent {
  const a = log.args;
  return {
    cardId: String(a.cardId),
    merchantId: Number(a.merchantId),
    terminal: String(a.terminal),
    nonce: BigInt(a.nonce as bigint),
    points: BigInt(a.points as bigint),
    creditPoints: BigInt(a.creditPoints as bigint),
  };
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);


