/**
 * The ledger calls an auditor re-reads from transaction calldata: the signed settlements of a
 * `settleBatch` / `settle` (to recover who signed them, and for each settlement's order and
 * amount, which PointsEarned does not repeat), and the signed refunds and redemptions.
 */
import type { Interface } from "ethers";
import { PointsLedger__factory } from "../../typechain-types";
import type { CompactSignature, RefundMessage, RedemptionMessage } from "../domain/typed-data";
import type { SettledOrder } from "../domain/settled-order";
import { decodeSettlementCall, type DecodedSettlement } from "../chain/settlement-calldata";

export { SIGNED_SETTLEMENT_BYTES, type DecodedSettlement } from "../chain/settlement-calldata";

export const ledgerInterface: Interface = PointsLedger__factory.createInterface();
const REFUND = ledgerInterface.getFunction("refund")!.selector;
const REDEEM = ledgerInterface.getFunction("redeem")!.selector;

export type LedgerCall =
  | { kind: "settlements"; items: DecodedSettlement[] }
  | { kind: "refund"; refund: RefundMessage; signature: CompactSignature; order: SettledOrder }
  | { kind: "redemption"; redemption: RedemptionMessage; terminalSignature: CompactSignature; cardSignature: CompactSignature }
  | { kind: "other"; selector: string };

/** Decode a transaction's input sent to the ledger. Throws on calldata that does not decode. */
export function decodeLedgerCall(input: string): LedgerCall {
  const items = decodeSettlementCall(input);
  if (items) return { kind: "settlements", items };
  const selector = input.slice(0, 10).toLowerCase();
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
