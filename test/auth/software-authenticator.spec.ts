/**
 * The software authenticator (src/auth/software-authenticator.ts) and the conversion of its
 * assertions into the contract's form (src/domain/webauthn.ts): what a browser and an
 * authenticator would produce, checked with node:crypto alone, and the key file's custody.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { getBytes } from "ethers";
import { SoftwareAuthenticator } from "../../src/auth/software-authenticator";
import { P256_N, base64url, derToRS, toWebAuthnAuth } from "../../src/domain/webauthn";

const ORIGIN = "https://operators.credence.test";
const CHALLENGE = new Uint8Array(32).fill(7);

function publicKeyOf(authenticator: SoftwareAuthenticator) {
  const { qx, qy } = authenticator.publicKey;
  const b64 = (hex: string) => Buffer.from(getBytes(hex)).toString("base64url");
  return createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64(qx), y: b64(qy) }, format: "jwk" });
}

function signedData(authenticatorData: Uint8Array, clientDataJSON: string): Buffer {
  return Buffer.concat([authenticatorData, createHash("sha256").update(clientDataJSON).digest()]);
}

describe("SoftwareAuthenticator", function () {
  describe("assert", function () {
    it("writes the client data a browser writes for navigator.credentials.get", function () {
      const { clientDataJSON } = SoftwareAuthenticator.generate().assert({ challenge: CHALLENGE, origin: ORIGIN });
      expect(JSON.parse(clientDataJSON)).to.deep.equal({
        type: "webauthn.get",
        challenge: base64url(CHALLENGE),
        origin: ORIGIN,
        crossOrigin: false,
      });
      expect(base64url(CHALLENGE)).to.not.match(/[=+/]/);
    });

    it("writes authenticator data of the RP ID's hash, the UP and UV flags and a zero counter", function () {
      const authenticator = SoftwareAuthenticator.generate();
      const verified = authenticator.assert({ challenge: CHALLENGE, origin: ORIGIN }).authenticatorData;
      const unverified = authenticator.assert({ challenge: CHALLENGE, origin: ORIGIN, userVerified: false }).authenticatorData;
      expect(verified).to.have.length(37);
      expect(Buffer.from(verified.subarray(0, 32))).to.deep.equal(createHash("sha256").update("operators.credence.test").digest());
      expect(verified[32]).to.equal(0x05);
      expect(unverified[32]).to.equal(0x01);
      expect(Buffer.from(verified.subarray(33))).to.deep.equal(Buffer.alloc(4));
    });

    it("signs authenticatorData ‖ SHA-256(clientDataJSON) in DER with its public key", function () {
      const authenticator = SoftwareAuthenticator.generate();
      const { authenticatorData, clientDataJSON, signature } = authenticator.assert({ challenge: CHALLENGE, origin: ORIGIN });
      expect(signature[0]).to.equal(0x30);
      expect(verify("sha256", signedData(authenticatorData, clientDataJSON), publicKeyOf(authenticator), signature)).to.equal(true);
    });
  });

  describe("key file", function () {
    let dir: string;
    beforeEach(function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-authenticator-"));
    });
    afterEach(function () {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("is written with mode 0600 and loads back as the same key", function () {
      const file = path.join(dir, "ana.key.json");
      const authenticator = SoftwareAuthenticator.generate();
      authenticator.save(file);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(SoftwareAuthenticator.load(file).publicKey).to.deep.equal(authenticator.publicKey);
    });

    it("is never overwritten", function () {
      const file = path.join(dir, "ana.key.json");
      SoftwareAuthenticator.generate().save(file);
      expect(() => SoftwareAuthenticator.generate().save(file)).to.throw(/EEXIST/);
    });

    it("is refused when its group or others may read it", function () {
      const file = path.join(dir, "ana.key.json");
      SoftwareAuthenticator.generate().save(file);
      fs.chmodSync(file, 0o644);
      expect(() => SoftwareAuthenticator.load(file)).to.throw(/accessible to others \(mode 644\)/);
    });
  });
});

describe("toWebAuthnAuth", function () {
  it("splits the DER signature into r and a low s that still verify", function () {
    const authenticator = SoftwareAuthenticator.generate();
    // Sign until one signature has a high s, so the normalisation is exercised, not assumed.
    for (let i = 0; i < 64; i++) {
      const assertion = authenticator.assert({ challenge: CHALLENGE, origin: ORIGIN });
      if (derToRS(assertion.signature).s <= P256_N / 2n) continue;
      const auth = toWebAuthnAuth(assertion);
      expect(BigInt(auth.s) <= P256_N / 2n).to.equal(true);
      const p1363 = Buffer.concat([getBytes(auth.r), getBytes(auth.s)]);
      const data = signedData(assertion.authenticatorData, assertion.clientDataJSON);
      expect(verify("sha256", data, { key: publicKeyOf(authenticator), dsaEncoding: "ieee-p1363" }, p1363)).to.equal(true);
      return;
    }
    expect.fail("no high-s signature in 64 tries");
  });

  it("gives the byte offsets of the type and the challenge in the client data", function () {
    const assertion = SoftwareAuthenticator.generate().assert({ challenge: CHALLENGE, origin: ORIGIN });
    const auth = toWebAuthnAuth(assertion);
    expect(assertion.clientDataJSON.slice(Number(auth.typeIndex))).to.match(/^"type":"webauthn\.get"/);
    expect(assertion.clientDataJSON.slice(Number(auth.challengeIndex))).to.match(new RegExp(`^"challenge":"${base64url(CHALLENGE)}"`));
  });

  it("refuses a DER signature with trailing bytes", function () {
    const { signature } = SoftwareAuthenticator.generate().assert({ challenge: CHALLENGE, origin: ORIGIN });
    const padded = new Uint8Array([...signature, 0]);
    expect(() => derToRS(padded)).to.throw(/DER signature/);
  });
});
