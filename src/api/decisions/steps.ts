/**
 * What relaying a signed step needs, for decisions and enrolments alike: how long a draft may be
 * signed, the chain's clock, the relayer, a step in JSON, and a credential's signature as the
 * contract decodes it (a passkey's assertion, or an HSM credential's 65 bytes).
 */
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { LedgerClient } from "../../chain/ledger-client";
import type { ChainSender } from "../../chain/sender";
import type { OperatorStep } from "../../domain/operator-steps";
import { DomainError } from "../../domain/domain-error";
import { passkeySignatureOf } from "../../auth/passkeys";

/** How long a drafted step may be signed and relayed (its notAfter, in chain seconds from drafting). */
export const DRAFT_VALIDITY_SECONDS = 15n * 60n;

/** An OperatorStep with its numbers as decimal strings (JSON and the store keep it so). */
export interface StepJson {
  kind: string;
  subject: string;
  actionHash: string;
  salt: string;
  notAfter: string;
}

export function stepJson(step: OperatorStep): StepJson {
  return { kind: String(step.kind), subject: step.subject.toString(), actionHash: step.actionHash, salt: step.salt, notAfter: step.notAfter.toString() };
}

export interface SignatureInput {
  credentialId?: string;
  /** An HSM (secp256k1) credential's signature: 65 bytes r ‖ s ‖ v, 0x-hex. */
  signature?: string;
  /** A passkey's assertion with the step's digest as its challenge. */
  assertion?: AuthenticationResponseJSON;
}

/** The credential's signature as the contract decodes it. */
export function stepSignatureOf(input: SignatureInput): string {
  if (!input.credentialId) throw new DomainError({ code: "request.invalid", detail: "`credentialId` is required" });
  if (input.assertion) {
    try {
      return passkeySignatureOf(input.assertion);
    } catch (err) {
      throw new DomainError({ code: "operator_step.signature_malformed", detail: (err as Error).message });
    }
  }
  if (input.signature) return input.signature;
  throw new DomainError({ code: "request.invalid", detail: "send a passkey `assertion` or an HSM `signature`" });
}

/** The relayer, or a 503 when this gateway has none (an external node without RELAYER_KEY). */
export function relayerOf(relayer: ChainSender | undefined): ChainSender {
  if (!relayer) throw new DomainError({ code: "relayer.not_configured", detail: "set RELAYER_KEY" });
  return relayer;
}

/** The node's latest block time, asked of the node itself (no provider cache), in seconds. */
export async function latestBlockTime(chain: LedgerClient): Promise<bigint> {
  const block = (await chain.provider.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  return BigInt(block.timestamp);
}
