/**
 * EIP-712 typed data of the ledger: how settlements, refunds and redemptions are hashed and
 * signed. The types and their hashing are the terminal SDK's (packages/terminal-sdk, what
 * terminals run); this module adds what the gateway alone needs: signing through any digest
 * signer, and recovery through ethers. Signatures travel in EIP-2098 compact form (r, vs).
 */
import { Signature, recoverAddress, type TypedDataDomain } from "ethers";
import * as sdk from "../../packages/terminal-sdk/src";
import type { CompactSignature, Eip712Domain, RedemptionMessage, RefundMessage, SettlementMessage } from "../../packages/terminal-sdk/src";
import "./keccak"; // plugs the native keccak256 into the SDK's hashing

export { ORDER_SLIP_TYPES, REDEMPTION_TYPES, REFUND_TYPES, SETTLEMENT_TYPES } from "../../packages/terminal-sdk/src";
export type { CompactSignature, Eip712Domain, RedemptionMessage, RefundMessage, SettlementMessage } from "../../packages/terminal-sdk/src";

/** An ethers domain as the SDK takes it: Credence domains carry all four fields. */
function sdkDomain(d: TypedDataDomain): Eip712Domain {
  if (d.name == null || d.version == null || d.chainId == null || d.verifyingContract == null || d.salt != null) {
    throw new TypeError("a Credence EIP-712 domain has a name, version, chain ID and verifying contract, and no salt");
  }
  return { name: d.name, version: d.version, chainId: BigInt(d.chainId), verifyingContract: d.verifyingContract };
}

/** The EIP-712 domain separator of a domain, 0x-hex. */
export const domainSeparator = (domain: TypedDataDomain): string => sdk.domainSeparator(sdkDomain(domain));

export const settlementDigest = (domain: TypedDataDomain, s: SettlementMessage): string => sdk.settlementDigest(sdkDomain(domain), s);

export const refundDigest = (domain: TypedDataDomain, r: RefundMessage): string => sdk.refundDigest(sdkDomain(domain), r);

export const redemptionDigest = (domain: TypedDataDomain, r: RedemptionMessage): string => sdk.redemptionDigest(sdkDomain(domain), r);

export const orderSlipDigest = (domain: TypedDataDomain, slipHash: string): string => sdk.orderSlipDigest(sdkDomain(domain), slipHash);

/** The ledger's EIP-712 domain. */
export const ledgerDomain: (chainId: bigint, ledgerAddress: string) => Eip712Domain = sdk.credenceDomain;

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
