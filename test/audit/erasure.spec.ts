/**
 * The auditor holds identity erasures (IdentityErasureApproved) to dual control like card
 * issuance: an erasure both institutions approved is counted and raises nothing.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { proposeAndGetId } from "../helpers/suite";
import { actionOf, dual } from "../helpers/dual-control";
import { audit, deployAuditedLedger } from "./helpers/audit-fixture";

describe("auditor: identity erasure", function () {
  it("counts an erasure approved by the other institution as a dual-control action, with no discrepancy", async function () {
    const f = await loadFixture(deployAuditedLedger);
    const before = await audit(f.deployment);
    const erase = actionOf(f.registry, "recordIdentityErasure", [f.consumers[0].cardId]);
    const proposalId = await proposeAndGetId(f.registry, f.accounts.creditCenter, erase);
    await (await dual(f.registry, f.accounts.bank).approve(proposalId, erase)).wait();
    const report = await audit(f.deployment);
    expect(report.discrepancies).to.deep.equal([]);
    expect(report.counts.dualControlActions).to.equal(before.counts.dualControlActions + 1);
  });
});
