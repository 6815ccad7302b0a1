/**
 * Turning stored submissions into ledger calls, and ledger receipts back into outcomes.
 * Payloads are stored as JSON (bigints as strings); this is the one place that reads them back.
 */
import type { Log } from "ethers";
import { settledOrderLeaf } from "../domain/settled-order";
import type { PointsLedger } from "../../typechain-types";
import type { IPointsLedger } from "../../typechain-types/contracts/ledger/PointsLedger";
import { rejectionCode } from "../domain/rejections";
import { contractErrorCode } from "../domain/error-catalogue";
import { isSubmissionOutcome, type SubmissionOutcomeCode } from "../domain/submission-outcomes";
import { bySettlementKey, settlementKey } from "../chain/settlement-calldata";
import type { RedemptionPayload, RefundPayload, SettlementPayload } from "../store/outbox";
import type { BatchOutcome, SingleOutcome } from "../store/outbox-outcomes";


export function settlementCall(p: SettlementPayload): IPointsLedger.SignedSettlementStruct {
  const s = p.settlement;
  return {
    settlement: {
      cardId: String(s.cardId),
      terminal: String(s.terminal),
      nonce: BigInt(s.nonce),
      orderId: String(s.orderId),
      slipHash: String(s.slipHash),
      amount: BigInt(s.amount),
      currency: String(s.currency),
      category: Number(s.category),
      time: BigInt(s.time),
    },
    signatures: {
      terminalR: p.signatures.terminal.r,
      terminalVS: p.signatures.terminal.vs,
      cardR: p.signatures.card.r,
      cardVS: p.signatures.card.vs,
    },
  };
}

/**
 * Calldata of settleBatch(items): every field of a SignedSettlement is static, so the array is
 * 13 words per item after the selector, the offset and the length. Written word by word (ethers'
 * generic encoder costs ~100x more for a batch of a hundred); checked against it in the tests.
 */
export function encodeSettleBatch(ledger: PointsLedger, payloads: readonly SettlementPayload[]): string {
  const selector = ledger.interface.getFunction("settleBatch").selector;
  const parts: string[] = [selector, uintWord(32n), uintWord(BigInt(payloads.length))];
  for (const p of payloads) {
    const s = p.settlement;
    parts.push(
      bytesWord(String(s.cardId), 32),
      uintWord(BigInt(String(s.terminal)), 160),
      uintWord(BigInt(s.nonce), 64),
      bytesWord(String(s.orderId), 32),
      bytesWord(String(s.slipHash), 32),
      uintWord(BigInt(s.amount), 64),
      bytesWord(String(s.currency), 3),
      uintWord(BigInt(s.category), 8),
      uintWord(BigInt(s.time), 40),
      bytesWord(p.signatures.terminal.r, 32),
      bytesWord(p.signatures.terminal.vs, 32),
      bytesWord(p.signatures.card.r, 32),
      bytesWord(p.signatures.card.vs, 32),
    );
  }
  return parts.join("");
}

const HEX = /^0x[0-9a-fA-F]*$/;

function uintWord(value: bigint, bits = 256): string {
  if (value < 0n || value >= 1n << BigInt(bits)) throw new RangeError(`${value} does not fit uint${bits}`);
  return value.toString(16).padStart(64, "0");
}

/** A bytesN value (0x + 2N hex digits), left-aligned in its word. */
function bytesWord(hex: string, size: number): string {
  if (hex.length !== 2 + size * 2 || !HEX.test(hex)) throw new RangeError(`${hex} is not bytes${size}`);
  return hex.slice(2).toLowerCase().padEnd(64, "0");
}

export function refundCall(p: RefundPayload): IPointsLedger.RefundStruct {
  const r = p.refund;
  return {
    cardId: String(r.cardId),
    terminal: String(r.terminal),
    nonce: BigInt(r.nonce),
    orderId: String(r.orderId),
    settlementTerminal: String(r.settlementTerminal),
    settlementNonce: BigInt(r.settlementNonce),
    amount: BigInt(r.amount),
    time: BigInt(r.time),
  };
}

export function redemptionCall(p: RedemptionPayload): IPointsLedger.RedemptionStruct {
  const r = p.redemption;
  return {
    cardId: String(r.cardId),
    terminal: String(r.terminal),
    nonce: BigInt(r.nonce),
    orderId: String(r.orderId),
    points: BigInt(r.points),
    time: BigInt(r.time),
  };
}

/**
 * Read a settleBatch receipt's logs: accepted items, rejected items and the batch's leaves.
 * `sent` are the settlements the transaction carried: PointsEarned names each by its terminal and
 * nonce, and its order and amount (which its leaf hashes) are the sent settlement's (ADR 0012).
 * The three events have fixed layouts (no dynamic fields), so they are read straight from their
 * 32-byte words: a batch of a hundred items is read in well under a millisecond.
 */
export function readBatchLogs(ledger: PointsLedger, logs: readonly Pick<Log, "address" | "topics" | "data">[], sent: readonly SettlementPayload[]): BatchOutcome {
  const out: BatchOutcome = { batchId: 0n, leaves: [], items: new Map() };
  const ledgerAddress = ledger.target.toString().toLowerCase();
  const topic = topicsOf(ledger);
  const settlements = bySettlementKey(sent, (p) => ({ terminal: p.settlement.terminal, nonce: p.settlement.nonce }));
  for (const log of logs) {
    if (log.address.toLowerCase() !== ledgerAddress) continue;
    const word = (i: number) => log.data.slice(2 + 64 * i, 66 + 64 * i);
    const t = log.topics;
    if (t[0] === topic.earned) {
      // PointsEarned(cardId, merchantId | terminal, nonce, points, creditPoints, agreementVersion)
      const terminal = "0x" + word(0).slice(24);
      const nonce = BigInt("0x" + word(1));
      const points = BigInt("0x" + word(2));
      const creditPoints = BigInt("0x" + word(3));
      const key = settlementKey(terminal, nonce);
      const s = settlements.get(key)?.settlement;
      if (!s) throw new Error(`PointsEarned names terminal ${terminal} nonce ${nonce}, which the transaction did not carry`);
      const leaf = settledOrderLeaf({ cardId: t[1], merchantId: BigInt(t[2]), orderId: String(s.orderId), terminal, nonce, amount: BigInt(s.amount), points, creditPoints });
      out.leaves.push(leaf);
      out.items.set(key, { kind: "confirmed", points, creditPoints, leaf });
    } else if (t[0] === topic.rejected) {
      // SettlementRejected(terminal, nonce, orderId | reason)
      out.items.set(settlementKey("0x" + t[1].slice(26), BigInt(t[2])), { kind: "rejected", reason: ledgerRejection(BigInt("0x" + word(0))) });
    } else if (t[0] === topic.batch) {
      out.batchId = BigInt(t[1]);
    }
  }
  return out;
}

/**
 * Read a refund's or redemption's receipt logs: the points (and credit points) PointsReversed
 * says a refund reversed, or the points PointsRedeemed says a redemption spent.
 */
export function readSingleLogs(ledger: PointsLedger, logs: readonly Pick<Log, "address" | "topics" | "data">[]): SingleOutcome {
  const out: SingleOutcome = new Map();
  const ledgerAddress = ledger.target.toString().toLowerCase();
  for (const log of logs) {
    if (log.address.toLowerCase() !== ledgerAddress) continue;
    const parsed = ledger.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed?.name === "PointsReversed") {
      out.set(settlementKey(parsed.args.terminal, parsed.args.nonce), { points: parsed.args.points, creditPoints: parsed.args.creditPoints });
    } else if (parsed?.name === "PointsRedeemed") {
      out.set(settlementKey(parsed.args.terminal, parsed.args.nonce), { points: parsed.args.points, creditPoints: null });
    }
  }
  return out;
}

const topicCache = new WeakMap<object, { earned: string; rejected: string; batch: string }>();

function topicsOf(ledger: PointsLedger) {
  let topics = topicCache.get(ledger.interface);
  if (!topics) {
    topics = {
      earned: ledger.interface.getEvent("PointsEarned").topicHash,
      rejected: ledger.interface.getEvent("SettlementRejected").topicHash,
      batch: ledger.interface.getEvent("BatchRecorded").topicHash,
    };
    topicCache.set(ledger.interface, topics);
  }
  return topics;
}

/** The code of an IPointsLedger.RejectionReason, or ledger.rejection_unknown for a value newer than this gateway. */
function ledgerRejection(reason: bigint): SubmissionOutcomeCode {
  const code = rejectionCode(reason);
  return code === "unknown" || code === "none" ? "ledger.rejection_unknown" : code;
}

/** The ledger's custom errors that answer with a code of their own rather than `contract.<Name>`. */
const NAMED_REVERTS: Readonly<Record<string, SubmissionOutcomeCode>> = {
  LedgerInsufficientPoints: "points.insufficient",
  LedgerRefundExceedsOrder: "refund.exceeds_order",
  LedgerProofInvalid: "refund.proof_invalid",
  LedgerOrderMismatch: "refund.order_mismatch",
  EnforcedPause: "ledger.paused",
  LedgerUnauthorized: "gateway.unauthorized",
};

/** The stable code of a ledger revert (custom error), for refunds and redemptions. */
export function revertCode(ledger: PointsLedger, err: unknown): SubmissionOutcomeCode {
  const data = (err as { data?: string }).data ?? (err as { info?: { error?: { data?: string } } }).info?.error?.data;
  if (typeof data !== "string") return "ledger.unavailable";
  try {
    const parsed = ledger.interface.parseError(data);
    if (!parsed) return "ledger.reverted";
    if (parsed.name.endsWith("Rejected")) return ledgerRejection(parsed.args[0] as bigint);
    const named = NAMED_REVERTS[parsed.name];
    if (named) return named;
    const code = contractErrorCode(parsed.name);
    return isSubmissionOutcome(code) ? code : "ledger.reverted";
  } catch {
    return "ledger.reverted";
  }
}
