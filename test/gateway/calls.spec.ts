import { expect } from "chai";
import fc from "fast-check";
import { Wallet } from "ethers";
import { PointsLedger__factory } from "../../typechain-types";
import { encodeSettleBatch, settlementCall } from "../../src/worker/calls";
import type { SettlementPayload } from "../../src/store/outbox";

const ledger = PointsLedger__factory.connect(Wallet.createRandom().address);
const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => "0x" + Buffer.from(b).toString("hex"));

const payloadArb: fc.Arbitrary<SettlementPayload> = fc.record({
  settlement: fc.record({
    cardId: hex(32),
    terminal: hex(20),
    nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
    orderId: hex(32),
    slipHash: hex(32),
    amount: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
    currency: hex(3),
    category: fc.integer({ min: 0, max: 255 }),
    time: fc.bigInt({ min: 0n, max: 2n ** 40n - 1n }).map(String),
  }),
  signatures: fc.record({ terminal: fc.record({ r: hex(32), vs: hex(32) }), card: fc.record({ r: hex(32), vs: hex(32) }) }),
});

describe("settleBatch calldata", () => {
  it("is exactly what ethers' ABI encoder writes, for batches of 0 to 20 items", () => {
    fc.assert(
      fc.property(fc.array(payloadArb, { maxLength: 20 }), (payloads) => {
        const expected = ledger.interface.encodeFunctionData("settleBatch", [payloads.map(settlementCall)]);
        expect(encodeSettleBatch(ledger, payloads)).to.equal(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses values that do not fit their fields instead of truncating them", () => {
    const [sample] = fc.sample(payloadArb, { numRuns: 1, seed: 7 });
    const withSettlement = (change: Record<string, string | number>) => ({ ...sample, settlement: { ...sample.settlement, ...change } });
    expect(() => encodeSettleBatch(ledger, [withSettlement({ nonce: (2n ** 64n).toString() })])).to.throw(RangeError, "uint64");
    expect(() => encodeSettleBatch(ledger, [withSettlement({ time: (2n ** 40n).toString() })])).to.throw(RangeError, "uint40");
    expect(() => encodeSettleBatch(ledger, [withSettlement({ currency: "0x12345678" })])).to.throw(RangeError, "bytes3");
    expect(() => encodeSettleBatch(ledger, [withSettlement({ cardId: "0x" + "zz".repeat(32) })])).to.throw(RangeError, "bytes32");
  });
});
