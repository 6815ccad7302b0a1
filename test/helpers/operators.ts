/**
 * Operators and their signed steps for tests (in the manner of Safe's test/utils/execution.ts):
 * deterministic passkeys and HSM keys from labels, the credentials fixture, and `signStep`, which
 * builds the typed data through src/domain/operator-steps.ts and signs it as the browser and the
 * authenticator (or the HSM) would. Tests never assemble a digest by hand; the only way to make
 * a faulty signature is to ask `signStep` for one fault by name.
 */
import { createHash } from "node:crypto";
import { ethers } from "hardhat";
import { Wallet, concat, getBytes, id, toBeHex, type BaseContract, type TypedDataDomain } from "ethers";
import { SoftwareAuthenticator } from "../../src/auth/software-authenticator";
import { ROLES } from "../../src/chain/roles";
import {
  CredentialKind,
  NO_DEADLINE,
  encodePasskeySignature,
  encodeSecp256k1Signature,
  enrolmentStep,
  operatorDomain,
  passkeyKey,
  secp256k1Key,
  stepDigest,
  type CredentialKey,
  type OperatorStep,
  type StepKind,
} from "../../src/domain/operator-steps";
import { P256_N, base64url, toWebAuthnAuth } from "../../src/domain/webauthn";
import { OperatorCredentialsHarness__factory } from "../../typechain-types";
import type { OperatorCredentialsHarness } from "../../typechain-types";
import type { IOperatorCredentials } from "../../typechain-types/contracts/testing/OperatorCredentialsHarness";

export const ORIGIN = "https://operators.credence.test";
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A credential held in a test: a passkey in a software authenticator, or an HSM's secp256k1 key. */
export type Holder = { passkey: SoftwareAuthenticator } | { hsm: Wallet };

export interface Operator {
  credentialId: bigint;
  operatorId: string;
  institution: string;
  holder: Holder;
}

/** A deterministic passkey from a label, so failures reproduce. */
export function passkeyFor(label: string): SoftwareAuthenticator {
  const d = (BigInt(id(`credence-test:p256:${label}`)) % (P256_N - 1n)) + 1n;
  return SoftwareAuthenticator.fromPrivateKey(getBytes(toBeHex(d, 32)));
}

/** A deterministic HSM key from a label. */
export function hsmFor(label: string): Wallet {
  return new Wallet(id(`credence-test:hsm:${label}`));
}

export function operatorIdFor(label: string): string {
  return id(`operator:${label}`);
}

export function keyOf(holder: Holder): CredentialKey {
  return "passkey" in holder
    ? passkeyKey(holder.passkey.publicKey.qx, holder.passkey.publicKey.qy)
    : secp256k1Key(holder.hsm.address);
}

/** One fault to build into a signature, each refused by the contract with its own error. */
export interface Fault {
  /** Sign this digest as the challenge instead of the step's. */
  challenge?: string;
  /** Leave the user-verified flag clear (a tap without PIN or biometric). */
  userNotVerified?: boolean;
  /** Client data of this type instead of "webauthn.get". */
  clientDataType?: string;
  /** Send s as n − s, the malleable twin of the valid signature. */
  highS?: boolean;
  /** Flip a bit of the signed authenticator data after signing. */
  tampered?: boolean;
}

/** The EIP-712 domain of a deployed contract on the current chain. */
export async function domainOf(contract: BaseContract): Promise<TypedDataDomain> {
  const { chainId } = await ethers.provider.getNetwork();
  return operatorDomain(chainId, await contract.getAddress());
}

/** `holder`'s signature over `step` in `domain`, as the credential `credentialId`. */
export function signStepIn(
  domain: TypedDataDomain,
  step: OperatorStep,
  credentialId: bigint,
  holder: Holder,
  fault: Fault = {},
): IOperatorCredentials.OperatorSignatureStruct {
  const digest = fault.challenge ?? stepDigest(domain, step);
  if ("hsm" in holder) {
    const sig = holder.hsm.signingKey.sign(digest);
    if (!fault.highS) return { credentialId, signature: encodeSecp256k1Signature(sig) };
    // ethers refuses to hold a high s, so its twin is assembled here: (r, n − s, the other v).
    const twin = concat([sig.r, toBeHex(SECP256K1_N - BigInt(sig.s), 32), new Uint8Array([sig.v === 27 ? 28 : 27])]);
    return { credentialId, signature: twin };
  }
  const challenge = getBytes(digest);
  const assertion = fault.clientDataType
    ? clientAssertion(holder.passkey, fault.clientDataType, challenge)
    : holder.passkey.assert({ challenge, origin: ORIGIN, userVerified: !fault.userNotVerified });
  if (fault.tampered) assertion.authenticatorData[36] ^= 0x01;
  const auth = toWebAuthnAuth(assertion);
  if (fault.highS) auth.s = toBeHex(P256_N - BigInt(auth.s), 32);
  return { credentialId, signature: encodePasskeySignature(auth) };
}

/** An assertion whose client data has another type, signed by the authenticator all the same. */
function clientAssertion(passkey: SoftwareAuthenticator, type: string, challenge: Uint8Array) {
  const clientDataJSON = JSON.stringify({ type, challenge: base64url(challenge), origin: ORIGIN });
  const clientDataHash = createHash("sha256").update(clientDataJSON).digest();
  return { ...passkey.getAssertion({ rpId: new URL(ORIGIN).hostname, clientDataHash }), clientDataJSON };
}

/** `operator`'s signature over `step` performed on `contract`. */
export async function signStep(
  contract: BaseContract,
  step: OperatorStep,
  operator: Operator,
  fault: Fault = {},
): Promise<IOperatorCredentials.OperatorSignatureStruct> {
  return signStepIn(await domainOf(contract), step, operator.credentialId, operator.holder, fault);
}

/** A step with no effect beyond its verification (the harness's performStep). */
export function noOpStep(kind: StepKind, fields: Partial<Omit<OperatorStep, "kind">> = {}): OperatorStep {
  return { kind, subject: 1n, actionHash: id("action"), salt: id("salt"), notAfter: NO_DEADLINE, ...fields };
}

/** Enrol a credential for `institution` with the signatures of `signers`; returns the new operator. */
export async function enrolOperator(
  credentials: OperatorCredentialsHarness,
  institution: string,
  label: string,
  holder: Holder,
  signers: readonly Operator[],
  operatorId = operatorIdFor(label),
): Promise<Operator> {
  const key = keyOf(holder);
  const salt = id(`enrol:${label}`);
  const step = enrolmentStep(institution, operatorId, key, salt);
  const signatures = await Promise.all(signers.map((s) => signStep(credentials, step, s)));
  await (await credentials.enrol(institution, operatorId, key, salt, NO_DEADLINE, signatures)).wait();
  return { credentialId: await credentials.credentialCount(), operatorId, institution, holder };
}

/** An institution's first operator named by its credential. */
export function initialOperator(label: string, holder: Holder): IOperatorCredentials.InitialOperatorStruct {
  return { operatorId: operatorIdFor(label), key: keyOf(holder), enrolmentCode: ethers.ZeroAddress };
}

/** An institution's first operator to come with a one-time enrolment code (its key's address). */
export function initialCode(codeAddress: string): IOperatorCredentials.InitialOperatorStruct {
  const none = { kind: CredentialKind.None, qx: ethers.ZeroHash, qy: ethers.ZeroHash, signer: ethers.ZeroAddress };
  return { operatorId: ethers.ZeroHash, key: none, enrolmentCode: codeAddress };
}

/**
 * The harness with one passkey operator per institution (credential 1: the bank's "ana",
 * credential 2: the credit center's "bo"), governance the first account.
 */
export async function deployCredentials() {
  const [governance, relayer, outsider] = await ethers.getSigners();
  const anaKey = { passkey: passkeyFor("bank-ana") };
  const boKey = { passkey: passkeyFor("credit-bo") };
  const credentials = await new OperatorCredentialsHarness__factory(governance).deploy(
    governance.address,
    initialOperator("bank-ana", anaKey),
    initialOperator("credit-bo", boKey),
  );
  await credentials.waitForDeployment();
  const ana: Operator = { credentialId: 1n, operatorId: operatorIdFor("bank-ana"), institution: ROLES.BANK, holder: anaKey };
  const bo: Operator = { credentialId: 2n, operatorId: operatorIdFor("credit-bo"), institution: ROLES.CREDIT_CENTER, holder: boKey };
  return { credentials, operators: { ana, bo }, accounts: { governance, relayer, outsider } };
}
