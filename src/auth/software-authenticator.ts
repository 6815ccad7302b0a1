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
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";
import { base64url, AuthenticatorFlags, type WebAuthnAssertion } from "../domain/webauthn";
import { coseKeyOf } from "./passkeys";

/** Attested credential data included (WebAuthn §6.1): set in a registration's authenticator data. */
const FLAG_ATTESTED = 0x40;

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

  /** This key's WebAuthn credential ID: SHA-256 of its public key, base64url (the same on every load). */
  get credentialId(): string {
    return createHash("sha256").update(Buffer.from(this.publicKey.qx.slice(2) + this.publicKey.qy.slice(2), "hex")).digest("base64url");
  }

  /**
   * What @simplewebauthn/browser's startAuthentication returns (AuthenticationResponseJSON) for
   * this credential: an assertion over `challenge`, with `userHandle` (the operator ID the
   * passkey was created with) as a discoverable credential reports it.
   */
  authenticationResponse(request: AssertionRequest & { userHandle?: Uint8Array }): AuthenticationResponseJSON {
    const a = this.assert(request);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: "public-key",
      response: {
        clientDataJSON: isoBase64URL.fromUTF8String(a.clientDataJSON),
        authenticatorData: isoBase64URL.fromBuffer(new Uint8Array(a.authenticatorData)),
        signature: isoBase64URL.fromBuffer(new Uint8Array(a.signature)),
        ...(request.userHandle ? { userHandle: isoBase64URL.fromBuffer(new Uint8Array(request.userHandle)) } : {}),
      },
      clientExtensionResults: {},
    };
  }

  /**
   * What @simplewebauthn/browser's startRegistration returns (RegistrationResponseJSON) when this
   * key is created as a passkey for `rpId` with the server's `challenge` (base64url): "none"
   * attestation, authenticator data carrying the credential ID and the COSE public key.
   */
  registrationResponse(request: { challenge: string; origin: string; rpId?: string; userVerified?: boolean }): RegistrationResponseJSON {
    const rpId = request.rpId ?? new URL(request.origin).hostname;
    const clientDataJSON = JSON.stringify({ type: "webauthn.create", challenge: request.challenge, origin: request.origin, crossOrigin: false });
    const credentialId = Buffer.from(this.credentialId, "base64url");
    const length = Buffer.alloc(2);
    length.writeUInt16BE(credentialId.length);
    const flags = AuthenticatorFlags.UP | FLAG_ATTESTED | (request.userVerified === false ? 0 : AuthenticatorFlags.UV);
    const authData = Buffer.concat([
      createHash("sha256").update(rpId, "utf8").digest(),
      Buffer.from([flags]),
      Buffer.alloc(4), // signCount
      Buffer.alloc(16), // AAGUID: none
      length,
      credentialId,
      Buffer.from(coseKeyOf(this.publicKey.qx, this.publicKey.qy)),
    ]);
    const attestation = new Map<string, Parameters<typeof isoCBOR.encode>[0]>();
    attestation.set("fmt", "none");
    attestation.set("attStmt", new Map());
    attestation.set("authData", new Uint8Array(authData));
    const attestationObject = isoCBOR.encode(attestation);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: "public-key",
      response: { clientDataJSON: isoBase64URL.fromUTF8String(clientDataJSON), attestationObject: isoBase64URL.fromBuffer(attestationObject), transports: ["internal"] },
      clientExtensionResults: {},
    };
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
