/**
 * The EIP-712 domain every Credence contract signs under ("Credence", version 1). Free of Node's
 * APIs, like operator-steps.ts and webauthn.ts: the browser console imports it.
 */
import type { TypedDataDomain } from "ethers";

/** The EIP-712 domain of the Credence contract at `verifyingContract` on chain `chainId`. */
export function credenceDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: "Credence", version: "1", chainId, verifyingContract };
}
