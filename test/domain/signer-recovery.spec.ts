import { expect } from "chai";
import fc from "fast-check";
import { Wallet, id, getBytes, Signature } from "ethers";
import { recoverCompact, signCompact } from "../../src/domain/signer-recovery";
import { SettlementHasher } from "../../src/domain/settlement-hasher";
import { domainSeparator, ledgerDomain, settlementDigest, signDigest, type SettlementMessage } from "../../src/domain/typed-data";
import { currencyCode } from "../../src/domain/points";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const domain = ledgerDomain(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const wallet = new Wallet(id("signer-recovery-test"));

const messageArb = fc.record({
  cardId: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => "0x" + Buffer.from(b).toString("hex")),
  terminal: fc.constant(wallet.address),
  nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  orderId: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => "0x" + Buffer.from(b).toString("hex")),
  slipHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => "0x" + Buffer.from(b).toString("hex")),
  amount: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  currency: fc.constantFrom(currencyCode("CNY"), currencyCode("USD")),
  category: fc.integer({ min: 0, max: 255 }),
  time: fc.bigInt({ min: 0n, max: 2n ** 40n - 1n }),
});

describe("signer recovery (fast path)", function () {
  it("hashes settlements exactly like ethers' EIP-712 encoder", function () {
    const hasher = new SettlementHasher(domainSeparator(domain));
    fc.assert(
      fc.property(messageArb, (m: SettlementMessage) => {
        expect("0x" + Buffer.from(hasher.digest(m)).toString("hex")).to.equal(settlementDigest(domain, m));
      }),
      { numRuns: 200 },
    );
  });

  it("recovers the signer of a compact signature", function () {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (digest) => {
        const sig = signDigest(wallet.signingKey, "0x" + Buffer.from(digest).toString("hex"));
        expect(recoverCompact(digest, sig)).to.equal(wallet.address);
      }),
      { numRuns: 100 },
    );
  });

  it("signs exactly like ethers' SigningKey (deterministic nonce, low s, parity in vs)", function () {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (digest, seed) => {
        const key = new Wallet(id(Buffer.from(seed).toString("hex")));
        const hex = "0x" + Buffer.from(digest).toString("hex");
        expect(signCompact(digest, getBytes(key.privateKey))).to.deep.equal(signDigest(key.signingKey, hex));
      }),
      { numRuns: 100 },
    );
  });

  it("rejects an s in the upper half of the curve order", function () {
    const digest = getBytes(id("a digest"));
    const sig = signDigest(wallet.signingKey, id("a digest"));
    const vs = "0x" + (N / 2n + 1n).toString(16).padStart(64, "0");
    expect(recoverCompact(digest, { r: sig.r, vs })).to.equal(null);
  });

  it("never recovers the signer from the malleable twin (n - s) of a valid signature", function () {
    const digest = getBytes(id("a digest"));
    const sig = Signature.from(wallet.signingKey.sign(digest));
    const flippedParity = sig.yParity === 0 ? 1n : 0n;
    const twin = (flippedParity << 255n) | ((N - BigInt(sig.s)) & ((1n << 255n) - 1n));
    const vs = "0x" + twin.toString(16).padStart(64, "0");
    expect(recoverCompact(digest, { r: sig.r, vs })).to.not.equal(wallet.address);
  });

  it("returns null for a zero r", function () {
    const digest = getBytes(id("a digest"));
    const sig = signDigest(wallet.signingKey, id("a digest"));
    expect(recoverCompact(digest, { r: "0x" + "00".repeat(32), vs: sig.vs })).to.equal(null);
  });
});
