/**
 * What a correction (PointsLedger.voidPoints) carries and whether the ledger would take it: the
 * settled order it names, with the proof the ledger checks it by, and a dry run of the call as the
 * ledger's own execution of it, so that a correction the ledger would refuse (more than its order
 * has left un-reversed, more than the holding holds) is refused at draft time, not at approval.
 *
 * A proposal waits for its approval, hours or days, while the ledger records batches: its proof
 * must not go stale meanwhile, so it ends at a sealed batch (refund-proof.ts). When the batch of
 * the order is not yet covered by one (the CHAIN_RING-th batch after it is not recorded), the
 * relayer seals the latest batch first (`sealChain`, which anyone may send) and the proof ends
 * there.
 */
import { ZeroAddress, ZeroHash } from "ethers";
import type { LedgerClient } from "../../chain/ledger-client";
import type { ChainSender } from "../../chain/sender";
import type { Db } from "../../store/db";
import { DomainError } from "../../domain/domain-error";
import { ERROR_CATALOGUE, type ErrorCode } from "../../domain/error-catalogue";
import { ledgerHead, proveThrough, sealedEnd, settledOrder, type ProvableOrder, type RefundProof } from "../../worker/refund-proof";

/** A correction naming no order: a zero order ID, its proof unread by the ledger. */
const NO_ORDER: RefundProof = {
  order: { cardId: ZeroHash, merchantId: 0n, orderId: ZeroHash, terminal: ZeroAddress, nonce: 0n, amount: 0n, points: 0n, creditPoints: 0n },
  proof: { batchId: 0n, chainBefore: ZeroHash, batchLeaves: [], index: 0n, laterDigests: [] },
};

/** The ledger's refusals a dry run can meet, as the API's stable codes. */
const REFUSALS: Readonly<Record<string, ErrorCode>> = {
  LedgerCorrectionExceedsOrder: "correction.exceeds_order",
  LedgerOrderMismatch: "correction.order_mismatch",
  LedgerCorrectionInvalid: "correction.invalid",
  LedgerCorrectionUnattributed: "correction.unattributed",
};

export interface CorrectionRequest {
  merchantId: number;
  points: bigint;
  creditPoints: bigint;
  reasonCode: number;
  orderId: string;
}

export class Corrections {
  constructor(
    private readonly db: Db,
    private readonly chain: LedgerClient,
    /** The role-less key that sends `sealChain` (none: a proof ends at the order's own batch; see `proofOf`). */
    private readonly relayer?: ChainSender,
  ) {}

  /** voidPoints' arguments by name for a correction of `cardId`; throws a 422 the ledger would refuse. */
  async args(cardId: string, body: CorrectionRequest): Promise<Record<string, unknown>> {
    let named = NO_ORDER;
    if (BigInt(body.orderId) !== 0n) {
      const found = await settledOrder(this.db, BigInt(body.merchantId), body.orderId);
      if (!found) {
        throw new DomainError({ code: "correction.order_unknown", detail: `no confirmed settlement of order ${body.orderId} at merchant ${body.merchantId}` });
      }
      named = await this.proofOf(found);
    }
    const args = { cardId, merchantId: body.merchantId, points: body.points, creditPoints: body.creditPoints, reasonCode: body.reasonCode, order: named.order, proof: named.proof };
    await this.dryRun(args);
    return args;
  }

  /**
   * The proof of `found`, ending at a sealed batch: the CHAIN_RING-th batch covering its own if
   * that is recorded, else the latest batch, sealed now through the relayer. Without a relayer
   * (an external node without RELAYER_KEY) the proof ends at the order's own batch, held in the
   * ledger's ring only until CHAIN_RING more batches are recorded: a proposal approved later fails
   * with LedgerProofInvalid, and the correction must be drafted again (by then it is covered).
   */
  private async proofOf(found: ProvableOrder): Promise<RefundProof> {
    const head = await ledgerHead(this.chain);
    if (head.batchCount < found.batchId) throw new Error(`the node has not seen batch ${found.batchId} yet (it counts ${head.batchCount})`);
    const sealed = sealedEnd(found.batchId, head.batchCount);
    if (sealed !== undefined) return proveThrough(this.chain, found, sealed, head.block);
    if (!this.relayer) return proveThrough(this.chain, found, found.batchId, head.block);
    const seal = await this.sealChain(this.relayer);
    // Batches recorded since the head was read may have sealed the CHAIN_RING-th batch already: the nearer end is the shorter proof.
    const every = sealedEnd(found.batchId, seal.batchId);
    return proveThrough(this.chain, found, every ?? seal.batchId, seal.block);
  }

  /** Seals the chain value after the latest batch (`sealChain`), through `relayer`: that batch, and the block that sealed it. */
  private async sealChain(relayer: ChainSender): Promise<{ batchId: bigint; block: number }> {
    const ledger = this.chain.ledger.connect(relayer.wallet);
    const receipt = await relayer.send((o) => ledger.sealChain(o));
    const address = this.chain.deployment.ledger.toLowerCase();
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== address) continue;
      const parsed = ledger.interface.parseLog(log);
      if (parsed?.name === "ChainSealed") return { batchId: parsed.args.batchId as bigint, block: receipt.blockNumber };
    }
    throw new Error(`sealChain transaction ${receipt.hash} emitted no ChainSealed`);
  }

  /** Runs the call as the ledger's execution of an approved proposal runs it (from the ledger itself). */
  private async dryRun(a: { cardId: string; merchantId: number; points: bigint; creditPoints: bigint; reasonCode: number; order: RefundProof["order"]; proof: RefundProof["proof"] }) {
    const ledger = this.chain.ledger;
    const from = await ledger.getAddress();
    try {
      await ledger.voidPoints.staticCall(a.cardId, a.merchantId, a.points, a.creditPoints, a.reasonCode, a.order, a.proof, { from });
    } catch (err) {
      const parsed = errorName(ledger.interface, err);
      const refusal = parsed && REFUSALS[parsed.name];
      if (!refusal) throw err;
      const detail =
        parsed.name === "LedgerCorrectionExceedsOrder"
          ? `order ${a.order.orderId} has ${parsed.args[1]} points and ${parsed.args[2]} credit points left un-reversed`
          : ERROR_CATALOGUE[refusal].title;
      throw new DomainError({ code: refusal, detail });
    }
  }
}

/** The ledger's custom error in a failed call, if the call reverted with one. */
function errorName(iface: LedgerClient["ledger"]["interface"], err: unknown): { name: string; args: readonly unknown[] } | undefined {
  const data = (err as { data?: unknown }).data;
  if (typeof data !== "string") return undefined;
  const parsed = iface.parseError(data);
  return parsed ? { name: parsed.name, args: parsed.args } : undefined;
}
