/**
 * Passkeys between @simplewebauthn/server and the chain: a credential's on-chain public key
 * (qx, qy) as the COSE key the library verifies with and back, and a browser's assertion
 * (AuthenticationResponseJSON) as the signature the contract decodes (OpenZeppelin's
 * WebAuthnAuth, low-s, via src/domain/webauthn.ts).
 */
import { cose, decodeCredentialPublicKey, isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";
import { verifyRegistrationResponse, type AuthenticationResponseJSON, type RegistrationResponseJSON } from "@simplewebauthn/server";
import { hexlify, getBytes } from "ethers";
import { toWebAuthnAuth } from "../domain/webauthn";
import { encodePasskeySignature } from "../domain/operator-steps";

/** The COSE_Key (EC2, ES256, P-256) of a passkey whose public key is (qx, qy), 0x-hex. */
export function coseKeyOf(qx: string, qy: string): Uint8Array<ArrayBuffer> {
  const key = new Map<number, number | Uint8Array>([
    [cose.COSEKEYS.kty, cose.COSEKTY.EC2],
    [cose.COSEKEYS.alg, cose.COSEALG.ES256],
    [cose.COSEKEYS.crv, cose.COSECRV.P256],
    [cose.COSEKEYS.x, getBytes(qx)],
    [cose.COSEKEYS.y, getBytes(qy)],
  ]);
  return isoCBOR.encode(key);
}

/** (qx, qy) of a COSE_Key; throws unless it is an ES256 P-256 key. */
export function p256OfCoseKey(bytes: Uint8Array): { qx: string; qy: string } {
  const key = decodeCredentialPublicKey(new Uint8Array(bytes)) as Map<number, unknown>;
  const x = key.get(cose.COSEKEYS.x);
  const y = key.get(cose.COSEKEYS.y);
  if (
    key.get(cose.COSEKEYS.kty) !== cose.COSEKTY.EC2 ||
    key.get(cose.COSEKEYS.alg) !== cose.COSEALG.ES256 ||
    key.get(cose.COSEKEYS.crv) !== cose.COSECRV.P256 ||
    !(x instanceof Uint8Array) ||
    !(y instanceof Uint8Array) ||
    x.length !== 32 ||
    y.length !== 32
  ) {
    throw new Error("not an ES256 P-256 public key");
  }
  return { qx: hexlify(x), qy: hexlify(y) };
}

/** A browser's assertion over a step's digest, as the contract's passkey signature (ABI-encoded WebAuthnAuth). */
export function passkeySignatureOf(assertion: AuthenticationResponseJSON): string {
  return encodePasskeySignature(
    toWebAuthnAuth({
      authenticatorData: isoBase64URL.toBuffer(assertion.response.authenticatorData),
      clientDataJSON: isoBase64URL.toUTF8String(assertion.response.clientDataJSON),
      signature: isoBase64URL.toBuffer(assertion.response.signature),
    }),
  );
}

/**
 * A new passkey's registration over `challenge`, verified as every relying party here requires
 * (user verification, ES256 only), or the reason it is refused. `credential` is the passkey's ID
 * and COSE public key.
 */
export async function verifiedRegistration(
  response: RegistrationResponseJSON,
  challenge: string,
  rp: { origin: string; rpId: string },
): Promise<{ credential: { id: string; publicKey: Uint8Array<ArrayBuffer> } } | { refused: string }> {
  try {
    const verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: [-7],
    });
    return verified.verified ? { credential: verified.registrationInfo.credential } : { refused: "the registration did not verify" };
  } catch (err) {
    return { refused: (err as Error).message };
  }
}
