/**
 * A software authenticator for operators without a platform passkey, and for tests: a P-256 key
 * kept in a file the user names (mode 0600), producing WebAuthn assertions exactly as a browser
 * and an authenticator do between them. The browser's part (`assert`) builds the client data
 * `{"type":"webauthn.get","challenge":<base64url>,"origin":...}`; the authenticator's part
 * (`getAssertion`, CTAP2's authenticatorGetAssertion) builds authenticatorData = SHA-256(rpId) ‖
 * flags ‖ signCount and signs it with the client data's hash, in DER. `toWebAuthnAuth`
 * (src/domain/webauthn.ts) then gives the contract's form.
 *
 * The key file is as sensitive as any private key: anyone who reads it signs as its operator.
 */
import { createECDH, createHash, createPrivateKey, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from "node:crypto";
import fs from "node:fs";
import { base64url, AuthenticatorFlags, type WebAuthnAssertion } from "../domain/webauthn";

const FILE_KIND = "credence.software-authenticator";
const FILE_VERSION = 1;

export interface AssertionRequest {
  /** The challenge: for an operator step, its 32-byte digest. */
  challenge: Uint8Array;
  /** The web origin the assertion is for, e.g. "https://operators.example". */
  origin: string;
  /** The relying party ID; default: the origin's host name. */
  rpId?: string;
  /** Whether the user was verified (PIN, biometric); default true. The contract requires it. */
  userVerified?: boolean;
}

export interface AuthenticatorRequest {
  rpId: string;
  /** SHA-256 of the client data JSON. */
  clientDataHash: Uint8Array;
  userVerified?: boolean;
}

export class SoftwareAuthenticator {
  private constructor(
    private readonly key: KeyObject,
    /** The public key's coordinates, 0x-hex, 32 bytes each. */
    readonly publicKey: { qx: string; qy: string },
  ) {}

  /** A new random P-256 key. */
  static generate(): SoftwareAuthenticator {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    return SoftwareAuthenticator.fromJwk(privateKey.export({ format: "jwk" }));
  }

  /** The key with this 32-byte private scalar (1 ≤ d < n), e.g. to reproduce a test. */
  static fromPrivateKey(d: Uint8Array): SoftwareAuthenticator {
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(Buffer.from(d));
    const point = ecdh.getPublicKey(); // 0x04 ‖ x ‖ y
    return SoftwareAuthenticator.fromJwk({
      kty: "EC",
      crv: "P-256",
      d: Buffer.from(d).toString("base64url"),
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33, 65).toString("base64url"),
    });
  }

  /**
   * The key saved in `file`. Refuses a file that its group or others may read or write, as ssh
   * does, since that key signs as its operator.
   */
  static load(file: string): SoftwareAuthenticator {
    const mode = fs.statSync(file).mode & 0o777;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      throw new Error(`${file} is accessible to others (mode ${mode.toString(8)}): chmod 600 it`);
    }
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { kind?: unknown; version?: unknown; jwk?: JsonWebKey };
    if (saved.kind !== FILE_KIND || saved.version !== FILE_VERSION || !saved.jwk) {
      throw new Error(`${file} is not a ${FILE_KIND} file of version ${FILE_VERSION}`);
    }
    return SoftwareAuthenticator.fromJwk(saved.jwk);
  }

  private static fromJwk(jwk: JsonWebKey): SoftwareAuthenticator {
    const key = createPrivateKey({ key: jwk, format: "jwk" });
    const exported = key.export({ format: "jwk" });
    if (exported.crv !== "P-256" || !exported.x || !exported.y) throw new Error("not a P-256 private key");
    const coordinate = (b64: string) => `0x${Buffer.from(b64, "base64url").toString("hex").padStart(64, "0")}`;
    return new SoftwareAuthenticator(key, { qx: coordinate(exported.x), qy: coordinate(exported.y) });
  }

  /** Write the key to `file` with mode 0600; never overwrites an existing file. */
  save(file: string): void {
    const jwk = this.key.export({ format: "jwk" });
    const body = JSON.stringify({ kind: FILE_KIND, version: FILE_VERSION, jwk }, null, 2) + "\n";
    fs.writeFileSync(file, body, { mode: 0o600, flag: "wx" });
  }

  /** What navigator.credentials.get() returns for this credential and challenge. */
  assert(request: AssertionRequest): WebAuthnAssertion {
    const clientDataJSON = JSON.stringify({
      type: "webauthn.get",
      challenge: base64url(request.challenge),
      origin: request.origin,
      crossOrigin: false,
    });
    const clientDataHash = createHash("sha256").update(clientDataJSON, "utf8").digest();
    const rpId = request.rpId ?? new URL(request.origin).hostname;
    const { authenticatorData, signature } = this.getAssertion({ rpId, clientDataHash, userVerified: request.userVerified });
    return { authenticatorData, clientDataJSON, signature };
  }

  /**
   * The authenticator's part: authenticatorData (SHA-256 of the RP ID, the flags UP and, when
   * verified, UV, a signature counter of 0 as synced passkeys report) and the DER signature of
   * authenticatorData ‖ clientDataHash.
   */
  getAssertion(request: AuthenticatorRequest): { authenticatorData: Uint8Array; signature: Uint8Array } {
    const flags = AuthenticatorFlags.UP | (request.userVerified === false ? 0 : AuthenticatorFlags.UV);
    const authenticatorData = Buffer.concat([
      createHash("sha256").update(request.rpId, "utf8").digest(),
      Buffer.from([flags]),
      Buffer.alloc(4), // signCount
    ]);
    const signature = sign("sha256", Buffer.concat([authenticatorData, request.clientDataHash]), this.key);
    return { authenticatorData: new Uint8Array(authenticatorData), signature: new Uint8Array(signature) };
  }
}
