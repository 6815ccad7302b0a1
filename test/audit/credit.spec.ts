import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { grantedFixture } from "../helpers/credit";
import { acting, dual } from "../helpers/dual-control";
import { deployLedgerFixture } from "../helpers/ledger-ops";
import { audit, deploymentOf } from "./helpers/audit-fixture";

describe("auditor: the credit center", function () {
  it("checks the dual control of every credit step when CreditGrants is deployed, and finds a clean ledger clean", async function () {
    const f = await loadFixture(grantedFixture);
    const ledgerOnly = await deploymentOf(f.registry, f.ledger);
    const withCredit = { ...ledgerOnly, creditGrants: await f.creditGrants.getAddress(), creditScores: await f.creditScores.getAddress() };

    const report = await audit(withCredit);
    expect(report.discrepancies).to.deep.equal([]);
    // Two policies (consumer, merchant) and one grant, each proposed by one role and approved by the other.
    const baseline = await audit(ledgerOnly);
    expect(report.counts.dualControlActions - baseline.counts.dualControlActions).to.equal(3);
    // Every card's score recomputed from the replayed statistics and compared with CreditScores.
    expect(report.counts.stateValuesCompared - baseline.counts.stateValuesCompared).to.equal(report.counts.cards);
  });

  it("re-verifies an emergency freeze by one institution and its confirmation by the other", async function () {
    const f = await loadFixture(grantedFixture);
    const deployment = { ...(await deploymentOf(f.registry, f.ledger)), creditGrants: await f.creditGrants.getAddress() };
    const before = await audit(deployment);
    await (await acting(f.creditGrants, f.accounts.creditCenter).freezeCredit(f.rich.cardId)).wait();
    await (await dual(f.creditGrants, f.accounts.bank).confirm(f.rich.cardId)).wait();
    const report = await audit(deployment);
    expect(report.discrepancies).to.deep.equal([]);
    expect(report.counts.operatorSteps - before.counts.operatorSteps).to.equal(2);
  });

  it("names a score the deployed CreditScores reports differently from the formulas", async function () {
    const f = await loadFixture(grantedFixture);
    // A scores contract reading another (empty) ledger: the rich consumer's score there is 0.
    const other = await deployLedgerFixture(); // fresh contracts on top (not a fixture snapshot: that would revert f)
    const misread = await (await ethers.getContractFactory("CreditScores")).deploy(await f.registry.getAddress(), await other.ledger.getAddress());
    const deployment = { ...(await deploymentOf(f.registry, f.ledger)), creditScores: await misread.getAddress() };
    const report = await audit(deployment);
    const finding = report.discrepancies.find((d) => d.code === "state.score" && d.card === f.rich.cardId);
    expect(finding, JSON.stringify(report.discrepancies)).to.not.equal(undefined);
    expect(finding).to.deep.include({ actual: "0" });
    expect(BigInt(finding!.expected!) > 0n).to.equal(true);
  });
});
