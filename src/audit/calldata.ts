/**
 * The ledger calls an auditor re-reads from transaction calldata: the signed settlements of a
 * `settleBatch` / `settle` (to recover who signed them), and the signed refunds and redemptions.
 *
 * A SignedSettlement is 13 static words: the nine Settlement fields (exactly their EIP-712
 * encoding, which is how PointsLedger hashes them in place) and four signature words. Batches
 * are decoded from those words directly, without the generic ABI decoder, because a long chain
 * holds millions of them; the raw words also go to the signature workers unchanged.
 */
import type { Interface } from "ethers";
import { PointsLedger__factory } from "../../typechain-types";
import type { SettlementMessage, CompactSignature, RefundMessage, RedemptionMessage } from "../domain/typed-data";
import type { SettledOrder } from "../domain/settled-order";

export const SIGNED_SETTLEMENT_BYTES = 13 * 32;

export const ledgerInterface: Interface = PointsLedger__factory.createInterface();
const SETTLE_BATCH = ledgerInterface.getFunction("settleBatch")!.selector;
const SETTLE = ledgerInterface.getFunction("settle")!.selector;
const REFUND = ledgerInterface.getFunction("refund")!.selector;
const REDEEM = ledgerInterface.getFunction("redeem")!.selector;

export interface DecodedSettlement {
  settlement: SettlementMessage;
  /** The item's 13 words as sent: the signature workers read the two signatures from them. */
  words: Buffer;
}

export type LedgerCall =
  | { kind: "settlements"; items: DecodedSettlement[] }
  | { kind: "refund"; refund: RefundMessage; signature: CompactSignature; order: SettledOrder }
  | { kind: "redemption"; redemption: RedemptionMessage; terminalSignature: CompactSignature; cardSignature: CompactSignature }
  | { kind: "other"; selector: string };

/** Decode a transaction's input sent to the ledger. Throws on calldata that does not decode. */
export function decodeLedgerCall(input: string): LedgerCall {
  const selector = input.slice(0, 10).toLowerCase();
  if (selector === SETTLE_BATCH) {
    const body = Buffer.from(input.slice(10), "hex");
    const offset = Number(body.readBigUInt64BE(24));
    const count = Number(body.readBigUInt64BE(offset + 24));
    const start = offset + 32;
    if (body.length < start + count * SIGNED_SETTLEMENT_BYTES) throw new Error("settleBatch calldata is truncated");
    const items: DecodedSettlement[] = [];
    for (let i = 0; i < count; i++) items.push(decodeItem(body.subarray(start + i * SIGNED_SETTLEMENT_BYTES, start + (i + 1) * SIGNED_SETTLEMENT_BYTES)));
    return { kind: "settlements", items };
  }
  if (selector === SETTLE) {
    const body = Buffer.from(input.slice(10), "hex");
    if (body.length < SIGNED_SETTLEMENT_BYTES) throw new Error("settle calldata is truncated");
    return { kind: "settlements", items: [decodeItem(body.subarray(0, SIGNED_SETTLEMENT_BYTES))] };
  }
  if (selector === REFUND) {
    const [r, terminalR, terminalVS, order] = ledgerInterface.decodeFunctionData("refund", input);
    return {
      kind: "refund",
      refund: {
        cardId: r.cardId,
        terminal: r.terminal,
        nonce: r.nonce,
        orderId: r.orderId,
        settlementTerminal: r.settlementTerminal,
        settlementNonce: r.settlementNonce,
        amount: r.amount,
        time: r.time,
      },
      signature: { r: terminalR, vs: terminalVS },
      order: {
        cardId: order.cardId,
        merchantId: order.merchantId,
        orderId: order.orderId,
        terminal: order.terminal,
        nonce: order.nonce,
        amount: order.amount,
        points: order.points,
        creditPoints: order.creditPoints,
      },
    };
  }
  if (selector === REDEEM) {
    const [r, sig] = ledgerInterface.decodeFunctionData("redeem", input);
    return {
      kind: "redemption",
      redemption: { cardId: r.cardId, terminal: r.terminal, nonce: r.nonce, orderId: r.orderId, points: r.points, time: r.time },
      terminalSignature: { r: sig.terminalR, vs: sig.terminalVS },
      cardSignature: { r: sig.cardR, vs: sig.cardVS },
    };
  }
  return { kind: "other", selector };
}

function decodeItem(words: Buffer): DecodedSettlement {
  const w = (i: number) => words.subarray(i * 32, (i + 1) * 32);
  const hex = (b: Buffer) => "0x" + b.toString("hex");
  const uint = (i: number) => BigInt(hex(w(i)));
  return {
    settlement: {
      cardId: hex(w(0)),
      // Lower-case hex: comparisons in the audit ignore case, and checksumming costs a keccak.
      terminal: hex(w(1).subarray(12)),
      nonce: uint(2),
      orderId: hex(w(3)),
      slipHash: hex(w(4)),
      amount: uint(5),
      currency: hex(w(6).subarray(0, 3)),
      category: Number(uint(7)),
      time: uint(8),
    },
    words,
  };
}
