/**
 * One prefix for a contract's custom error no table names: `contract.<ErrorName>`, whether an
 * operator's relayed step or the submitter's refund or redemption met it.
 */
import { expect } from "chai";
import { ContractRefusal } from "../../src/chain/contract-errors";
import { stepProblem } from "../../src/api/step-problems";
import { revertCode } from "../../src/worker/calls";
import { DomainError } from "../../src/domain/domain-error";
import { PointsLedger__factory, type PointsLedger } from "../../typechain-types";

describe("codes of contract refusals", () => {
  const iface = PointsLedger__factory.createInterface();
  const ledger = { interface: iface } as unknown as PointsLedger;

  it("names a ledger error no table lists contract.<ErrorName> for a refund or redemption", () => {
    const data = iface.encodeErrorResult("LedgerBatchSize", [0n, 64n]);
    expect(revertCode(ledger, { data })).to.equal("contract.LedgerBatchSize");
  });

  it("keeps the named codes of the errors the table lists", () => {
    const data = iface.encodeErrorResult("LedgerInsufficientPoints", ["0x" + "ab".repeat(32), -1n, 5n]);
    expect(revertCode(ledger, { data })).to.equal("points.insufficient");
  });

  it("names the same error contract.<ErrorName> for a relayed operator step", () => {
    const problem = stepProblem(new ContractRefusal({ name: "LedgerBatchSize", args: [0n, 64n] }));
    expect(problem).to.be.instanceOf(DomainError);
    expect((problem as DomainError).code).to.equal("contract.LedgerBatchSize");
  });
});
