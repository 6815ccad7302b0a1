/**
 * EIP-712 typed data of the ledger: the one place that knows how settlements, refunds and
 * redemptions are hashed and signed. Signatures travel in EIP-2098 compact form (r, yParityAndS).
 */
import { Signature, TypedDataEncoder, recoverAddress, type TypedDataDomain, type TypedDataField } from "ethers";
import { SETTLEMENT_FIELDS } from "./settlement-hasher";
import { credenceDomain } from "./credence-domain";

export interface SettlementMessage {
  cardId: string;
  terminal: string;
  nonce: bigint;
  orderId: string;
  slipHash: string;
  amount: bigint;
  currency: string;
  category: number;
  time: bigint;
}

/**
 * A refund names the settlement it refunds: its card and order, and the terminal and nonce the
 * settlement was signed under (no two settlements share them), so it applies to that one alone.
 */
export interface RefundMessage {
  cardId: string;
  terminal: string;
  nonce: bigint;
  orderId: string;
  settlementTerminal: string;
  settlementNonce: bigint;
  amount: bigint;
  time: bigint;
}

export interface RedemptionMessage {
  cardId: string;
  terminal: string;
  nonce: bigint;
  orderId: string;
  points: bigint;
  time: bigint;
}

export interface CompactSignature {
  r: string;
  vs: string;
}

export const SETTLEMENT_TYPES: Record<string, TypedDataField[]> = { Settlement: [...SETTLEMENT_FIELDS] };

export const REFUND_TYPES: Record<string, TypedDataField[]> = {
  Refund: [
    { name: "cardId", type: "bytes32" },
    { name: "terminal", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "orderId", type: "bytes32" },
    { name: "settlementTerminal", type: "address" },
    { name: "settlementNonce", type: "uint64" },
    { name: "amount", type: "uint64" },
    { name: "time", type: "uint40" },
  ],
};

export const REDEMPTION_TYPES: Record<string, TypedDataField[]> = {
  Redemption: [
    { name: "cardId", type: "bytes32" },
    { name: "terminal", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "orderId", type: "bytes32" },
    { name: "points", type: "uint64" },
    { name: "time", type: "uint40" },
  ],
};

/**
 * A terminal's signature on an order slip it stores through the gateway (POST /v1/slips). Not a
 * ledger message: PointsLedger knows no such type, so this signature can never stand for one.
 */
export const ORDER_SLIP_TYPES: Record<string, TypedDataField[]> = {
  OrderSlip: [{ name: "slipHash", type: "bytes32" }],
};

/** The EIP-712 domain separator of a domain, 0x-hex. */
export function domainSeparator(domain: TypedDataDomain): string {
  return TypedDataEncoder.hashDomain(domain);
}

/** The ledger's EIP-712 domain. */
export const ledgerDomain: (chainId: bigint, ledgerAddress: string) => TypedDataDomain = credenceDomain;

export function settlementDigest(domain: TypedDataDomain, s: SettlementMessage): string {
  return TypedDataEncoder.hash(domain, SETTLEMENT_TYPES, s);
}

export function refundDigest(domain: TypedDataDomain, r: RefundMessage): string {
  return TypedDataEncoder.hash(domain, REFUND_TYPES, r);
}

export function redemptionDigest(domain: TypedDataDomain, r: RedemptionMessage): string {
  return TypedDataEncoder.hash(domain, REDEMPTION_TYPES, r);
}

export function orderSlipDigest(domain: TypedDataDomain, slipHash: string): string {
  return TypedDataEncoder.hash(domain, ORDER_SLIP_TYPES, { slipHash });
}

/** Anything that signs a raw digest (ethers Wallet's signingKey, or a hardware key adapter). */
export interface DigestSigner {
  sign(digest: string): Signature;
}

export function signDigest(key: DigestSigner, digest: string): CompactSignature {
  const sig = key.sign(digest);
  return { r: sig.r, vs: sig.yParityAndS };
}

/** Address that produced a compact signature over a digest (throws on a malformed signature). */
export function recoverSigner(digest: string, sig: CompactSignature): string {
  return recoverAddress(digest, Signature.from({ r: sig.r, yParityAndS: sig.vs }));
}
