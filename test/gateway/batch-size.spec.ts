import { expect } from "chai";
import { fittingBatchMax } from "../../src/worker/submitter";

describe("submitter: batch size against the chain's block gas limit", function () {
  it("keeps BATCH_MAX when a full batch fits in a block (256 in 30M gas)", function () {
    expect(fittingBatchMax(256, 30_000_000n)).to.equal(256);
  });

  it("caps batches to what one block holds (98 settlements in 10M gas), so no batch is too large ever to be mined", function () {
    expect(fittingBatchMax(100, 10_000_000n)).to.equal(98);
  });

  it("still sends one settlement at a time where a block holds less than a batch's base gas", function () {
    expect(fittingBatchMax(100, 250_000n)).to.equal(1);
  });
});
