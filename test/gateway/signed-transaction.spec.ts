import { expect } from "chai";
import fc from "fast-check";
import { Transaction, Wallet, id } from "ethers";
import { signTransaction, type FeeFields } from "../../src/chain/signed-transaction";

const wallet = new Wallet(id("signed-transaction-test"));
const key = Buffer.from(wallet.privateKey.slice(2), "hex");

const hexBytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => "0x" + Buffer.from(b).toString("hex"));
const feesArb: fc.Arbitrary<FeeFields> = fc.oneof(
  fc
    .tuple(fc.bigInt({ min: 0n, max: 2n ** 80n }), fc.bigInt({ min: 0n, max: 2n ** 80n }))
    .map(([a, b]) => ({ maxFeePerGas: a > b ? a : b, maxPriorityFeePerGas: a > b ? b : a })),
  fc.record({ gasPrice: fc.bigInt({ min: 0n, max: 2n ** 80n }) }),
);
const txArb = fc.record({
  chainId: fc.bigInt({ min: 1n, max: 2n ** 40n }),
  nonce: fc.integer({ min: 0, max: 2 ** 32 }),
  gasLimit: fc.bigInt({ min: 21_000n, max: 30_000_000n }),
  to: hexBytes(20, 20),
  // Around RLP's length-prefix boundaries (55/56 bytes, 1 and 2 length bytes) and a batch's size.
  data: fc.oneof(hexBytes(0, 60), hexBytes(250, 260), hexBytes(42_000, 42_100)),
  fees: feesArb,
});

describe("submitter transaction signing", function () {
  it("writes the bytes and hash ethers' Transaction signs, EIP-1559 and, with a gas price, EIP-2930", function () {
    fc.assert(
      fc.property(txArb, (tx) => {
        const ours = signTransaction(tx, key);
        const theirs = Transaction.from({ to: tx.to, data: tx.data, nonce: tx.nonce, gasLimit: tx.gasLimit, chainId: tx.chainId, ...tx.fees });
        theirs.signature = wallet.signingKey.sign(theirs.unsignedHash);
        expect(ours.raw).to.equal(theirs.serialized);
        expect(ours.hash).to.equal(theirs.hash);
        expect(Transaction.from(ours.raw).from).to.equal(wallet.address);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses a priority fee above the maximum fee, as the network would", function () {
    const fees = { maxFeePerGas: 1n, maxPriorityFeePerGas: 2n };
    expect(() => signTransaction({ chainId: 1n, nonce: 0, gasLimit: 21_000n, to: wallet.address, data: "0x", fees }, key)).to.throw(/priority fee/);
  });

  it("refuses a destination that is not 20 bytes", function () {
    expect(() => signTransaction({ chainId: 1n, nonce: 0, gasLimit: 21_000n, to: "0x1234", data: "0x", fees: { gasPrice: 0n } }, key)).to.throw(/not an address/);
  });
});
