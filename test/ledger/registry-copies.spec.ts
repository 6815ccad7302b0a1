/**
 * What the ledger keeps of the registry besides its cards (ADR 0013): each terminal's merchant
 * and standing, each merchant's standing and current agreement, the credit-point rule, and the
 * GATEWAY role of each account that has used it. A settlement reads them in the ledger, so the
 * copies must follow every change the registry makes, in the same transaction.
 */
import { expect } from "chai";
import type { Result } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ROLES } from "../../src/chain/roles";
import { PointsLedger__factory } from "../../typechain-types";
import type { IMerchantRegistry } from "../../typechain-types/contracts/registry/CredenceRegistry";
import { DEFAULT_AGREEMENT, keyFor, latestTime } from "../helpers/suite";
import { acting } from "../helpers/dual-control";
import { deployLedgerFixture, replaceCard, signItem, type LedgerFixture } from "../helpers/ledger-ops";

type Terms = IMerchantRegistry.SettlementTermsStructOutput;

/** A struct output as plain nested arrays, so two can be compared with deep equality. */
function plain(terms: Terms): unknown {
  return JSON.parse(JSON.stringify((terms as unknown as Result).toArray(true), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}

describe("PointsLedger: its copies of the registry's terminals, terms and gateways", function () {
  /** Every terminal the fixture knows, an unknown key, and any `more`. */
  function terminalsOf(f: LedgerFixture, ...more: string[]): string[] {
    return [...f.shop.terminals, ...f.cafe.terminals, ...f.newcomer.terminals].map((t) => t.address).concat(keyFor("never-registered").address, more);
  }

  async function expectCopiesAgree(f: LedgerFixture, ...more: string[]) {
    for (const terminal of terminalsOf(f, ...more)) {
      const copy = await f.ledger.settlementTermsCopy(terminal);
      const original = await f.registry.settlementTerms(terminal);
      expect(plain(copy), `terms of ${terminal}`).to.deep.equal(plain(original));
    }
  }

  it("starts equal to the registry's settlement terms, for every terminal and an unknown one", async function () {
    const f = await loadFixture(deployLedgerFixture);
    await expectCopiesAgree(f);
    expect((await f.ledger.settlementTermsCopy(f.shop.terminals[0].address)).agreement.baseRateBps).to.equal(DEFAULT_AGREEMENT.baseRateBps);
  });

  it("follows every change of a terminal, a merchant, its card, its agreement and the credit rule", async function () {
    const f = await loadFixture(deployLedgerFixture);
    const bank = acting(f.registry, f.accounts.bank);
    const steps: [string, () => Promise<unknown>][] = [
      ["a new agreement", () => bank.setAgreement(f.shop.id, { ...DEFAULT_AGREEMENT, baseRateBps: 250, validUntil: BigInt(DEFAULT_AGREEMENT.validUntil) - 1n })],
      ["a first agreement", () => bank.setAgreement(f.newcomer.id, DEFAULT_AGREEMENT)],
      ["a terminal disabled", () => bank.setTerminalEnabled(f.shop.terminals[1].address, false)],
      ["a merchant suspended", () => bank.setMerchantActive(f.cafe.id, false)],
      ["a merchant's card frozen", () => bank.freezeCard(f.shop.cardId)],
      ["a merchant's card unfrozen", () => bank.unfreezeCard(f.shop.cardId)],
      ["a new credit rule", () => bank.setCreditPointRule(1_234)],
      ["a merchant resumed", () => bank.setMerchantActive(f.cafe.id, true)],
      ["a terminal enabled again", () => bank.setTerminalEnabled(f.shop.terminals[1].address, true)],
      ["a merchant's card closed", () => bank.closeCard(f.cafe.cardId)],
    ];
    for (const [what, step] of steps) {
      await ((await step()) as { wait(): Promise<unknown> }).wait();
      await expectCopiesAgree(f).catch((err: Error) => {
        throw new Error(`after ${what}: ${err.message}`);
      });
    }
    await replaceCard(f, f.cafe.cardId, "merchant-2-replacement");
    await expectCopiesAgree(f);
    expect((await f.ledger.settlementTermsCopy(f.cafe.terminals[0].address)).merchantCardActive).to.equal(true);
    const added = keyFor("terminal-added-later");
    await (await bank.registerTerminal(added.address, f.cafe.id)).wait();
    await expectCopiesAgree(f, added.address);
  });

  it("keeps a minimum amount above MAX_AMOUNT as MAX_AMOUNT + 1, which refuses every amount as well", async function () {
    const f = await loadFixture(deployLedgerFixture);
    await (await acting(f.registry, f.accounts.bank).setAgreement(f.shop.id, { ...DEFAULT_AGREEMENT, minAmount: 2n ** 64n - 1n })).wait();
    const max = await f.ledger.MAX_AMOUNT();
    expect((await f.ledger.settlementTermsCopy(f.shop.terminals[0].address)).agreement.minAmount).to.equal(max + 1n);
    const item = await signItem(f.ledger, f.shop.terminals[0], f.consumers[0], { nonce: 0n, time: await latestTime(), amount: max });
    await expect(f.gateway.settle(item)).to.be.revertedWithCustomError(f.ledger, "LedgerSettlementRejected");
  });

  it("takes copies from the registry alone", async function () {
    const f = await loadFixture(deployLedgerFixture);
    const outsider = f.ledger.connect(f.accounts.outsider);
    const calls: [string, () => Promise<unknown>][] = [
      ["recordTerminal", () => outsider.recordTerminal(keyFor("rogue").address, f.shop.id, true)],
      ["recordMerchantTerms", () => outsider.recordMerchantTerms(f.shop.id, true, true, 1, { ...DEFAULT_AGREEMENT, baseRateBps: 100_000 })],
      ["recordCreditPointRule", () => outsider.recordCreditPointRule(9, 10_000)],
      ["recordGatewayRevoked", () => outsider.recordGatewayRevoked(f.accounts.gateway.address)],
    ];
    for (const [name, call] of calls) {
      await expect(call(), name).to.be.revertedWithCustomError(f.ledger, "LedgerNotRegistry").withArgs(f.accounts.outsider.address);
    }
    // The gateway's role is no registry record either.
    await expect(f.gateway.recordTerminal(keyFor("rogue").address, f.shop.id, true)).to.be.revertedWithCustomError(f.ledger, "LedgerNotRegistry");
  });

  describe("the GATEWAY role", function () {
    async function settleOne(f: LedgerFixture, nonce: bigint) {
      const item = await signItem(f.ledger, f.shop.terminals[0], f.consumers[0], { nonce, time: await latestTime() });
      return f.gateway.settle(item);
    }

    it("is kept after a gateway's first settlement, and refused at once when the registry revokes it", async function () {
      const f = await loadFixture(deployLedgerFixture);
      await (await settleOne(f, 0n)).wait();
      await (await f.registry.connect(f.accounts.governance).revokeRole(ROLES.GATEWAY, f.accounts.gateway.address)).wait();
      await expect(settleOne(f, 1n)).to.be.revertedWithCustomError(f.ledger, "LedgerUnauthorized").withArgs(f.accounts.gateway.address, ROLES.GATEWAY);
    });

    it("is refused at once when the gateway renounces it", async function () {
      const f = await loadFixture(deployLedgerFixture);
      await (await settleOne(f, 0n)).wait();
      await (await f.registry.connect(f.accounts.gateway).renounceRole(ROLES.GATEWAY, f.accounts.gateway.address)).wait();
      await expect(settleOne(f, 1n)).to.be.revertedWithCustomError(f.ledger, "LedgerUnauthorized");
    });

    it("is not taken from a registry that names another ledger, which would not tell this one of revocations", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const unnamed = await new PointsLedger__factory(f.accounts.governance).deploy(await f.registry.getAddress());
      await expect(unnamed.connect(f.accounts.gateway).settleBatch([]))
        .to.be.revertedWithCustomError(unnamed, "LedgerUnauthorized")
        .withArgs(f.accounts.gateway.address, ROLES.GATEWAY);
      expect(await f.registry.hasRole(ROLES.GATEWAY, f.accounts.gateway.address)).to.equal(true);
    });

  });
});
