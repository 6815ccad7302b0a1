import { expect } from "chai";
import fc from "fast-check";
import { Wallet, id } from "ethers";
import { recoverCompact, signCompact } from "../../src/domain/signer-recovery";
import { SignerPool } from "../../src/domain/signer-pool";
import type { CompactSignature } from "../../src/domain/typed-data";

const keys = [0, 1, 2].map((i) => new Wallet(id(`signer-pool-test:${i}`)));
const secret = (w: Wallet) => Buffer.from(w.privateKey.slice(2), "hex");
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const word = (n: bigint) => "0x" + n.toString(16).padStart(64, "0");

describe("signer pool (intake's signature recovery on a worker thread)", function () {
  this.timeout(30_000);
  let pool: SignerPool;

  before(() => {
    pool = new SignerPool(1);
  });

  after(async () => {
    await pool.close();
  });

  it("recovers each signer of many concurrent calls, as recoverCompact does", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 60 }), async (items) => {
        const sigs = items.map(([digest, k]) => signCompact(digest, secret(keys[k])));
        const signers = await Promise.all(items.map(([digest], i) => pool.signer(digest, sigs[i])));
        expect(signers).to.deep.equal(items.map(([, k]) => keys[k].address));
      }),
      { numRuns: 30 },
    );
  });

  it("answers null where recoverCompact does: high s, zero r, malformed words, a tampered digest's other signer", async function () {
    const digest = Buffer.from(id("a settlement").slice(2), "hex");
    const good = signCompact(digest, secret(keys[0]));
    // The lowest s in the upper half of the curve order: malleable, refused (no parity bit set).
    const highS: CompactSignature = { r: good.r, vs: word(N / 2n + 1n) };
    const cases: CompactSignature[] = [
      highS,
      { r: word(0n), vs: good.vs },
      { r: good.r.slice(0, 64), vs: good.vs },
      { r: good.r, vs: good.vs.replace(/.$/, "z") },
    ];
    for (const sig of cases) {
      expect(await pool.signer(digest, sig), JSON.stringify(sig)).to.equal(null);
      if (sig.r.length === 66 && /^0x[0-9a-f]+$/.test(sig.vs)) expect(recoverCompact(digest, sig)).to.equal(null);
    }
    const tampered = Buffer.from(digest);
    tampered[0] ^= 1;
    const other = await pool.signer(tampered, good);
    expect(other).to.not.equal(keys[0].address);
    expect(other).to.equal(recoverCompact(tampered, good));
  });

  it("recovers inline once its thread is gone, the calls it held included", async function () {
    const closing = new SignerPool(1);
    const digest = Buffer.from(id("closing").slice(2), "hex");
    const sig = signCompact(digest, secret(keys[1]));
    expect(await closing.signer(digest, sig)).to.equal(keys[1].address);
    const held = closing.signer(digest, sig);
    await closing.close();
    expect(await held).to.equal(keys[1].address);
    expect(await closing.signer(digest, sig)).to.equal(keys[1].address);
  });

  it("recovers inline with no worker, with the same answers", async function () {
    const inline = new SignerPool(0);
    const digest = Buffer.from(id("inline").slice(2), "hex");
    const sig = signCompact(digest, secret(keys[2]));
    expect(await inline.signer(digest, sig)).to.equal(keys[2].address);
    expect(await pool.signer(digest, sig)).to.equal(keys[2].address);
    await inline.close();
  });
});
