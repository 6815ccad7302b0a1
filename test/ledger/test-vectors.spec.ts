/**
 * The terminal test vectors (test-vectors/*.json) against the contracts: the ledger's own hashing
 * gives every vector's digest, and it records the vectors' signed settlement, refund and
 * redemption as they are, signatures included. The vectors' domain is the ledger a fresh
 * deployment by the vector deployer key gets, which is what this fixture deploys.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { acting } from "../helpers/dual-control";
import { CardKind, DEFAULT_AGREEMENT, DEFAULT_CREDIT_RATE_BPS, deployMerchantSuite, issueCard } from "../helpers/suite";
import { locate, recordedBatch } from "../helpers/ledger-ops";
import { creditPoints, reversedShare, settlementPoints } from "../../src/domain/points";
import domain from "../../test-vectors/domain.json";
import settlements from "../../test-vectors/settlements.json";
import refunds from "../../test-vectors/refunds.json";
import redemptions from "../../test-vectors/redemptions.json";

const vector = <T extends { name: string }>(list: T[], name: string): T => list.find((v) => v.name === name)!;
const pair = (s: { terminal: { r: string; vs: string }; card: { r: string; vs: string } }) => ({
  terminalR: s.terminal.r,
  terminalVS: s.terminal.vs,
  cardR: s.card.r,
  cardVS: s.card.vs,
});

/** The merchant suite deployed by the vector deployer, with the vectors' terminals and card at merchant 1. */
async function vectorLedgerFixture() {
  const deployer = new Wallet(domain.keys.deployer.privateKey, ethers.provider);
  await setBalance(deployer.address, 10n ** 21n);
  const suite = await deployMerchantSuite(deployer);
  const { registry, accounts } = suite;
  const bank = acting(registry, accounts.bank);
  await (await bank.registerTerminal(domain.keys.terminal.address, suite.merchant.id)).wait();
  await (await bank.registerTerminal(domain.keys.otherTerminal.address, suite.merchant.id)).wait();
  await issueCard(registry, accounts.bank, accounts.creditCenter, domain.cardId, CardKind.Consumer, domain.keys.card.address);
  return { ...suite, gateway: suite.ledger.connect(accounts.gateway) };
}

describe("Test vectors on the ledger", function () {
  describe("domain", function () {
    it("is the domain of the ledger the vector deployer deploys", async function () {
      const { ledger } = await loadFixture(vectorLedgerFixture);
      const [, name, version, chainId, verifyingContract] = await ledger.eip712Domain();
      expect({ name, version, chainId: chainId.toString(), verifyingContract }).to.deep.equal(domain.domain);
    });
  });

  describe("digests", function () {
    it("gives every settlement vector's digest", async function () {
      const { ledger } = await loadFixture(vectorLedgerFixture);
      for (const v of settlements) expect(await ledger.settlementDigest(v.message), v.name).to.equal(v.digest);
    });

    it("gives every refund vector's digest", async function () {
      const { ledger } = await loadFixture(vectorLedgerFixture);
      for (const v of refunds.refunds) expect(await ledger.refundDigest(v.message), v.name).to.equal(v.digest);
    });

    it("gives every redemption vector's digest", async function () {
      const { ledger } = await loadFixture(vectorLedgerFixture);
      for (const v of redemptions) expect(await ledger.redemptionDigest(v.message), v.name).to.equal(v.digest);
    });
  });

  describe("signed vectors", function () {
    it("records the groceries settlement, its partial refund and the plain redemption as signed", async function () {
      const { ledger, gateway } = await loadFixture(vectorLedgerFixture);
      const settlement = vector(settlements, "groceries");
      const amount = BigInt(settlement.message.amount);
      const points = settlementPoints(amount, DEFAULT_AGREEMENT, settlement.message.category);
      const credit = creditPoints(points, DEFAULT_CREDIT_RATE_BPS);
      await time.increaseTo(Number(settlement.message.time) + 60);
      const batch = await recordedBatch(
        ledger,
        gateway.settle({ settlement: settlement.message, signatures: pair(settlement.request.signatures) }),
      );
      expect(batch.accepted).to.equal(1n);
      expect(await ledger.balanceOf(domain.cardId)).to.equal(points);

      const refund = vector(refunds.refunds, "partial");
      await time.increaseTo(Number(refund.message.time) + 60);
      const { order, proof } = locate(batch, settlement.message.orderId);
      const reversed = reversedShare(points, amount, 0n, BigInt(refund.message.amount));
      await expect(gateway.refund(refund.message, refund.request.signature.r, refund.request.signature.vs, order, proof))
        .to.emit(ledger, "PointsReversed")
        .withArgs(domain.cardId, 1n, refund.message.orderId, refund.message.terminal, BigInt(refund.message.nonce), 0, 0, reversed, reversedShare(credit, amount, 0n, BigInt(refund.message.amount)), BigInt(refund.message.amount));

      const redemption = vector(redemptions, "plain");
      await time.increaseTo(Number(redemption.message.time) + 60);
      await (await gateway.redeem(redemption.message, pair(redemption.request.signatures))).wait();
      expect(await ledger.balanceOf(domain.cardId)).to.equal(points - reversed - BigInt(redemption.message.points));
    });
  });
});
