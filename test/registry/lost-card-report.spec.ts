/**
 * A holder's "report my card lost" (CredenceRegistry.reportCardLost, ADR 0010): the CARD_FREEZER
 * key can move an active consumer card to frozen and do nothing else, and nobody else can use it.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { id, type BaseContract, type Interface, type ParamType, type Signer } from "ethers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { CardKind, cardIdFor, deployMerchantSuite, issueCard, keyFor, latestTime, settlementMessage, signSettlement } from "../helpers/suite";
import { Rejection } from "../helpers/ledger-ops";
import { acting, dual } from "../helpers/dual-control";
import { expectUnauthorized } from "../helpers/role-behavior";
import { ROLES } from "../../src/chain/roles";
import { ROLE_GRANT_DELAY, deployCredence, secp256k1InitialOperator } from "../../src/chain/deploy";
import { CardStatus } from "../../packages/terminal-sdk/src/constants";

const UNKNOWN_CARD = cardIdFor("nobody");

/**
 * The merchant suite with CARD_FREEZER granted to the gateway's account as operators grant it on
 * a running deployment: governance schedules it, and grants it once the delay has passed.
 */
async function freezerFixture() {
  const suite = await deployMerchantSuite();
  const { registry, accounts } = suite;
  const freezer = accounts.gateway;
  await (await registry.connect(accounts.governance).scheduleRoleGrant(ROLES.CARD_FREEZER, freezer.address)).wait();
  await time.increase(ROLE_GRANT_DELAY);
  await (await registry.connect(accounts.governance).grantRole(ROLES.CARD_FREEZER, freezer.address)).wait();
  const consumer = suite.consumers[0];
  const account = (await registry.card(consumer.cardId)).account;
  return { ...suite, freezer, consumer, account };
}

/** A consumer card the freezer already reported lost. */
async function reportedFixture() {
  const f = await loadFixture(freezerFixture);
  await (await f.registry.connect(f.freezer).reportCardLost(f.consumer.cardId)).wait();
  return f;
}

/** A consumer card the bank closed. */
async function closedFixture() {
  const f = await loadFixture(freezerFixture);
  await (await acting(f.registry, f.accounts.bank).closeCard(f.consumer.cardId)).wait();
  return f;
}

/** A zero value of any ABI type: enough to call every function and see who may. */
function zeroOf(p: ParamType): unknown {
  if (p.baseType === "array") return p.arrayLength && p.arrayLength > 0 ? Array(p.arrayLength).fill(zeroOf(p.arrayChildren!)) : [];
  if (p.baseType === "tuple") return p.components!.map(zeroOf);
  if (p.baseType === "address") return `0x${"00".repeat(20)}`;
  if (p.baseType === "bool") return false;
  if (p.baseType === "string") return "";
  if (p.baseType === "bytes") return "0x";
  if (p.baseType.startsWith("bytes")) return `0x${"00".repeat(Number(p.baseType.slice(5)))}`;
  return 0n;
}

/** Every state-changing function of `iface` but `except`, called by `caller` with zero arguments. */
async function everyOtherFunctionRefuses(contract: BaseContract, caller: Signer, except: readonly string[]): Promise<string[]> {
  const iface = contract.interface as Interface;
  const tried: string[] = [];
  const functions: string[] = [];
  iface.forEachFunction((f) => {
    if (f.stateMutability !== "view" && f.stateMutability !== "pure" && !except.includes(f.name)) functions.push(f.format());
  });
  for (const signature of functions) {
    const f = iface.getFunction(signature)!;
    const data = iface.encodeFunctionData(f, f.inputs.map(zeroOf));
    await expect(caller.sendTransaction({ to: await contract.getAddress(), data }), signature).to.be.reverted;
    tried.push(f.name);
  }
  return tried;
}

describe("reportCardLost", function () {
  describe("when the card is an active consumer card", function () {
    it("freezes it at once and emits CardReportedLost with the account and the reporting key", async function () {
      const { registry, freezer, consumer, account } = await loadFixture(freezerFixture);
      await expect(registry.connect(freezer).reportCardLost(consumer.cardId))
        .to.emit(registry, "CardReportedLost")
        .withArgs(consumer.cardId, account, freezer.address);
      expect((await registry.card(consumer.cardId)).status).to.equal(CardStatus.Frozen);
    });

    it("leaves the bank's operators able to unfreeze it (dual-control unfreeze unchanged)", async function () {
      const { registry, accounts, consumer } = await loadFixture(reportedFixture);
      await expect(acting(registry, accounts.bank).unfreezeCard(consumer.cardId)).to.emit(registry, "CardUnfrozen");
      expect((await registry.card(consumer.cardId)).status).to.equal(CardStatus.Active);
    });

    it("stops settlements on the card: the ledger rejects the next one with CardNotActive", async function () {
      const { ledger, freezer, consumer, terminal } = await loadFixture(reportedFixture);
      const item = await signSettlement(ledger, settlementMessage({ cardId: consumer.cardId, terminal: terminal.address, nonce: 1n, time: await latestTime() }), terminal, consumer.key);
      await expect(ledger.connect(freezer).settleBatch([item])).to.emit(ledger, "SettlementRejected").withArgs(terminal.address, 1n, anyValue, Rejection.CardNotActive);
    });
  });

  describe("when the card cannot be reported lost", function () {
    it("refuses a card already frozen", async function () {
      const { registry, freezer, consumer } = await loadFixture(reportedFixture);
      await expect(registry.connect(freezer).reportCardLost(consumer.cardId))
        .to.be.revertedWithCustomError(registry, "CardStatusForbids")
        .withArgs(consumer.cardId, CardStatus.Frozen);
    });

    it("refuses a closed card", async function () {
      const { registry, freezer, consumer } = await loadFixture(closedFixture);
      await expect(registry.connect(freezer).reportCardLost(consumer.cardId))
        .to.be.revertedWithCustomError(registry, "CardStatusForbids")
        .withArgs(consumer.cardId, CardStatus.Closed);
    });

    it("refuses a merchant card", async function () {
      const { registry, freezer, merchant } = await loadFixture(freezerFixture);
      await expect(registry.connect(freezer).reportCardLost(merchant.cardId))
        .to.be.revertedWithCustomError(registry, "CardLostReportNotConsumer")
        .withArgs(merchant.cardId, CardKind.Merchant);
      expect((await registry.card(merchant.cardId)).status).to.equal(CardStatus.Active);
    });

    it("refuses an unknown card", async function () {
      const { registry, freezer } = await loadFixture(freezerFixture);
      await expect(registry.connect(freezer).reportCardLost(UNKNOWN_CARD))
        .to.be.revertedWithCustomError(registry, "CardUnknown")
        .withArgs(UNKNOWN_CARD);
    });
  });

  describe("who may report", function () {
    for (const name of ["outsider", "bank", "creditCenter", "governance"] as const) {
      it(`refuses ${name === "governance" ? "the default admin" : `the ${name}`}, who does not hold CARD_FREEZER`, async function () {
        const { registry, accounts, consumer } = await loadFixture(freezerFixture);
        await expectUnauthorized(registry.connect(accounts[name]).reportCardLost(consumer.cardId), registry, accounts[name], ROLES.CARD_FREEZER);
      });
    }

    it("refuses the GATEWAY role alone: settling gives no power to freeze", async function () {
      const { registry, accounts, consumer, freezer } = await loadFixture(freezerFixture);
      await (await registry.connect(accounts.governance).revokeRole(ROLES.CARD_FREEZER, freezer.address)).wait();
      expect(await registry.hasRole(ROLES.GATEWAY, freezer.address)).to.equal(true);
      await expectUnauthorized(registry.connect(freezer).reportCardLost(consumer.cardId), registry, freezer, ROLES.CARD_FREEZER);
    });

    it("cannot be reached through an operator's act: it is no institution's function", async function () {
      const { registry, accounts, consumer } = await loadFixture(freezerFixture);
      const action = registry.interface.encodeFunctionData("reportCardLost", [consumer.cardId]);
      await expect(dual(registry, accounts.bank).act(action)).to.be.revertedWithCustomError(registry, "DualControlActionNotActable");
    });
  });

  describe("what the CARD_FREEZER key cannot do", function () {
    it("cannot unfreeze, close, freeze as the bank, replace or issue a card", async function () {
      const { registry, freezer, consumer } = await loadFixture(reportedFixture);
      const asFreezer = registry.connect(freezer);
      for (const call of [
        asFreezer.unfreezeCard(consumer.cardId),
        asFreezer.closeCard(consumer.cardId),
        asFreezer.freezeCard(consumer.cardId),
        asFreezer.replaceCard(consumer.cardId, cardIdFor("thief"), keyFor("thief").address),
        asFreezer.issueCard(cardIdFor("thief"), CardKind.Consumer, keyFor("thief").address, id("thief")),
      ]) {
        await expect(call).to.be.revertedWithCustomError(registry, "DualControlOnlySelf").withArgs(freezer.address);
      }
      expect((await registry.card(consumer.cardId)).status).to.equal(CardStatus.Frozen);
    });

    it("cannot grant roles, not even CARD_FREEZER to another key", async function () {
      const { registry, freezer, accounts } = await loadFixture(freezerFixture);
      await expectUnauthorized(registry.connect(freezer).scheduleRoleGrant(ROLES.CARD_FREEZER, accounts.outsider.address), registry, freezer, `0x${"00".repeat(32)}`);
      await expectUnauthorized(registry.connect(freezer).grantRole(ROLES.CARD_FREEZER, accounts.outsider.address), registry, freezer, `0x${"00".repeat(32)}`);
    });

    it("is refused by every other state-changing function of the registry and the ledger", async function () {
      const { registry, ledger, operators, creditGrants, freezer } = await loadFixture(freezerFixture);
      // renounceRole only takes the key's own rights away; with a zero confirmation it reverts too.
      const registryTried = await everyOtherFunctionRefuses(registry, freezer, ["reportCardLost"]);
      expect(registryTried).to.include.members(["unfreezeCard", "act", "propose", "approveProposal", "grantRole", "setAgreement"]);
      const ledgerTried = await everyOtherFunctionRefuses(ledger, freezer, []);
      expect(ledgerTried.length).to.be.greaterThan(5);
      await everyOtherFunctionRefuses(creditGrants, freezer, []);
      await everyOtherFunctionRefuses(operators, freezer, []);
    });
  });
});

describe("deployCredence with CARD_FREEZER holders", function () {
  it("grants CARD_FREEZER at construction to the keys named, and nothing else to them", async function () {
    const [governance, bank, creditCenter, gateway, reporter] = await ethers.getSigners();
    const { registry } = await deployCredence(
      governance,
      { gateway: [gateway.address], cardFreezers: [reporter.address] },
      { bank: secp256k1InitialOperator(id("bank"), bank.address), creditCenter: secp256k1InitialOperator(id("cc"), creditCenter.address) },
    );
    expect(await registry.hasRole(ROLES.CARD_FREEZER, reporter.address)).to.equal(true);
    expect(await registry.hasRole(ROLES.GATEWAY, reporter.address)).to.equal(false);
    expect(await registry.hasRole(ROLES.CARD_FREEZER, gateway.address)).to.equal(false);
    await issueCard(registry, bank, creditCenter, cardIdFor("lost"), CardKind.Consumer, keyFor("lost").address);
    await expect(registry.connect(reporter).reportCardLost(cardIdFor("lost"))).to.emit(registry, "CardReportedLost");
  });
});
