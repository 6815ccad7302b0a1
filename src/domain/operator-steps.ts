/**
 * Operator steps (contracts/access/IOperatorCredentials.sol, OperatorSignatures.sol): the one
 * TypeScript copy of the step kinds, credential kinds and statuses, and the one place that knows
 * how a step is hashed, what an enrolment binds and how a credential's signature is encoded.
 * Free of Node's APIs: the browser console recomputes digests with it.
 */
import {
  AbiCoder,
  Signature,
  TypedDataEncoder,
  concat,
  keccak256,
  toUtf8Bytes,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { credenceDomain } from "./credence-domain";
import type { WebAuthnAuth } from "./webauthn";

/** IOperatorCredentials.StepKind: the numbering is signed, so it never changes. */
export const StepKind = {
  Propose: 0,
  Approve: 1,
  Reject: 2,
  Withdraw: 3,
  Act: 4,
  Confirm: 5,
  Enrol: 6,
  Remove: 7,
  VetoRecovery: 8,
  RedeemEnrolmentCode: 9,
} as const;
export type StepKind = (typeof StepKind)[keyof typeof StepKind];

/** IOperatorCredentials.CredentialKind. */
export const CredentialKind = { None: 0, WebAuthnP256: 1, Secp256k1: 2 } as const;
export type CredentialKind = (typeof CredentialKind)[keyof typeof CredentialKind];

/** IOperatorCredentials.CredentialStatus. */
export const CredentialStatus = { None: 0, Active: 1, Removed: 2 } as const;

export interface OperatorStep {
  kind: StepKind;
  subject: bigint;
  actionHash: string;
  salt: string;
  notAfter: bigint;
}

/** A credential's public key: (qx, qy) for a passkey, `signer` for a secp256k1 key; the rest zero. */
export interface CredentialKey {
  kind: CredentialKind;
  qx: string;
  qy: string;
  signer: string;
}

export const OPERATOR_STEP_TYPES: Record<string, TypedDataField[]> = {
  OperatorStep: [
    { name: "kind", type: "uint8" },
    { name: "subject", type: "uint256" },
    { name: "actionHash", type: "bytes32" },
    { name: "salt", type: "bytes32" },
    { name: "notAfter", type: "uint64" },
  ],
};

const ZERO32 = `0x${"00".repeat(32)}`;
const ZERO_ADDRESS = `0x${"00".repeat(20)}`;
const abi = AbiCoder.defaultAbiCoder();

/** The EIP-712 domain of the contract a step is performed on (every Credence contract signs as "Credence" 1). */
export function operatorDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return credenceDomain(chainId, verifyingContract);
}

/** The digest a credential signs for a step (for a passkey, the WebAuthn challenge). */
export function stepDigest(domain: TypedDataDomain, step: OperatorStep): string {
  return TypedDataEncoder.hash(domain, OPERATOR_STEP_TYPES, step);
}

export function passkeyKey(qx: string, qy: string): CredentialKey {
  return { kind: CredentialKind.WebAuthnP256, qx, qy, signer: ZERO_ADDRESS };
}

export function secp256k1Key(signer: string): CredentialKey {
  return { kind: CredentialKind.Secp256k1, qx: ZERO32, qy: ZERO32, signer };
}

/** OperatorSignatures.keyHash: identifies a key across both kinds. */
export function keyHash(key: CredentialKey): string {
  return keccak256(abi.encode(["uint8", "bytes32", "bytes32", "address"], [key.kind, key.qx, key.qy, key.signer]));
}

/** OperatorSignatures.enrolmentHash: the actionHash of an Enrol or RedeemEnrolmentCode step. */
export function enrolmentHash(institution: string, operatorId: string, key: CredentialKey): string {
  return keccak256(abi.encode(["bytes32", "bytes32", "bytes32"], [institution, operatorId, keyHash(key)]));
}

/** A passkey's signature as the contract decodes it (the fields of OpenZeppelin's WebAuthnAuth). */
export function encodePasskeySignature(auth: WebAuthnAuth): string {
  return abi.encode(
    ["bytes32", "bytes32", "uint256", "uint256", "bytes", "string"],
    [auth.r, auth.s, auth.challengeIndex, auth.typeIndex, auth.authenticatorData, auth.clientDataJSON],
  );
}

/** A secp256k1 signature as the contract decodes it: 65 bytes r ‖ s ‖ v. */
export function encodeSecp256k1Signature(signature: Signature): string {
  return concat([signature.r, signature.s, new Uint8Array([signature.v])]);
}

const ENROLMENT_CODE_TAG = "credence.enrolment-code:";

/**
 * The secp256k1 private key (0x-hex) a one-time enrolment code stands for: the deployment stores
 * its address, and redeeming the code is a signature with it, so the code never goes on chain.
 * The code must be random with at least 128 bits of entropy.
 */
export function enrolmentCodePrivateKey(code: string): string {
  return keccak256(toUtf8Bytes(ENROLMENT_CODE_TAG + code));
}

/** Steps are signed until this timestamp unless the signer says otherwise: uint64's maximum. */
export const NO_DEADLINE = 2n ** 64n - 1n;

/** The Enrol step for a new credential (subject 0). */
export function enrolmentStep(
  institution: string,
  operatorId: string,
  key: CredentialKey,
  salt: string,
  notAfter = NO_DEADLINE,
): OperatorStep {
  return { kind: StepKind.Enrol, subject: 0n, actionHash: enrolmentHash(institution, operatorId, key), salt, notAfter };
}

/** The Remove step for credential `credentialId`, whose key is `key`. */
export function removalStep(credentialId: bigint, key: CredentialKey, salt: string, notAfter = NO_DEADLINE): OperatorStep {
  return { kind: StepKind.Remove, subject: credentialId, actionHash: keyHash(key), salt, notAfter };
}

/** The VetoRecovery step against recovery `recoveryId`, which proposes `key`. */
export function recoveryVetoStep(recoveryId: bigint, key: CredentialKey, salt: string, notAfter = NO_DEADLINE): OperatorStep {
  return { kind: StepKind.VetoRecovery, subject: recoveryId, actionHash: keyHash(key), salt, notAfter };
}

/** The RedeemEnrolmentCode step, signed with the code's key. */
export function codeRedemptionStep(
  institution: string,
  operatorId: string,
  key: CredentialKey,
  salt: string,
  notAfter = NO_DEADLINE,
): OperatorStep {
  return { ...enrolmentStep(institution, operatorId, key, salt, notAfter), kind: StepKind.RedeemEnrolmentCode };
}
