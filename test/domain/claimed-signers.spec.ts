import { expect } from "chai";
import fc from "fast-check";
import { Wallet, getBytes, id } from "ethers";
import { ClaimedSigners, SignerAddresses, signerAt } from "../../src/domain/ecdsa";
import { signCompact } from "../../src/domain/signer-recovery";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const keys = ["terminal-a", "terminal-b", "card-c"].map((k) => new Wallet(id(k)));
const claimants = ["0xaa", "0xbb"].map((c) => getBytes(c.padEnd(66, "0")));

function signed(key: Wallet, digest: Uint8Array): { r: Uint8Array; vs: Uint8Array } {
  const sig = signCompact(digest, getBytes(key.privateKey));
  return { r: getBytes(sig.r), vs: getBytes(sig.vs) };
}

function signerOf(signers: ClaimedSigners, claimant: Uint8Array, digest: Uint8Array, sig: { r: Uint8Array; vs: Uint8Array }): string | null {
  const out = new Uint8Array(20);
  signers.signerInto(claimant, digest, sig.r, sig.vs, out, 0);
  return signerAt(out, 0);
}

describe("ClaimedSigners (who signed, for a known claimant)", function () {
  it("finds the same signer as recovery, whichever key signs for whichever claimant, in any order", function () {
    const step = fc.record({ claimant: fc.nat(claimants.length - 1), key: fc.nat(keys.length - 1), digest: fc.uint8Array({ minLength: 32, maxLength: 32 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const claimed = new ClaimedSigners();
        const recovered = new SignerAddresses();
        for (const s of steps) {
          const sig = signed(keys[s.key], s.digest);
          const expected = new Uint8Array(20);
          recovered.recoverInto(s.digest, sig.r, sig.vs, expected, 0);
          expect(signerOf(claimed, claimants[s.claimant], s.digest, sig)).to.equal(signerAt(expected, 0));
          expect(signerOf(claimed, claimants[s.claimant], s.digest, sig)).to.equal(keys[s.key].address.toLowerCase());
        }
      }),
      { numRuns: 60 },
    );
  });

  it("refuses an upper-half s and a zero r, and never names the key for its malleable twin, even under the key kept for the claimant", function () {
    const signers = new ClaimedSigners();
    const digest = getBytes(id("a digest"));
    const sig = signed(keys[0], digest);
    expect(signerOf(signers, claimants[0], digest, sig)).to.equal(keys[0].address.toLowerCase());

    const word = (x: bigint) => getBytes("0x" + x.toString(16).padStart(64, "0"));
    expect(signerOf(signers, claimants[0], digest, { r: sig.r, vs: word(N / 2n + 1n) })).to.equal(null);
    expect(signerOf(signers, claimants[0], digest, { r: new Uint8Array(32), vs: sig.vs })).to.equal(null);
    const vs = BigInt("0x" + Buffer.from(sig.vs).toString("hex"));
    const twin = (((vs >> 255n) ^ 1n) << 255n) | ((N - (vs & ((1n << 255n) - 1n))) & ((1n << 255n) - 1n));
    expect(signerOf(signers, claimants[0], digest, { r: sig.r, vs: word(twin) })).to.not.equal(keys[0].address.toLowerCase());
  });

  it("names another signer when a different key signs for the claimant, and the kept key again after", function () {
    const signers = new ClaimedSigners();
    const [first, second, third] = [id("one"), id("two"), id("three")].map((x) => getBytes(x));
    expect(signerOf(signers, claimants[0], first, signed(keys[0], first))).to.equal(keys[0].address.toLowerCase());
    expect(signerOf(signers, claimants[0], second, signed(keys[1], second))).to.equal(keys[1].address.toLowerCase());
    expect(signerOf(signers, claimants[0], third, signed(keys[0], third))).to.equal(keys[0].address.toLowerCase());
  });

  it("counts a kept key's signature with its parity bit flipped as that key's (the documented exception)", function () {
    const signers = new ClaimedSigners();
    const digest = getBytes(id("a digest"));
    const sig = signed(keys[0], digest);
    signerOf(signers, claimants[0], digest, sig);
    const flipped = Uint8Array.from(sig.vs);
    flipped[0] ^= 0x80;
    const byRecovery = new Uint8Array(20);
    new SignerAddresses().recoverInto(digest, sig.r, flipped, byRecovery, 0);
    expect(signerAt(byRecovery, 0)).to.not.equal(keys[0].address.toLowerCase());
    expect(signerOf(signers, claimants[0], digest, { r: sig.r, vs: flipped })).to.equal(keys[0].address.toLowerCase());
    expect(signerOf(new ClaimedSigners(), claimants[0], digest, { r: sig.r, vs: flipped })).to.equal(signerAt(byRecovery, 0));
  });
});
