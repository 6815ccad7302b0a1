/**
 * The signed settlements a `settleBatch` or `settle` transaction carries, read from its calldata.
 * PointsEarned names a settlement by its terminal and nonce alone (ADR 0012): its order, amount,
 * slip hash, currency, category and time are read here, by the auditor and the read index.
 *
 * A SignedSettlement is 13 static words: the nine Settlement fields (exactly their EIP-712
 * encoding, which is how PointsLedger hashes them in place) and four signature words. They are
 * decoded from those words directly, without the generic ABI decoder, because a long chain
 * holds millions of them; the raw words also go to the auditor's signature workers unchanged.
 */
import { PointsLedger__factory } from "../../typechain-types";
import type { SettlementMessage } from "../domain/typed-data";

export const SIGNED_SETTLEMENT_BYTES = 13 * 32;

const ledgerInterface = PointsLedger__factory.createInterface();
const SETTLE_BATCH = ledgerInterface.getFunction("settleBatch").selector;
const SETTLE = ledgerInterface.getFunction("settle").selector;

export interface DecodedSettlement {
  settlement: SettlementMessage;
  /** The item's 13 words as sent: the signature workers read the two signatures from them. */
  words: Buffer;
}

/** What a PointsEarned log says of the settlement it records (ADR 0012); the rest is in calldata. */
export interface PointsEarnedFields {
  cardId: string;
  merchantId: number;
  terminal: string;
  nonce: bigint;
  points: bigint;
  creditPoints: bigint;
}

/**
 * The signed settlements of a transaction's input to the ledger, in order, or undefined when it
 * is not a `settleBatch` or `settle` call. Throws on such a call whose calldata is truncated.
 */
export function decodeSettlementCall(input: string): DecodedSettlement[] | undefined {
  const selector = input.slice(0, 10).toLowerCase();
  if (selector === SETTLE_BATCH) {
    const body = Buffer.from(input.slice(10), "hex");
    const offset = Number(body.readBigUInt64BE(24));
    const count = Number(body.readBigUInt64BE(offset + 24));
    const start = offset + 32;
    if (body.length < start + count * SIGNED_SETTLEMENT_BYTES) throw new Error("settleBatch calldata is truncated");
    const items: DecodedSettlement[] = [];
    for (let i = 0; i < count; i++) items.push(decodeItem(body.subarray(start + i * SIGNED_SETTLEMENT_BYTES, start + (i + 1) * SIGNED_SETTLEMENT_BYTES)));
    return items;
  }
  if (selector === SETTLE) {
    const body = Buffer.from(input.slice(10), "hex");
    if (body.length < SIGNED_SETTLEMENT_BYTES) throw new Error("settle calldata is truncated");
    return [decodeItem(body.subarray(0, SIGNED_SETTLEMENT_BYTES))];
  }
  return undefined;
}

/** How PointsEarned and the calldata's items meet: the settlement's terminal (any case) and nonce. */
export function settlementKey(terminal: string, nonce: bigint | string): string {
  return `${terminal.toLowerCase()}:${BigInt(nonce)}`;
}

/**
 * `items` by the `settlementKey` of the settlement each names (`settlementOf`). A key carried
 * twice keeps its first item: the only one the ledger can have recorded.
 */
export function bySettlementKey<T>(items: readonly T[], settlementOf: (item: T) => { terminal: unknown; nonce: unknown }): Map<string, T> {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const s = settlementOf(item);
    const key = settlementKey(String(s.terminal), BigInt(s.nonce as bigint | string));
    if (!byKey.has(key)) byKey.set(key, item);
  }
  return byKey;
}

function decodeItem(words: Buffer): DecodedSettlement {
  const w = (i: number) => words.subarray(i * 32, (i + 1) * 32);
  const hex = (b: Buffer) => "0x" + b.toString("hex");
  const uint = (i: number) => BigInt(hex(w(i)));
  return {
    settlement: {
      cardId: hex(w(0)),
      // Lower-case hex: comparisons ignore case, and checksumming costs a keccak.
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
