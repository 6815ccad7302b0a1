/**
 * A credential's signature over an operator step's digest, verified by the auditor itself with
 * the rules the contract applies (contracts/access/OperatorSignatures.sol, OpenZeppelin's
 * WebAuthn and ECDSA), so that a contract that skipped or botched the check is caught:
 *
 * - a passkey (WebAuthn P-256): the ABI-encoded WebAuthnAuth decodes; the authenticator data has
 *   its 37 bytes; the client data holds `"type":"webauthn.get"` at typeIndex and
 *   `"challenge":"<base64url of the digest>"` at challengeIndex (by byte offset, as the contract
 *   reads it); the flags say user present and user verified, and not backed up unless
 *   backup-eligible; `s` is low; and the P-256 signature verifies (node:crypto, OpenSSL) over
 *   sha256(authenticatorData ‖ sha256(clientDataJSON));
 * - a secp256k1 key: 65 bytes r ‖ s ‖ v with v 27 or 28 and a low `s`, recovering (libsecp256k1)
 *   the credential's address.
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { AbiCoder, getBytes } from "ethers";
import { CredentialKind, type CredentialKey } from "../domain/operator-steps";
import { AuthenticatorFlags, P256_N, base64url } from "../domain/webauthn";
import { recoverCompact } from "../domain/signer-recovery";

const abi = AbiCoder.defaultAbiCoder();
/** WebAuthnAuth as the contract decodes it; the client data read as bytes, exactly as signed. */
const WEBAUTHN_AUTH = ["bytes32", "bytes32", "uint256", "uint256", "bytes", "bytes"];
const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const TYPE_GET = Buffer.from('"type":"webauthn.get"');

/** Checks signatures, keeping each passkey's parsed public key. */
export class StepSignatureVerifier {
  private readonly passkeys = new Map<string, KeyObject | null>();

  /** Why `signature` is not `key`'s valid signature over `digest` (0x-hex), or undefined when it is. */
  fault(digest: string, key: CredentialKey, signature: string): string | undefined {
    if (key.kind === CredentialKind.WebAuthnP256) return this.passkeyFault(digest, key, signature);
    if (key.kind === CredentialKind.Secp256k1) return secp256k1Fault(digest, key.signer, signature);
    return `a credential of unknown kind ${key.kind}`;
  }

  private passkeyFault(digest: string, key: CredentialKey, signature: string): string | undefined {
    let fields: ReturnType<typeof abi.decode>;
    try {
      fields = abi.decode(WEBAUTHN_AUTH, signature);
    } catch {
      return "the WebAuthn assertion does not decode";
    }
    const [r, s, challengeIndex, typeIndex] = [BigInt(fields[0]), BigInt(fields[1]), BigInt(fields[2]), BigInt(fields[3])];
    const authenticatorData = getBytes(fields[4] as string);
    const clientData = Buffer.from(getBytes(fields[5] as string));
    if (authenticatorData.length < 37) return `the authenticator data has ${authenticatorData.length} bytes, fewer than 37`;
    if (!holdsAt(clientData, typeIndex, TYPE_GET)) return `the client data has no "type":"webauthn.get" at ${typeIndex}`;
    const challenge = Buffer.from(`"challenge":"${base64url(getBytes(digest))}"`);
    if (!holdsAt(clientData, challengeIndex, challenge)) return `the client data's challenge at ${challengeIndex} is not the step's digest`;
    const flags = authenticatorData[32];
    if (!(flags & AuthenticatorFlags.UP) || !(flags & AuthenticatorFlags.UV)) return `the authenticator flags 0x${flags.toString(16)} lack user presence or verification`;
    if (!(flags & AuthenticatorFlags.BE) && flags & AuthenticatorFlags.BS) return `the authenticator flags 0x${flags.toString(16)} say backed up but not backup-eligible`;
    if (r === 0n || r >= P256_N || s === 0n || s > P256_N / 2n) return "r or s is out of range (s must be in the lower half)";
    const publicKey = this.passkey(key);
    if (!publicKey) return "the credential's key is not a P-256 point";
    const signed = Buffer.concat([authenticatorData, createHash("sha256").update(clientData).digest()]);
    const rs = Buffer.from(getBytes(abi.encode(["uint256", "uint256"], [r, s])));
    return verify("sha256", signed, { key: publicKey, dsaEncoding: "ieee-p1363" }, rs) ? undefined : "the P-256 signature does not verify under the credential's key";
  }

  private passkey(key: CredentialKey): KeyObject | null {
    const id = `${key.qx}:${key.qy}`;
    let publicKey = this.passkeys.get(id);
    if (publicKey === undefined) {
      try {
        const coordinate = (hex: string) => Buffer.from(getBytes(hex)).toString("base64url");
        publicKey = createPublicKey({ key: { kty: "EC", crv: "P-256", x: coordinate(key.qx), y: coordinate(key.qy) }, format: "jwk" });
      } catch {
        publicKey = null;
      }
      this.passkeys.set(id, publicKey);
    }
    return publicKey;
  }
}

/** Why a 65-byte r ‖ s ‖ v signature over `digest` is not by `signer`, or undefined when it is. */
export function secp256k1Fault(digest: string, signer: string, signature: string): string | undefined {
  const bytes = getBytes(signature);
  if (bytes.length !== 65) return `the signature has ${bytes.length} bytes, not 65`;
  const v = bytes[64];
  if (v !== 27 && v !== 28) return `v is ${v}, not 27 or 28`;
  const vs = Buffer.from(bytes.subarray(32, 64));
  if (BigInt("0x" + vs.toString("hex")) > SECP256K1_HALF_N) return "s is in the upper half of the curve order";
  if (v === 28) vs[0] |= 0x80;
  const recovered = recoverCompact(getBytes(digest), { r: "0x" + Buffer.from(bytes.subarray(0, 32)).toString("hex"), vs: "0x" + vs.toString("hex") });
  if (recovered === null) return "the signature recovers no key";
  return recovered.toLowerCase() === signer.toLowerCase() ? undefined : `it was signed by ${recovered}, not ${signer}`;
}

/** Whether `haystack` holds `needle` at byte `index`. */
function holdsAt(haystack: Buffer, index: bigint, needle: Buffer): boolean {
  if (index > BigInt(haystack.length - needle.length)) return false;
  const at = Number(index);
  return haystack.subarray(at, at + needle.length).equals(needle);
}
