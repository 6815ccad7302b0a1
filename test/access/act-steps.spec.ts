/**
 * Single-institution acts (contracts/access/DualControl.sol `act`, verified by
 * CredenceOperators): a credential of the function's institution runs it at once and the action
 * is attributed to it, whoever relays; a credential of the other institution, a removed
 * credential, a replayed signature, a signature made for another contract and a function that is
 * not actable are each refused with their own error. Both kinds of credential act: the suite's
 * accounts as secp256k1 (HSM) keys and a passkey of the bank.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { expect } from "chai";
import { keccak256 } from "ethers";
import { ROLES } from "../../src/chain/roles";
import { CredentialStatus, StepKind } from "../../src/domain/operator-steps";
import { CREDENTIALS, CardKind, cardIdFor, deploySuite, issueCard, keyFor, removeAccountCredential } from "../helpers/suite";
import { actionOf, dual, enrolHolder, signedStep } from "../helpers/dual-control";
import { passkeyFor } from "../helpers/operators";

const SHOP_CARD = cardIdFor("act:shop");

/** The suite, a bank passkey (credential 5) and an issued merchant card. */
async function actFixture() {
  const suite = await deploySuite();
  const { operators, registry, accounts } = suite;
  const ana = await enrolHolder(operators, ROLES.BANK, "act:bank-ana", { passkey: passkeyFor("act:bank-ana") }, [accounts.bank, accounts.bank2]);
  await issueCard(registry, accounts.bank, accounts.creditCenter, SHOP_CARD, CardKind.Merchant, keyFor("act:shop").address);
  const register = actionOf(registry, "registerMerchant", [SHOP_CARD]);
  return { ...suite, ana, register };
}

describe("act (DualControl)", function () {
  describe("when signed by a credential of the function's institution", function () {
    it("runs the action at once and attributes it to the HSM credential, whoever relays", async function () {
      const f = await loadFixture(actFixture);
      await expect(dual(f.registry, f.accounts.bank2, f.accounts.outsider).act(f.register))
        .to.emit(f.registry, "MerchantRegistered")
        .withArgs(1n, SHOP_CARD)
        .and.to.emit(f.registry, "ActionPerformed")
        .withArgs(CREDENTIALS.bank2, ROLES.BANK, f.register)
        .and.to.emit(f.operators, "OperatorStepVerified")
        .withArgs(anyValue, CREDENTIALS.bank2, StepKind.Act, 0n, keccak256(f.register));
    });

    it("runs the action for a passkey credential", async function () {
      const f = await loadFixture(actFixture);
      await expect(dual(f.registry, f.ana, f.accounts.outsider).act(f.register))
        .to.emit(f.registry, "ActionPerformed")
        .withArgs(f.ana.credentialId, ROLES.BANK, f.register);
      expect(await f.registry.merchantOfCard(SHOP_CARD)).to.equal(1n);
    });

    it("acts on the ledger too: a bank credential pauses it", async function () {
      const f = await loadFixture(actFixture);
      const pause = actionOf(f.ledger, "pause", []);
      await expect(dual(f.ledger, f.accounts.bank).act(pause))
        .to.emit(f.ledger, "Paused")
        .withArgs(CREDENTIALS.bank)
        .and.to.emit(f.ledger, "ActionPerformed")
        .withArgs(CREDENTIALS.bank, ROLES.BANK, pause);
    });
  });

  describe("when refused", function () {
    it("refuses a credential of the other institution, naming it and both institutions", async function () {
      const f = await loadFixture(actFixture);
      await expect(dual(f.registry, f.accounts.creditCenter).act(f.register))
        .to.be.revertedWithCustomError(f.operators, "OperatorCredentialsWrongInstitution")
        .withArgs(CREDENTIALS.creditCenter, ROLES.CREDIT_CENTER, ROLES.BANK);
    });

    it("refuses a removed credential", async function () {
      const f = await loadFixture(actFixture);
      await removeAccountCredential(f.operators, f.accounts.bank2);
      await expect(dual(f.registry, f.accounts.bank2).act(f.register))
        .to.be.revertedWithCustomError(f.operators, "OperatorCredentialsCredentialNotActive")
        .withArgs(CREDENTIALS.bank2, CredentialStatus.Removed);
    });

    it("refuses an account that is no credential", async function () {
      const f = await loadFixture(actFixture);
      await expect(dual(f.registry, f.accounts.governance).act(f.register))
        .to.be.revertedWithCustomError(f.operators, "OperatorCredentialsCredentialNotActive")
        .withArgs(0n, CredentialStatus.None);
    });

    it("refuses a replayed signature, whoever relays it", async function () {
      const f = await loadFixture(actFixture);
      const step = await signedStep(f.registry, f.accounts.bank, StepKind.Act, 0n, keccak256(f.register));
      await (await f.registry.connect(f.accounts.outsider).act(f.register, step)).wait();
      await expect(f.registry.connect(f.accounts.gateway).act(f.register, step)).to.be.revertedWithCustomError(
        f.operators,
        "OperatorCredentialsStepAlreadyUsed",
      );
    });

    it("refuses a signature made for another contract (the ledger's domain)", async function () {
      const f = await loadFixture(actFixture);
      const pause = actionOf(f.ledger, "pause", []);
      const forRegistry = await signedStep(f.registry, f.accounts.bank, StepKind.Act, 0n, keccak256(pause));
      await expect(f.ledger.connect(f.accounts.outsider).act(pause, forRegistry))
        .to.be.revertedWithCustomError(f.operators, "OperatorSignaturesWrongSigner")
        .withArgs(f.accounts.bank.address, anyValue);
    });

    it("refuses a signature for another action", async function () {
      const f = await loadFixture(actFixture);
      const step = await signedStep(f.registry, f.accounts.bank, StepKind.Act, 0n, keccak256(f.register));
      const other = actionOf(f.registry, "setCreditPointRule", [500]);
      await expect(f.registry.act(other, step))
        .to.be.revertedWithCustomError(f.operators, "OperatorSignaturesWrongSigner")
        .withArgs(f.accounts.bank.address, anyValue);
    });

    it("refuses a function that is not actable: a dual-controlled one, a view, or no selector", async function () {
      const f = await loadFixture(actFixture);
      const issue = actionOf(f.registry, "issueCard", [cardIdFor("act:x"), CardKind.Consumer, keyFor("act:x").address, keccak256("0x01")]);
      const erase = actionOf(f.registry, "recordIdentityErasure", [SHOP_CARD]);
      const grant = actionOf(f.creditGrants, "grantCredit", [SHOP_CARD, 1n, 1n]);
      for (const [target, action] of [
        [f.registry, issue],
        [f.registry, erase],
        [f.creditGrants, grant],
      ] as const) {
        await expect(dual(target, f.accounts.bank).act(action))
          .to.be.revertedWithCustomError(target, "DualControlActionNotActable")
          .withArgs(action.slice(0, 10));
      }
      await expect(dual(f.registry, f.accounts.bank).act("0x1234"))
        .to.be.revertedWithCustomError(f.registry, "DualControlActionNotActable")
        .withArgs("0x00000000");
    });

    it("bubbles a failing action's error in DualControlActFailed", async function () {
      const f = await loadFixture(actFixture);
      const unknown = cardIdFor("act:nobody");
      const freeze = actionOf(f.registry, "freezeCard", [unknown]);
      const step = await signedStep(f.registry, f.accounts.bank, StepKind.Act, 0n, keccak256(freeze));
      await expect(f.registry.act(freeze, step))
        .to.be.revertedWithCustomError(f.registry, "DualControlActFailed")
        .withArgs(freeze.slice(0, 10), f.registry.interface.encodeErrorResult("CardUnknown", [unknown]));
    });
  });
});

describe("recordIdentityErasure (dual control)", function () {
  it("emits IdentityErasureApproved only when the other institution approves", async function () {
    const f = await loadFixture(actFixture);
    const erase = actionOf(f.registry, "recordIdentityErasure", [SHOP_CARD]);
    await (await dual(f.registry, f.accounts.creditCenter).propose(erase)).wait();
    const proposalId = await f.registry.proposalCount();
    await expect(dual(f.registry, f.accounts.creditCenter2).approve(proposalId, erase)).to.be.revertedWithCustomError(
      f.registry,
      "DualControlApproverNotCounterpart",
    );
    await expect(dual(f.registry, f.accounts.bank).approve(proposalId, erase))
      .to.emit(f.registry, "IdentityErasureApproved")
      .withArgs(SHOP_CARD);
  });

  it("refuses a direct call and an unknown card", async function () {
    const f = await loadFixture(actFixture);
    await expect(f.registry.connect(f.accounts.bank).recordIdentityErasure(SHOP_CARD))
      .to.be.revertedWithCustomError(f.registry, "DualControlOnlySelf")
      .withArgs(f.accounts.bank.address);
    const unknown = cardIdFor("act:nobody");
    const erase = actionOf(f.registry, "recordIdentityErasure", [unknown]);
    await (await dual(f.registry, f.accounts.bank).propose(erase)).wait();
    const proposalId = await f.registry.proposalCount();
    await expect(dual(f.registry, f.accounts.creditCenter).approve(proposalId, erase))
      .to.be.revertedWithCustomError(f.registry, "DualControlActionFailed")
      .withArgs(proposalId, f.registry.interface.encodeErrorResult("CardUnknown", [unknown]));
  });
});
