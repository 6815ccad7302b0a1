/**
 * Cards (contracts/registry/CardRegistry.sol through CredenceRegistry): issuance and replacement
 * under dual control, the bank's freeze / unfreeze / close, the ERC-5192 lock and ERC-165.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { id, type Interface, type Signer } from "ethers";
import { CREDENTIALS, CardKind, cardIdFor, deploySuite, issueCard, keyFor, proposeAndGetId } from "../helpers/suite";
import { shouldBeActOf } from "../helpers/act-behavior";
import { ROLES } from "../../src/chain/roles";
import { IAccessControl__factory, IERC165__factory, type CredenceRegistry } from "../../typechain-types";
import { dual, acting, expectActRevert } from "../helpers/dual-control";
import { CardStatus } from "../../packages/terminal-sdk/src/constants";

const ERC5192_INTERFACE_ID = "0xb45a3c0e";

const ALICE = { cardId: cardIdFor("alice"), key: keyFor("alice").address, commitment: id("commitment:alice") };
const SHOP = { cardId: cardIdFor("shop"), key: keyFor("shop").address, commitment: id("commitment:shop") };
const ALICE_NEW = { cardId: cardIdFor("alice:replacement"), key: keyFor("alice:replacement").address };
const UNKNOWN_CARD = cardIdFor("nobody");

/** ERC-165 interface ID: XOR of the selectors an interface declares itself. */
function interfaceId(iface: Interface): string {
  let id = 0;
  iface.forEachFunction((f) => {
    id ^= Number.parseInt(f.selector.slice(2), 16);
  });
  return `0x${(id >>> 0).toString(16).padStart(8, "0")}`;
}

/** Propose `action` by `proposer`, returning what its approval needs. */
async function propose(registry: CredenceRegistry, proposer: Signer, action: string) {
  return { action, proposalId: await proposeAndGetId(registry, proposer, action) };
}

function issueAction(
  registry: CredenceRegistry,
  cardId: string,
  kind: number,
  key: string,
  commitment: string,
): string {
  return registry.interface.encodeFunctionData("issueCard", [cardId, kind, key, commitment]);
}

function replaceAction(registry: CredenceRegistry, oldCardId: string, newCardId: string, newKey: string): string {
  return registry.interface.encodeFunctionData("replaceCard", [oldCardId, newCardId, newKey]);
}

/** The inner error a failed dual-control action is wrapped with. */
function innerError(registry: CredenceRegistry, name: string, args: readonly unknown[] = []): string {
  return registry.interface.encodeErrorResult(name, args);
}

/** Alice's consumer card (account 1) and the shop's merchant card (account 2). */
async function issuedCardsFixture() {
  const suite = await deploySuite();
  const { registry, accounts } = suite;
  await issueCard(
    registry,
    accounts.bank,
    accounts.creditCenter,
    ALICE.cardId,
    CardKind.Consumer,
    ALICE.key,
    ALICE.commitment,
  );
  await issueCard(
    registry,
    accounts.creditCenter,
    accounts.bank,
    SHOP.cardId,
    CardKind.Merchant,
    SHOP.key,
    SHOP.commitment,
  );
  return suite;
}

async function frozenCardFixture() {
  const suite = await issuedCardsFixture();
  await (await acting(suite.registry, suite.accounts.bank).freezeCard(ALICE.cardId)).wait();
  return suite;
}

async function closedCardFixture() {
  const suite = await issuedCardsFixture();
  await (await acting(suite.registry, suite.accounts.bank).closeCard(ALICE.cardId)).wait();
  return suite;
}

/** Alice's card was replaced by ALICE_NEW (bank proposed, credit center approved). */
async function replacedCardFixture() {
  const suite = await issuedCardsFixture();
  const { registry, accounts } = suite;
  const { action, proposalId } = await propose(
    registry,
    accounts.bank,
    replaceAction(registry, ALICE.cardId, ALICE_NEW.cardId, ALICE_NEW.key),
  );
  await (await dual(registry, accounts.creditCenter).approve(proposalId, action)).wait();
  return suite;
}

describe("CardRegistry (CredenceRegistry)", function () {
  describe("issueCard", function () {
    describe("when approved under dual control", function () {
      it("emits CardIssued and the ERC-5192 Locked event for the card ID as token ID", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          issueAction(registry, ALICE.cardId, CardKind.Consumer, ALICE.key, ALICE.commitment),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.emit(registry, "CardIssued")
          .withArgs(ALICE.cardId, 1n, CardKind.Consumer, ALICE.key, ALICE.commitment)
          .and.to.emit(registry, "Locked")
          .withArgs(BigInt(ALICE.cardId));
      });

      it("stores an active card with its key, kind and account", async function () {
        const { registry } = await loadFixture(issuedCardsFixture);
        const alice = await registry.card(ALICE.cardId);
        expect(alice.key).to.equal(ALICE.key);
        expect(alice.status).to.equal(CardStatus.Active);
        expect(alice.kind).to.equal(BigInt(CardKind.Consumer));
        expect(alice.account).to.equal(1n);
        const shop = await registry.card(SHOP.cardId);
        expect(shop.kind).to.equal(BigInt(CardKind.Merchant));
        expect(shop.key).to.equal(SHOP.key);
      });

      it("stores the identity commitment", async function () {
        const { registry } = await loadFixture(issuedCardsFixture);
        expect(await registry.identityCommitmentOf(ALICE.cardId)).to.equal(ALICE.commitment);
        expect(await registry.identityCommitmentOf(SHOP.cardId)).to.equal(SHOP.commitment);
      });

      it("numbers accounts 1, 2, 3 in issuance order", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        const third = cardIdFor("third");
        await issueCard(
          registry,
          accounts.bank,
          accounts.creditCenter,
          third,
          CardKind.Consumer,
          keyFor("third").address,
        );
        expect((await registry.card(ALICE.cardId)).account).to.equal(1n);
        expect((await registry.card(SHOP.cardId)).account).to.equal(2n);
        expect((await registry.card(third)).account).to.equal(3n);
      });

      it("does not use up an account number on a failed issuance", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        const duplicate = await propose(
          registry,
          accounts.bank,
          issueAction(registry, ALICE.cardId, CardKind.Consumer, keyFor("dup").address, id("dup")),
        );
        await expect(dual(registry, accounts.creditCenter).approve(duplicate.proposalId, duplicate.action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(duplicate.proposalId, innerError(registry, "CardAlreadyExists", [ALICE.cardId]));

        const third = cardIdFor("third");
        await issueCard(
          registry,
          accounts.bank,
          accounts.creditCenter,
          third,
          CardKind.Consumer,
          keyFor("third").address,
        );
        expect((await registry.card(third)).account).to.equal(3n);
      });

      it("has no replacement", async function () {
        const { registry } = await loadFixture(issuedCardsFixture);
        expect(await registry.replacementOf(ALICE.cardId)).to.equal(ethers.ZeroHash);
      });
    });

    describe("when the card ID is zero", function () {
      it("fails with CardInvalidId", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          issueAction(registry, ethers.ZeroHash, CardKind.Consumer, ALICE.key, ALICE.commitment),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, innerError(registry, "CardInvalidId"));
      });
    });

    describe("when the key is zero", function () {
      it("fails with CardInvalidKey", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          issueAction(registry, ALICE.cardId, CardKind.Consumer, ethers.ZeroAddress, ALICE.commitment),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, innerError(registry, "CardInvalidKey"));
      });
    });

    describe("when the card ID is already issued", function () {
      it("fails with CardAlreadyExists and leaves the card as it was", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          issueAction(registry, ALICE.cardId, CardKind.Merchant, keyFor("thief").address, id("thief")),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, innerError(registry, "CardAlreadyExists", [ALICE.cardId]));
        expect((await registry.card(ALICE.cardId)).key).to.equal(ALICE.key);
        expect(await registry.identityCommitmentOf(ALICE.cardId)).to.equal(ALICE.commitment);
      });

      it("fails with CardAlreadyExists for a closed card's ID", async function () {
        const { registry, accounts } = await loadFixture(closedCardFixture);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          issueAction(registry, ALICE.cardId, CardKind.Consumer, ALICE.key, ALICE.commitment),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, innerError(registry, "CardAlreadyExists", [ALICE.cardId]));
      });
    });
  });

  describe("freezeCard", function () {
    describe("when the card is active", function () {
      it("freezes it and emits CardFrozen with the operator's credential", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        await expect(acting(registry, accounts.bank2).freezeCard(ALICE.cardId))
          .to.emit(registry, "CardFrozen")
          .withArgs(ALICE.cardId, CREDENTIALS.bank2);
        expect((await registry.card(ALICE.cardId)).status).to.equal(CardStatus.Frozen);
      });
    });

    describe("when the card is not active", function () {
      it("rejects a frozen card", async function () {
        const { registry, accounts } = await loadFixture(frozenCardFixture);
        await expectActRevert(acting(registry, accounts.bank).freezeCard(ALICE.cardId), registry, "CardStatusForbids", [ALICE.cardId, CardStatus.Frozen]);
      });

      it("rejects a closed card", async function () {
        const { registry, accounts } = await loadFixture(closedCardFixture);
        await expectActRevert(acting(registry, accounts.bank).freezeCard(ALICE.cardId), registry, "CardStatusForbids", [ALICE.cardId, CardStatus.Closed]);
      });

      it("rejects an unknown card", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        await expectActRevert(acting(registry, accounts.bank).freezeCard(UNKNOWN_CARD), registry, "CardUnknown", [UNKNOWN_CARD]);
      });
    });

    shouldBeActOf({
      fixture: issuedCardsFixture,
      contract: (f) => f.registry,
      institution: ROLES.BANK,
      fn: "freezeCard",
      args: () => [ALICE.cardId],
    });
  });

  describe("unfreezeCard", function () {
    describe("when the card is frozen", function () {
      it("reactivates it and emits CardUnfrozen with the operator's credential", async function () {
        const { registry, accounts } = await loadFixture(frozenCardFixture);
        await expect(acting(registry, accounts.bank).unfreezeCard(ALICE.cardId))
          .to.emit(registry, "CardUnfrozen")
          .withArgs(ALICE.cardId, CREDENTIALS.bank);
        expect((await registry.card(ALICE.cardId)).status).to.equal(CardStatus.Active);
      });
    });

    describe("when the card is not frozen", function () {
      it("rejects an active card", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        await expectActRevert(acting(registry, accounts.bank).unfreezeCard(ALICE.cardId), registry, "CardStatusForbids", [ALICE.cardId, CardStatus.Active]);
      });

      it("rejects a closed card", async function () {
        const { registry, accounts } = await loadFixture(closedCardFixture);
        await expectActRevert(acting(registry, accounts.bank).unfreezeCard(ALICE.cardId), registry, "CardStatusForbids", [ALICE.cardId, CardStatus.Closed]);
      });

      it("rejects an unknown card", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        await expectActRevert(acting(registry, accounts.bank).unfreezeCard(UNKNOWN_CARD), registry, "CardUnknown", [UNKNOWN_CARD]);
      });
    });

    shouldBeActOf({
      fixture: frozenCardFixture,
      contract: (f) => f.registry,
      institution: ROLES.BANK,
      fn: "unfreezeCard",
      args: () => [ALICE.cardId],
    });
  });

  describe("closeCard", function () {
    describe("when the card is open", function () {
      it("closes an active card and emits CardClosed with the operator's credential", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        await expect(acting(registry, accounts.bank).closeCard(ALICE.cardId))
          .to.emit(registry, "CardClosed")
          .withArgs(ALICE.cardId, CREDENTIALS.bank);
        const alice = await registry.card(ALICE.cardId);
        expect(alice.status).to.equal(CardStatus.Closed);
        expect(alice.account).to.equal(1n);
      });

      it("closes a frozen card", async function () {
        const { registry, accounts } = await loadFixture(frozenCardFixture);
        await expect(acting(registry, accounts.bank).closeCard(ALICE.cardId))
          .to.emit(registry, "CardClosed")
          .withArgs(ALICE.cardId, CREDENTIALS.bank);
        expect((await registry.card(ALICE.cardId)).status).to.equal(CardStatus.Closed);
      });
    });

    describe("when the card is closed or unknown", function () {
      it("rejects a closed card", async function () {
        const { registry, accounts } = await loadFixture(closedCardFixture);
        await expectActRevert(acting(registry, accounts.bank).closeCard(ALICE.cardId), registry, "CardStatusForbids", [ALICE.cardId, CardStatus.Closed]);
      });

      it("rejects an unknown card", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        await expectActRevert(acting(registry, accounts.bank).closeCard(UNKNOWN_CARD), registry, "CardUnknown", [UNKNOWN_CARD]);
      });
    });

    shouldBeActOf({
      fixture: issuedCardsFixture,
      contract: (f) => f.registry,
      institution: ROLES.BANK,
      fn: "closeCard",
      args: () => [ALICE.cardId],
    });
  });

  describe("replaceCard", function () {
    describe("when approved under dual control", function () {
      it("emits CardReplaced with the carried-over account and Locked for the new card", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        const { action, proposalId } = await propose(
          registry,
          accounts.creditCenter,
          replaceAction(registry, ALICE.cardId, ALICE_NEW.cardId, ALICE_NEW.key),
        );
        await expect(dual(registry, accounts.bank).approve(proposalId, action))
          .to.emit(registry, "CardReplaced")
          .withArgs(ALICE.cardId, ALICE_NEW.cardId, 1n, ALICE_NEW.key)
          .and.to.emit(registry, "Locked")
          .withArgs(BigInt(ALICE_NEW.cardId));
      });

      it("closes the old card and records its replacement", async function () {
        const { registry } = await loadFixture(replacedCardFixture);
        const old = await registry.card(ALICE.cardId);
        expect(old.status).to.equal(CardStatus.Closed);
        expect(old.key).to.equal(ALICE.key);
        expect(old.account).to.equal(1n);
        expect(await registry.replacementOf(ALICE.cardId)).to.equal(ALICE_NEW.cardId);
        expect(await registry.replacementOf(ALICE_NEW.cardId)).to.equal(ethers.ZeroHash);
      });

      it("gives the new card the old account, kind and identity commitment with the new key", async function () {
        const { registry } = await loadFixture(replacedCardFixture);
        const fresh = await registry.card(ALICE_NEW.cardId);
        expect(fresh.key).to.equal(ALICE_NEW.key);
        expect(fresh.status).to.equal(CardStatus.Active);
        expect(fresh.kind).to.equal(BigInt(CardKind.Consumer));
        expect(fresh.account).to.equal(1n);
        expect(await registry.identityCommitmentOf(ALICE_NEW.cardId)).to.equal(ALICE.commitment);
      });

      it("keeps the merchant kind of a merchant card", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        const shopNew = cardIdFor("shop:replacement");
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          replaceAction(registry, SHOP.cardId, shopNew, keyFor("shop:replacement").address),
        );
        await dual(registry, accounts.creditCenter).approve(proposalId, action);
        const fresh = await registry.card(shopNew);
        expect(fresh.kind).to.equal(BigInt(CardKind.Merchant));
        expect(fresh.account).to.equal(2n);
        expect(await registry.identityCommitmentOf(shopNew)).to.equal(SHOP.commitment);
      });

      it("does not use up an account number", async function () {
        const { registry, accounts } = await loadFixture(replacedCardFixture);
        const third = cardIdFor("third");
        await issueCard(
          registry,
          accounts.bank,
          accounts.creditCenter,
          third,
          CardKind.Consumer,
          keyFor("third").address,
        );
        expect((await registry.card(third)).account).to.equal(3n);
      });

      it("replaces a frozen card with an active one", async function () {
        const { registry, accounts } = await loadFixture(frozenCardFixture);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          replaceAction(registry, ALICE.cardId, ALICE_NEW.cardId, ALICE_NEW.key),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.emit(registry, "CardReplaced")
          .withArgs(ALICE.cardId, ALICE_NEW.cardId, 1n, ALICE_NEW.key);
        expect((await registry.card(ALICE.cardId)).status).to.equal(CardStatus.Closed);
        expect((await registry.card(ALICE_NEW.cardId)).status).to.equal(CardStatus.Active);
      });

      it("carries a closed card's account over to a new card", async function () {
        const { registry, accounts } = await loadFixture(closedCardFixture);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          replaceAction(registry, ALICE.cardId, ALICE_NEW.cardId, ALICE_NEW.key),
        );
        await dual(registry, accounts.creditCenter).approve(proposalId, action);
        expect((await registry.card(ALICE_NEW.cardId)).account).to.equal(1n);
        expect(await registry.replacementOf(ALICE.cardId)).to.equal(ALICE_NEW.cardId);
      });

      it("lets the replacement itself be replaced, keeping the account", async function () {
        const { registry, accounts } = await loadFixture(replacedCardFixture);
        const third = cardIdFor("alice:third");
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          replaceAction(registry, ALICE_NEW.cardId, third, keyFor("alice:third").address),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.emit(registry, "CardReplaced")
          .withArgs(ALICE_NEW.cardId, third, 1n, keyFor("alice:third").address);
        expect(await registry.identityCommitmentOf(third)).to.equal(ALICE.commitment);
      });
    });

    describe("when the replacement cannot be made", function () {
      it("refuses to replace a card a second time", async function () {
        const { registry, accounts } = await loadFixture(replacedCardFixture);
        const other = cardIdFor("alice:other");
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          replaceAction(registry, ALICE.cardId, other, keyFor("alice:other").address),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, innerError(registry, "CardStatusForbids", [ALICE.cardId, CardStatus.Closed]));
        expect(await registry.replacementOf(ALICE.cardId)).to.equal(ALICE_NEW.cardId);
      });

      it("refuses a new card ID that is already issued, leaving the old card open", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          replaceAction(registry, ALICE.cardId, SHOP.cardId, ALICE_NEW.key),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, innerError(registry, "CardAlreadyExists", [SHOP.cardId]));
        expect((await registry.card(ALICE.cardId)).status).to.equal(CardStatus.Active);
        expect(await registry.replacementOf(ALICE.cardId)).to.equal(ethers.ZeroHash);
        expect((await registry.card(SHOP.cardId)).account).to.equal(2n);
      });

      it("refuses to replace a card with itself", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          replaceAction(registry, ALICE.cardId, ALICE.cardId, ALICE_NEW.key),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, innerError(registry, "CardAlreadyExists", [ALICE.cardId]));
      });

      it("refuses an unknown old card", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          replaceAction(registry, UNKNOWN_CARD, ALICE_NEW.cardId, ALICE_NEW.key),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, innerError(registry, "CardUnknown", [UNKNOWN_CARD]));
      });

      it("refuses a zero new card ID", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          replaceAction(registry, ALICE.cardId, ethers.ZeroHash, ALICE_NEW.key),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, innerError(registry, "CardInvalidId"));
      });

      it("refuses a zero new key", async function () {
        const { registry, accounts } = await loadFixture(issuedCardsFixture);
        const { action, proposalId } = await propose(
          registry,
          accounts.bank,
          replaceAction(registry, ALICE.cardId, ALICE_NEW.cardId, ethers.ZeroAddress),
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, innerError(registry, "CardInvalidKey"));
      });
    });
  });

  describe("card", function () {
    it("returns an empty record with status None for an unknown card", async function () {
      const { registry } = await loadFixture(issuedCardsFixture);
      const unknown = await registry.card(UNKNOWN_CARD);
      expect(unknown.key).to.equal(ethers.ZeroAddress);
      expect(unknown.status).to.equal(CardStatus.None);
      expect(unknown.account).to.equal(0n);
      expect(await registry.identityCommitmentOf(UNKNOWN_CARD)).to.equal(ethers.ZeroHash);
    });
  });

  describe("cardWords", function () {
    it("returns each card's record as one word (key, status, kind, account), and zero for an unknown card", async function () {
      const { registry } = await loadFixture(replacedCardFixture);
      const ids = [ALICE.cardId, UNKNOWN_CARD, SHOP.cardId, ALICE_NEW.cardId];
      const words = await registry.cardWords(ids);
      const asWord = (c: { key: string; status: bigint; kind: bigint; account: bigint }) =>
        BigInt(c.key) | (c.status << 160n) | (c.kind << 168n) | (c.account << 176n);
      expect(words).to.deep.equal(await Promise.all(ids.map(async (cardId) => asWord(await registry.card(cardId)))));
      expect(words[1]).to.equal(0n);
      expect((words[0] >> 160n) & 0xffn).to.equal(CardStatus.Closed);
    });
  });

  describe("locked", function () {
    it("is true for an issued card, whatever its status", async function () {
      const { registry } = await loadFixture(replacedCardFixture);
      expect(await registry.locked(BigInt(ALICE_NEW.cardId))).to.equal(true);
      expect(await registry.locked(BigInt(ALICE.cardId))).to.equal(true);
      expect(await registry.locked(BigInt(SHOP.cardId))).to.equal(true);
    });

    it("is true for a frozen card", async function () {
      const { registry } = await loadFixture(frozenCardFixture);
      expect(await registry.locked(BigInt(ALICE.cardId))).to.equal(true);
    });

    it("reverts with CardUnknown for a token that is not an issued card", async function () {
      const { registry } = await loadFixture(issuedCardsFixture);
      await expect(registry.locked(BigInt(UNKNOWN_CARD)))
        .to.be.revertedWithCustomError(registry, "CardUnknown")
        .withArgs(UNKNOWN_CARD);
      await expect(registry.locked(0n))
        .to.be.revertedWithCustomError(registry, "CardUnknown")
        .withArgs(ethers.ZeroHash);
    });
  });

  describe("supportsInterface", function () {
    it("supports ERC-5192, whose ID is the selector of locked(uint256)", async function () {
      const { registry } = await loadFixture(deploySuite);
      expect(registry.interface.getFunction("locked").selector).to.equal(ERC5192_INTERFACE_ID);
      expect(await registry.supportsInterface(ERC5192_INTERFACE_ID)).to.equal(true);
    });

    it("supports IAccessControl and ERC-165", async function () {
      const { registry } = await loadFixture(deploySuite);
      const accessControlId = interfaceId(IAccessControl__factory.createInterface());
      expect(accessControlId).to.equal("0x7965db0b");
      expect(await registry.supportsInterface(accessControlId)).to.equal(true);
      expect(await registry.supportsInterface(interfaceId(IERC165__factory.createInterface()))).to.equal(true);
    });

    it("rejects the invalid interface ID 0xffffffff", async function () {
      const { registry } = await loadFixture(deploySuite);
      expect(await registry.supportsInterface("0xffffffff")).to.equal(false);
    });
  });
});
