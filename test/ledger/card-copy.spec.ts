/**
 * The ledger's copy of the registry's cards (`recordCard`, `cardCopy`): the registry records every
 * issuance, replacement, freezing, unfreezing and closing in the ledger in the same transaction,
 * and the ledger settles and redeems from that copy alone.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress } from "ethers";
import { CredenceRegistry__factory } from "../../typechain-types";
import { DEFAULT_ADMIN_DELAY } from "../../src/chain/deploy";
import { CardStatus } from "../../packages/terminal-sdk/src/constants";
import { CardKind, cardIdFor, issueCard, keyFor, latestTime } from "../helpers/suite";
import { Rejection, deployLedgerFixture, expectedEarning, replaceCard, settleRecorded, signItem, type LedgerFixture } from "../helpers/ledger-ops";
import { acting } from "../helpers/dual-control";

async function copyOf(f: LedgerFixture, cardId: string, key: string) {
  const [status, kind, account] = await f.ledger.cardCopy(cardId, key);
  return { status: Number(status), kind: Number(kind), account };
}

describe("PointsLedger: the registry's cards", function () {
  describe("recordCard", function () {
    it("records an issued card under its ID and key, as the registry holds it", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const key = keyFor("copy-new");
      const cardId = cardIdFor("copy-new");
      await issueCard(f.registry, f.accounts.bank, f.accounts.creditCenter, cardId, CardKind.Consumer, key.address);
      const card = await f.registry.card(cardId);
      expect(await copyOf(f, cardId, key.address)).to.deep.equal({ status: CardStatus.Active, kind: CardKind.Consumer, account: card.account });
      expect(await copyOf(f, cardId, keyFor("someone-else").address)).to.deep.equal({ status: CardStatus.None, kind: 0, account: 0n });
    });

    it("records freezing, unfreezing and closing in the transaction that makes them", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const { cardId, key } = f.consumers[1];
      const bank = acting(f.registry, f.accounts.bank);
      await expect(bank.freezeCard(cardId)).to.emit(f.ledger, "CardRecorded").withArgs(cardId, key.address, CardStatus.Frozen);
      expect((await copyOf(f, cardId, key.address)).status).to.equal(CardStatus.Frozen);
      await expect(bank.unfreezeCard(cardId)).to.emit(f.ledger, "CardRecorded").withArgs(cardId, key.address, CardStatus.Active);
      expect((await copyOf(f, cardId, key.address)).status).to.equal(CardStatus.Active);
      await expect(bank.closeCard(cardId)).to.emit(f.ledger, "CardRecorded").withArgs(cardId, key.address, CardStatus.Closed);
      expect((await copyOf(f, cardId, key.address)).status).to.equal(CardStatus.Closed);
    });

    it("rejects a settlement on a card frozen after its settlements were signed", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const item = await signItem(f.ledger, f.shop.terminals[0], f.consumers[1], { nonce: 1n, time: await latestTime() });
      await (await acting(f.registry, f.accounts.bank).freezeCard(f.consumers[1].cardId)).wait();
      await expect(f.gateway.settle(item)).to.be.revertedWithCustomError(f.ledger, "LedgerSettlementRejected").withArgs(Rejection.CardNotActive);
    });

    it("moves the account's figures to a replacement card and closes the old card's copy", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const [first] = await settleRecorded(f, [await signItem(f.ledger, f.shop.terminals[0], f.consumers[0], { nonce: 1n, time: await latestTime() })]).then((b) => b.orders);
      const before = await f.ledger.accountStats(f.consumers[0].cardId);
      const replacement = await replaceCard(f, f.consumers[0].cardId, "copy-replacement");
      expect((await copyOf(f, f.consumers[0].cardId, f.consumers[0].key.address)).status).to.equal(CardStatus.Closed);
      expect(await copyOf(f, replacement.cardId, replacement.key.address)).to.deep.equal({
        status: CardStatus.Active,
        kind: CardKind.Consumer,
        account: (await f.registry.card(f.consumers[0].cardId)).account,
      });
      expect(await f.ledger.accountStats(replacement.cardId)).to.deep.equal(before);
      expect(await f.ledger.balanceOf(replacement.cardId)).to.equal(first.points);
      const item = await signItem(f.ledger, f.cafe.terminals[0], replacement, { nonce: 1n, time: await latestTime() });
      await settleRecorded(f, [item]);
      const earned = first.points + expectedEarning(f.cafe.agreement!, 0n, item.settlement.amount).points;
      expect((await f.ledger.accountStats(f.consumers[0].cardId)).earned).to.equal(earned);
      expect((await f.ledger.accountStats(replacement.cardId)).merchantCount).to.equal(2n);
    });

    it("refuses a card recorded by anyone but the registry with LedgerNotRegistry", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const forged = { key: f.accounts.outsider.address, status: CardStatus.Active, kind: CardKind.Consumer, account: 1n };
      await expect(f.ledger.connect(f.accounts.outsider).recordCard(f.consumers[0].cardId, forged))
        .to.be.revertedWithCustomError(f.ledger, "LedgerNotRegistry")
        .withArgs(f.accounts.outsider.address);
    });
  });

  describe("the registry's setLedger", function () {
    it("names the ledger once, at deployment", async function () {
      const f = await loadFixture(deployLedgerFixture);
      expect(await f.registry.ledger()).to.equal(await f.ledger.getAddress());
      const accounts = await f.registry.accountCount();
      await expect(f.registry.connect(f.accounts.governance).setLedger(f.accounts.outsider.address))
        .to.be.revertedWithCustomError(f.registry, "CardLedgerNotSettable")
        .withArgs(await f.ledger.getAddress(), accounts);
    });

    it("is governance's alone", async function () {
      const f = await loadFixture(deployLedgerFixture);
      await expect(f.registry.connect(f.accounts.outsider).setLedger(f.accounts.outsider.address)).to.be.revertedWithCustomError(
        f.registry,
        "AccessControlUnauthorizedAccount",
      );
    });

    it("is refused for the zero address, and once a card exists", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const governance = f.accounts.governance;
      const registry = await new CredenceRegistry__factory(governance).deploy(DEFAULT_ADMIN_DELAY, governance.address, await f.operators.getAddress(), 0, [], []);
      await expect(registry.setLedger(ZeroAddress)).to.be.revertedWithCustomError(registry, "CardLedgerNotSettable").withArgs(ZeroAddress, 0n);
      await issueCard(registry, f.accounts.bank, f.accounts.creditCenter, cardIdFor("early"), CardKind.Consumer, keyFor("early").address);
      await expect(registry.setLedger(await f.ledger.getAddress()))
        .to.be.revertedWithCustomError(registry, "CardLedgerNotSettable")
        .withArgs(ZeroAddress, 1n);
    });
  });
});
