/**
 * Merchants (contracts/registry/MerchantRegistry.sol through CredenceRegistry): registration
 * against a merchant card, terminals, append-only agreement versions, the credit-point rule and
 * the settlement terms the ledger reads. Every function here is the bank's alone.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import {
  CNY,
  CardKind,
  DEFAULT_AGREEMENT,
  DEFAULT_CREDIT_RATE_BPS,
  cardIdFor,
  deployMerchantSuite,
  deploySuite,
  issueCard,
  keyFor,
  proposeAndGetId,
} from "../helpers/suite";
import { shouldBeActOf } from "../helpers/act-behavior";
import { dual, acting, expectActRevert, actReturn } from "../helpers/dual-control";
import { ROLES } from "../../src/chain/roles";
import { currencyCode, packMultipliers, type Agreement } from "../../src/domain/points";
import type { CredenceRegistry } from "../../typechain-types";
import type { IMerchantRegistry } from "../../typechain-types/contracts/registry/CredenceRegistry";


const SHOP_CARD = cardIdFor("merchants:shop");
const CAFE_CARD = cardIdFor("merchants:cafe");
const CONSUMER_CARD = cardIdFor("merchants:consumer");
const NEW_TERMINAL = keyFor("merchants:terminal-2").address;
const UNKNOWN_TERMINAL = keyFor("merchants:no-such-terminal").address;

/** A second agreement for merchant 1: a higher rate in euros for one year. */
const SECOND_AGREEMENT: Agreement = {
  baseRateBps: 250n,
  maxPointsPerSettlement: 9_000n,
  minAmount: 500n,
  validFrom: 1_700_000_000n,
  validUntil: 1_731_536_000n,
  currency: currencyCode("EUR"),
  categoryMultipliers: packMultipliers([100, 300]),
};

/** The field order of IMerchantRegistry.Agreement, as an event argument compares. */
function agreementTuple(a: Agreement) {
  return [
    a.baseRateBps,
    a.maxPointsPerSettlement,
    a.minAmount,
    a.validFrom,
    a.validUntil,
    a.currency,
    a.categoryMultipliers,
  ];
}

/** An agreement as the registry returns it, in the shape of src/domain/points.ts. */
function asAgreement(a: IMerchantRegistry.AgreementStructOutput): Agreement {
  return {
    baseRateBps: a.baseRateBps,
    maxPointsPerSettlement: a.maxPointsPerSettlement,
    minAmount: a.minAmount,
    validFrom: a.validFrom,
    validUntil: a.validUntil,
    currency: a.currency,
    categoryMultipliers: a.categoryMultipliers,
  };
}

async function readAgreement(registry: CredenceRegistry, merchantId: bigint, version: bigint): Promise<Agreement> {
  return asAgreement(await registry.agreement(merchantId, version));
}

/** Merchant cards for the shop and the cafe and a consumer card, none registered as a merchant. */
async function merchantCardsFixture() {
  const suite = await deploySuite();
  const { registry, accounts } = suite;
  const issue = (cardId: string, kind: number) =>
    issueCard(registry, accounts.bank, accounts.creditCenter, cardId, kind, keyFor(cardId).address);
  await issue(SHOP_CARD, CardKind.Merchant);
  await issue(CAFE_CARD, CardKind.Merchant);
  await issue(CONSUMER_CARD, CardKind.Consumer);
  return suite;
}

/** The shop is merchant 1. */
async function registeredMerchantFixture() {
  const suite = await merchantCardsFixture();
  await (await acting(suite.registry, suite.accounts.bank).registerMerchant(SHOP_CARD)).wait();
  return suite;
}

/** The merchant suite plus the cafe as merchant 2, with no terminal and no agreement yet. */
async function secondMerchantFixture() {
  const suite = await deployMerchantSuite();
  const { registry, accounts } = suite;
  await issueCard(registry, accounts.bank, accounts.creditCenter, CAFE_CARD, CardKind.Merchant, keyFor("cafe").address);
  await (await acting(registry, accounts.bank).registerMerchant(CAFE_CARD)).wait();
  return { ...suite, cafe: { id: 2n, cardId: CAFE_CARD } };
}

/** The merchant suite with its terminal disabled and the merchant suspended. */
async function suspendedMerchantFixture() {
  const suite = await deployMerchantSuite();
  const { registry, accounts, merchant, terminal } = suite;
  await (await acting(registry, accounts.bank).setTerminalEnabled(terminal.address, false)).wait();
  await (await acting(registry, accounts.bank).setMerchantActive(merchant.id, false)).wait();
  return suite;
}

describe("MerchantRegistry (CredenceRegistry)", function () {
  describe("registerMerchant", function () {
    describe("when the card is an active, unbound merchant card", function () {
      it("registers merchant 1 bound to the card and emits MerchantRegistered", async function () {
        const { registry, accounts } = await loadFixture(merchantCardsFixture);
        expect(await actReturn(registry, accounts.bank, "registerMerchant", [SHOP_CARD])).to.equal(1n);
        await expect(acting(registry, accounts.bank).registerMerchant(SHOP_CARD))
          .to.emit(registry, "MerchantRegistered")
          .withArgs(1n, SHOP_CARD);

        const m = await registry.merchant(1);
        expect(m.cardId).to.equal(SHOP_CARD);
        expect(m.agreementVersion).to.equal(0n);
        expect(m.active).to.equal(true);
        expect(await registry.merchantOfCard(SHOP_CARD)).to.equal(1n);
        expect(await registry.merchantCount()).to.equal(1n);
      });

      it("numbers merchants 1, 2, ...", async function () {
        const { registry, accounts } = await loadFixture(registeredMerchantFixture);
        await expect(acting(registry, accounts.bank2).registerMerchant(CAFE_CARD))
          .to.emit(registry, "MerchantRegistered")
          .withArgs(2n, CAFE_CARD);
        expect(await registry.merchantOfCard(CAFE_CARD)).to.equal(2n);
        expect(await registry.merchantOfCard(SHOP_CARD)).to.equal(1n);
        expect(await registry.merchantCount()).to.equal(2n);
      });
    });

    describe("when the card is not eligible", function () {
      it("rejects an unknown card", async function () {
        const { registry, accounts } = await loadFixture(merchantCardsFixture);
        const unknown = cardIdFor("merchants:unknown");
        await expectActRevert(acting(registry, accounts.bank).registerMerchant(unknown), registry, "MerchantCardNotEligible", [unknown]);
      });

      it("rejects a consumer card", async function () {
        const { registry, accounts } = await loadFixture(merchantCardsFixture);
        await expectActRevert(acting(registry, accounts.bank).registerMerchant(CONSUMER_CARD), registry, "MerchantCardNotEligible", [CONSUMER_CARD]);
      });

      it("rejects a frozen merchant card", async function () {
        const { registry, accounts } = await loadFixture(merchantCardsFixture);
        await acting(registry, accounts.bank).freezeCard(SHOP_CARD);
        await expectActRevert(acting(registry, accounts.bank).registerMerchant(SHOP_CARD), registry, "MerchantCardNotEligible", [SHOP_CARD]);
      });

      it("rejects a closed merchant card", async function () {
        const { registry, accounts } = await loadFixture(merchantCardsFixture);
        await acting(registry, accounts.bank).closeCard(SHOP_CARD);
        await expectActRevert(acting(registry, accounts.bank).registerMerchant(SHOP_CARD), registry, "MerchantCardNotEligible", [SHOP_CARD]);
      });

      it("rejects a card already bound, naming its merchant", async function () {
        const { registry, accounts } = await loadFixture(registeredMerchantFixture);
        await expectActRevert(acting(registry, accounts.bank).registerMerchant(SHOP_CARD), registry, "MerchantCardAlreadyBound", [SHOP_CARD, 1n]);
        expect(await registry.merchantCount()).to.equal(1n);
      });
    });

    shouldBeActOf({
      fixture: merchantCardsFixture,
      contract: (f) => f.registry,
      institution: ROLES.BANK,
      fn: "registerMerchant",
      args: () => [SHOP_CARD],
    });
  });

  describe("merchant and merchantOfCard", function () {
    it("return nothing for an unregistered card and merchant ID", async function () {
      const { registry } = await loadFixture(registeredMerchantFixture);
      expect(await registry.merchantOfCard(CAFE_CARD)).to.equal(0n);
      const m = await registry.merchant(2);
      expect(m.cardId).to.equal(ethers.ZeroHash);
      expect(m.active).to.equal(false);
    });
  });

  describe("setMerchantActive", function () {
    describe("when the merchant exists", function () {
      it("suspends the merchant and emits MerchantActivationChanged", async function () {
        const { registry, accounts } = await loadFixture(registeredMerchantFixture);
        await expect(acting(registry, accounts.bank).setMerchantActive(1, false))
          .to.emit(registry, "MerchantActivationChanged")
          .withArgs(1n, false);
        expect((await registry.merchant(1)).active).to.equal(false);
      });

      it("resumes a suspended merchant", async function () {
        const { registry, accounts } = await loadFixture(suspendedMerchantFixture);
        await expect(acting(registry, accounts.bank).setMerchantActive(1, true))
          .to.emit(registry, "MerchantActivationChanged")
          .withArgs(1n, true);
        expect((await registry.merchant(1)).active).to.equal(true);
      });
    });

    describe("when the merchant is unknown", function () {
      it("rejects the next unused ID and zero", async function () {
        const { registry, accounts } = await loadFixture(registeredMerchantFixture);
        for (const merchantId of [2n, 0n]) {
          await expectActRevert(acting(registry, accounts.bank).setMerchantActive(merchantId, false), registry, "MerchantUnknown", [merchantId]);
        }
      });
    });

    shouldBeActOf({
      fixture: registeredMerchantFixture,
      contract: (f) => f.registry,
      institution: ROLES.BANK,
      fn: "setMerchantActive",
      args: () => [1, false],
    });
  });

  describe("registerTerminal", function () {
    describe("when the key is new and the merchant exists", function () {
      it("registers an enabled terminal for the merchant and emits TerminalRegistered", async function () {
        const { registry, accounts, cafe } = await loadFixture(secondMerchantFixture);
        await expect(acting(registry, accounts.bank).registerTerminal(NEW_TERMINAL, cafe.id))
          .to.emit(registry, "TerminalRegistered")
          .withArgs(NEW_TERMINAL, cafe.id);
        const t = await registry.terminal(NEW_TERMINAL);
        expect(t.merchantId).to.equal(cafe.id);
        expect(t.enabled).to.equal(true);
      });

      it("registers a terminal for a suspended merchant", async function () {
        const { registry, accounts, merchant } = await loadFixture(suspendedMerchantFixture);
        await expect(acting(registry, accounts.bank).registerTerminal(NEW_TERMINAL, merchant.id))
          .to.emit(registry, "TerminalRegistered")
          .withArgs(NEW_TERMINAL, merchant.id);
      });
    });

    describe("when the terminal cannot be registered", function () {
      it("rejects the zero key", async function () {
        const { registry, accounts, merchant } = await loadFixture(deployMerchantSuite);
        await expectActRevert(acting(registry, accounts.bank).registerTerminal(ethers.ZeroAddress, merchant.id), registry, "TerminalInvalidKey");
      });

      it("rejects an unknown merchant", async function () {
        const { registry, accounts } = await loadFixture(deployMerchantSuite);
        await expectActRevert(acting(registry, accounts.bank).registerTerminal(NEW_TERMINAL, 9), registry, "MerchantUnknown", [9n]);
      });

      it("rejects a key already registered, even for another merchant", async function () {
        const { registry, accounts, terminal, cafe } = await loadFixture(secondMerchantFixture);
        for (const merchantId of [1n, cafe.id]) {
          await expectActRevert(acting(registry, accounts.bank).registerTerminal(terminal.address, merchantId), registry, "TerminalAlreadyRegistered", [terminal.address]);
        }
        expect((await registry.terminal(terminal.address)).merchantId).to.equal(1n);
      });
    });

    shouldBeActOf({
      fixture: deployMerchantSuite,
      contract: (f) => f.registry,
      institution: ROLES.BANK,
      fn: "registerTerminal",
      args: (f) => [NEW_TERMINAL, f.merchant.id],
    });
  });

  describe("setTerminalEnabled", function () {
    describe("when the terminal is registered", function () {
      it("disables it and emits TerminalEnabledChanged", async function () {
        const { registry, accounts, terminal } = await loadFixture(deployMerchantSuite);
        await expect(acting(registry, accounts.bank).setTerminalEnabled(terminal.address, false))
          .to.emit(registry, "TerminalEnabledChanged")
          .withArgs(terminal.address, false);
        const t = await registry.terminal(terminal.address);
        expect(t.enabled).to.equal(false);
        expect(t.merchantId).to.equal(1n);
      });

      it("enables it again", async function () {
        const { registry, accounts, terminal } = await loadFixture(suspendedMerchantFixture);
        await expect(acting(registry, accounts.bank).setTerminalEnabled(terminal.address, true))
          .to.emit(registry, "TerminalEnabledChanged")
          .withArgs(terminal.address, true);
        expect((await registry.terminal(terminal.address)).enabled).to.equal(true);
      });
    });

    describe("when the terminal is unknown", function () {
      it("rejects it", async function () {
        const { registry, accounts } = await loadFixture(deployMerchantSuite);
        await expectActRevert(acting(registry, accounts.bank).setTerminalEnabled(UNKNOWN_TERMINAL, true), registry, "TerminalUnknown", [UNKNOWN_TERMINAL]);
      });
    });

    shouldBeActOf({
      fixture: deployMerchantSuite,
      contract: (f) => f.registry,
      institution: ROLES.BANK,
      fn: "setTerminalEnabled",
      args: (f) => [f.terminal.address, false],
    });
  });

  describe("setAgreement", function () {
    describe("when the agreement is valid", function () {
      it("records version 1 for a merchant's first agreement and emits AgreementSet", async function () {
        const { registry, accounts, cafe } = await loadFixture(secondMerchantFixture);
        expect(await actReturn(registry, accounts.bank, "setAgreement", [cafe.id, DEFAULT_AGREEMENT])).to.equal(1n);
        await expect(acting(registry, accounts.bank).setAgreement(cafe.id, DEFAULT_AGREEMENT))
          .to.emit(registry, "AgreementSet")
          .withArgs(cafe.id, 1n, agreementTuple(DEFAULT_AGREEMENT));
        expect((await registry.merchant(cafe.id)).agreementVersion).to.equal(1n);
        expect(await readAgreement(registry, cafe.id, 1n)).to.deep.equal(DEFAULT_AGREEMENT);
      });

      it("appends version 2 and keeps version 1 readable", async function () {
        const { registry, accounts, merchant } = await loadFixture(deployMerchantSuite);
        await expect(acting(registry, accounts.bank).setAgreement(merchant.id, SECOND_AGREEMENT))
          .to.emit(registry, "AgreementSet")
          .withArgs(merchant.id, 2n, agreementTuple(SECOND_AGREEMENT));
        expect((await registry.merchant(merchant.id)).agreementVersion).to.equal(2n);
        expect(await readAgreement(registry, merchant.id, 1n)).to.deep.equal(DEFAULT_AGREEMENT);
        expect(await readAgreement(registry, merchant.id, 2n)).to.deep.equal(SECOND_AGREEMENT);
      });

      it("numbers versions per merchant", async function () {
        const { registry, accounts, merchant, cafe } = await loadFixture(secondMerchantFixture);
        await acting(registry, accounts.bank).setAgreement(merchant.id, SECOND_AGREEMENT);
        await expect(acting(registry, accounts.bank).setAgreement(cafe.id, SECOND_AGREEMENT))
          .to.emit(registry, "AgreementSet")
          .withArgs(cafe.id, 1n, agreementTuple(SECOND_AGREEMENT));
        expect((await registry.merchant(merchant.id)).agreementVersion).to.equal(2n);
        expect((await registry.merchant(cafe.id)).agreementVersion).to.equal(1n);
        expect((await registry.agreement(cafe.id, 2n)).maxPointsPerSettlement).to.equal(0n);
      });

      it("accepts the highest base rate with no category above 1x", async function () {
        const { registry, accounts, merchant } = await loadFixture(deployMerchantSuite);
        expect(await registry.MAX_BASE_RATE_BPS()).to.equal(100_000n);
        const highest = { ...DEFAULT_AGREEMENT, baseRateBps: 100_000n, categoryMultipliers: packMultipliers([100, 0, 50]) };
        await expect(acting(registry, accounts.bank).setAgreement(merchant.id, highest))
          .to.emit(registry, "AgreementSet")
          .withArgs(merchant.id, 2n, agreementTuple(highest));
      });

      it("accepts the highest multiplier in every category at a base rate that keeps them at the highest rate", async function () {
        const { registry, accounts, merchant } = await loadFixture(deployMerchantSuite);
        expect(await registry.MAX_CATEGORY_MULTIPLIER()).to.equal(1_000n);
        const highest = { ...DEFAULT_AGREEMENT, baseRateBps: 10_000n, categoryMultipliers: packMultipliers(Array<number>(16).fill(1_000)) };
        await expect(acting(registry, accounts.bank).setAgreement(merchant.id, highest))
          .to.emit(registry, "AgreementSet")
          .withArgs(merchant.id, 2n, agreementTuple(highest));
      });
    });

    describe("when the agreement is invalid", function () {
      const cases: { field: string; title: string; change: Partial<Agreement> }[] = [
        { field: "baseRateBps", title: "a base rate above 100_000 bps", change: { baseRateBps: 100_001n } },
        { field: "maxPointsPerSettlement", title: "a zero cap", change: { maxPointsPerSettlement: 0n } },
        { field: "validity", title: "an empty validity window", change: { validFrom: 1_000n, validUntil: 1_000n } },
        {
          field: "validity",
          title: "a validity window ending before it starts",
          change: { validFrom: 2_000n, validUntil: 1_000n },
        },
        { field: "currency", title: "a zero currency", change: { currency: "0x000000" } },
        {
          field: "categoryMultipliers",
          title: "a category multiplier above MAX_CATEGORY_MULTIPLIER (10x)",
          change: { baseRateBps: 1n, categoryMultipliers: packMultipliers([100, 1_001]) },
        },
        {
          field: "categoryMultipliers",
          title: "the largest multiplier the packing holds (655x)",
          change: { baseRateBps: 1n, categoryMultipliers: packMultipliers([...Array<number>(15).fill(100), 0xffff]) },
        },
        {
          field: "categoryMultipliers",
          title: "a category whose rate (base rate x multiplier) passes MAX_BASE_RATE_BPS",
          change: { baseRateBps: 50_000n, categoryMultipliers: packMultipliers([100, 201]) },
        },
        {
          field: "categoryMultipliers",
          title: "the highest base rate with a category above 1x",
          change: { baseRateBps: 100_000n, categoryMultipliers: packMultipliers([100, 101]) },
        },
      ];
      for (const { field, title, change } of cases) {
        it(`rejects ${title} with AgreementInvalid("${field}")`, async function () {
          const { registry, accounts, merchant } = await loadFixture(deployMerchantSuite);
          await expectActRevert(acting(registry, accounts.bank).setAgreement(merchant.id, { ...DEFAULT_AGREEMENT, ...change }), registry, "AgreementInvalid", [field]);
          expect((await registry.merchant(merchant.id)).agreementVersion).to.equal(1n);
        });
      }

      it("rejects an unknown merchant", async function () {
        const { registry, accounts } = await loadFixture(deployMerchantSuite);
        await expectActRevert(acting(registry, accounts.bank).setAgreement(5, DEFAULT_AGREEMENT), registry, "MerchantUnknown", [5n]);
      });
    });

    shouldBeActOf({
      fixture: deployMerchantSuite,
      contract: (f) => f.registry,
      institution: ROLES.BANK,
      fn: "setAgreement",
      args: (f) => [f.merchant.id, SECOND_AGREEMENT],
    });
  });

  describe("setCreditPointRule", function () {
    describe("when the rate is at most 10_000 bps", function () {
      it("starts with no rule: version 0 at rate 0", async function () {
        const { registry } = await loadFixture(deploySuite);
        const [version, rateBps] = await registry.creditPointRule();
        expect(version).to.equal(0n);
        expect(rateBps).to.equal(0n);
      });

      it("records version 1 and emits CreditPointRuleSet", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        expect(await actReturn(registry, accounts.bank, "setCreditPointRule", [1_000])).to.equal(1n);
        await expect(acting(registry, accounts.bank).setCreditPointRule(1_000))
          .to.emit(registry, "CreditPointRuleSet")
          .withArgs(1n, 1_000n);
        const [version, rateBps] = await registry.creditPointRule();
        expect(version).to.equal(1n);
        expect(rateBps).to.equal(1_000n);
      });

      it("appends version 2 and keeps the rate of version 1", async function () {
        const { registry, accounts } = await loadFixture(deployMerchantSuite);
        await expect(acting(registry, accounts.bank).setCreditPointRule(2_500))
          .to.emit(registry, "CreditPointRuleSet")
          .withArgs(2n, 2_500n);
        const [version, rateBps] = await registry.creditPointRule();
        expect(version).to.equal(2n);
        expect(rateBps).to.equal(2_500n);
        expect(await registry.creditPointRate(1)).to.equal(DEFAULT_CREDIT_RATE_BPS);
        expect(await registry.creditPointRate(2)).to.equal(2_500n);
        expect(await registry.creditPointRate(3)).to.equal(0n);
      });

      it("accepts the bounds 0 and 10_000", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        expect(await registry.MAX_CREDIT_RATE_BPS()).to.equal(10_000n);
        await expect(acting(registry, accounts.bank).setCreditPointRule(10_000))
          .to.emit(registry, "CreditPointRuleSet")
          .withArgs(1n, 10_000n);
        await expect(acting(registry, accounts.bank).setCreditPointRule(0))
          .to.emit(registry, "CreditPointRuleSet")
          .withArgs(2n, 0n);
      });
    });

    describe("when the rate is above 10_000 bps", function () {
      it("rejects it with CreditRuleInvalid and keeps the current rule", async function () {
        const { registry, accounts } = await loadFixture(deployMerchantSuite);
        await expectActRevert(acting(registry, accounts.bank).setCreditPointRule(10_001), registry, "CreditRuleInvalid", [10_001n]);
        const [version, rateBps] = await registry.creditPointRule();
        expect(version).to.equal(1n);
        expect(rateBps).to.equal(DEFAULT_CREDIT_RATE_BPS);
      });
    });

    shouldBeActOf({
      fixture: deploySuite,
      contract: (f) => f.registry,
      institution: ROLES.BANK,
      fn: "setCreditPointRule",
      args: () => [1_000],
    });
  });

  describe("settlementTerms", function () {
    it("returns the terminal's merchant, its current agreement and the current credit rule", async function () {
      const { registry, terminal, merchant } = await loadFixture(deployMerchantSuite);
      const terms = await registry.settlementTerms(terminal.address);
      expect(terms.merchantId).to.equal(merchant.id);
      expect(terms.terminalEnabled).to.equal(true);
      expect(terms.merchantActive).to.equal(true);
      expect(terms.agreementVersion).to.equal(1n);
      expect(asAgreement(terms.agreement)).to.deep.equal(DEFAULT_AGREEMENT);
      expect(terms.creditRuleVersion).to.equal(1n);
      expect(terms.creditRateBps).to.equal(DEFAULT_CREDIT_RATE_BPS);
    });

    it("follows a new agreement version and a new credit rule", async function () {
      const { registry, accounts, terminal, merchant } = await loadFixture(deployMerchantSuite);
      await acting(registry, accounts.bank).setAgreement(merchant.id, SECOND_AGREEMENT);
      await acting(registry, accounts.bank).setCreditPointRule(3_000);
      const terms = await registry.settlementTerms(terminal.address);
      expect(terms.agreementVersion).to.equal(2n);
      expect(asAgreement(terms.agreement)).to.deep.equal(SECOND_AGREEMENT);
      expect(terms.agreement.currency).to.not.equal(CNY);
      expect(terms.creditRuleVersion).to.equal(2n);
      expect(terms.creditRateBps).to.equal(3_000n);
    });

    it("reports a disabled terminal and a suspended merchant", async function () {
      const { registry, terminal, merchant } = await loadFixture(suspendedMerchantFixture);
      const terms = await registry.settlementTerms(terminal.address);
      expect(terms.merchantId).to.equal(merchant.id);
      expect(terms.terminalEnabled).to.equal(false);
      expect(terms.merchantActive).to.equal(false);
      expect(terms.agreementVersion).to.equal(1n);
    });

    it("reports whether the merchant's card is active: not once frozen or closed, again once replaced", async function () {
      const { registry, accounts, terminal, merchant } = await loadFixture(deployMerchantSuite);
      expect((await registry.settlementTerms(terminal.address)).merchantCardActive).to.equal(true);
      await (await acting(registry, accounts.bank).freezeCard(merchant.cardId)).wait();
      expect((await registry.settlementTerms(terminal.address)).merchantCardActive).to.equal(false);
      await (await acting(registry, accounts.bank).unfreezeCard(merchant.cardId)).wait();
      expect((await registry.settlementTerms(terminal.address)).merchantCardActive).to.equal(true);
      await (await acting(registry, accounts.bank).closeCard(merchant.cardId)).wait();
      expect((await registry.settlementTerms(terminal.address)).merchantCardActive).to.equal(false);
      const replacement = cardIdFor("merchant-1:replacement");
      const action = registry.interface.encodeFunctionData("replaceCard", [merchant.cardId, replacement, keyFor("merchant-1:replacement").address]);
      await (await dual(registry, accounts.creditCenter).approve(await proposeAndGetId(registry, accounts.bank, action), action)).wait();
      expect((await registry.settlementTerms(terminal.address)).merchantCardActive).to.equal(true);
    });

    it("agrees with terminalStanding, which reports the same standing without the agreement", async function () {
      const { registry, accounts, terminal, merchant } = await loadFixture(suspendedMerchantFixture);
      await (await acting(registry, accounts.bank).freezeCard(merchant.cardId)).wait();
      const terms = await registry.settlementTerms(terminal.address);
      const standing = await registry.terminalStanding(terminal.address);
      expect([standing.merchantId, standing.terminalEnabled, standing.merchantActive, standing.merchantCardActive]).to.deep.equal([
        merchant.id,
        false,
        false,
        false,
      ]);
      expect([terms.merchantId, terms.terminalEnabled, terms.merchantActive, terms.merchantCardActive]).to.deep.equal([...standing]);
      expect([...(await registry.terminalStanding(UNKNOWN_TERMINAL))]).to.deep.equal([0n, false, false, false]);
    });

    it("reports version 0 and an empty agreement for a merchant without one", async function () {
      const { registry, accounts, cafe } = await loadFixture(secondMerchantFixture);
      await acting(registry, accounts.bank).registerTerminal(NEW_TERMINAL, cafe.id);
      const terms = await registry.settlementTerms(NEW_TERMINAL);
      expect(terms.merchantId).to.equal(cafe.id);
      expect(terms.agreementVersion).to.equal(0n);
      expect(terms.agreement.maxPointsPerSettlement).to.equal(0n);
      expect(terms.agreement.currency).to.equal("0x000000");
      expect(terms.creditRuleVersion).to.equal(1n);
    });

    it("returns zeroed terms for an unknown terminal", async function () {
      const { registry, terminal } = await loadFixture(deployMerchantSuite);
      expect((await registry.settlementTerms(terminal.address)).merchantId).to.equal(1n);
      const terms = await registry.settlementTerms(UNKNOWN_TERMINAL);
      expect(terms.merchantId).to.equal(0n);
      expect(terms.terminalEnabled).to.equal(false);
      expect(terms.merchantActive).to.equal(false);
      expect(terms.agreementVersion).to.equal(0n);
      expect(terms.agreement.baseRateBps).to.equal(0n);
      expect(terms.agreement.maxPointsPerSettlement).to.equal(0n);
      expect(terms.agreement.currency).to.equal("0x000000");
      expect(terms.creditRuleVersion).to.equal(0n);
      expect(terms.creditRateBps).to.equal(0n);
    });
  });
});
