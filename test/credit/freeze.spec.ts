/**
 * CreditGrants' emergency freeze (an `act` of either institution, at once, lapsing after
 * FREEZE_LAPSE unless the other institution confirms it), its dual-controlled unfreeze, and the
 * expiry of a grant.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ROLES } from "../../src/chain/roles";
import { StepKind } from "../../src/domain/operator-steps";
import { CREDENTIALS, latestTime, proposeAndGetId } from "../helpers/suite";
import { YEAR, grantAction, grantedFixture, jointly } from "../helpers/credit";
import { dual, acting, expectActRevert, operatorsOf } from "../helpers/dual-control";

const FREEZE_LAPSE = 3n * 86_400n;

/** The granted fixture with the rich card's grant frozen by the bank's first operator. */
async function bankFrozenFixture() {
  const f = await grantedFixture();
  await (await acting(f.creditGrants, f.accounts.bank).freezeCredit(f.rich.cardId)).wait();
  const freeze = await f.creditGrants.freezeOf(f.rich.cardId);
  return { ...f, lapsesAt: freeze.lapsesAt };
}

/** The bank's freeze, confirmed by the credit center. */
async function confirmedFreezeFixture() {
  const f = await bankFrozenFixture();
  await (await dual(f.creditGrants, f.accounts.creditCenter).confirm(f.rich.cardId)).wait();
  return f;
}

describe("CreditGrants: freeze and expiry", function () {
  describe("freezeCredit (an act of either institution)", function () {
    for (const who of ["bank", "creditCenter"] as const) {
      it(`lets the ${who === "bank" ? "bank" : "credit center"} alone freeze a grant at once, lapsing after FREEZE_LAPSE`, async function () {
        const f = await loadFixture(grantedFixture);
        const account = (await f.registry.card(f.rich.cardId)).account;
        const institution = who === "bank" ? ROLES.BANK : ROLES.CREDIT_CENTER;
        const tx = acting(f.creditGrants, f.accounts[who]).freezeCredit(f.rich.cardId);
        const lapsesAt = (await latestTime()) + 1n + FREEZE_LAPSE;
        await expect(tx)
          .to.emit(f.creditGrants, "CreditFrozen")
          .withArgs(f.rich.cardId, account, CREDENTIALS[who], institution, lapsesAt)
          .and.to.emit(f.creditGrants, "ActionPerformed");
        expect((await f.creditGrants.grantOf(f.rich.cardId)).frozen).to.equal(true);
        expect((await f.creditGrants.creditOf(f.rich.cardId)).availableLimit).to.equal(0n);
        expect(await f.creditGrants.FREEZE_LAPSE()).to.equal(FREEZE_LAPSE);
      });
    }

    it("refuses a direct call, even from an operator's account", async function () {
      const f = await loadFixture(grantedFixture);
      await expect(f.creditGrants.connect(f.accounts.bank).freezeCredit(f.rich.cardId))
        .to.be.revertedWithCustomError(f.creditGrants, "DualControlOnlySelf")
        .withArgs(f.accounts.bank.address);
    });

    it("refuses freezing a frozen grant or a card without a grant", async function () {
      const f = await loadFixture(bankFrozenFixture);
      await expectActRevert(acting(f.creditGrants, f.accounts.creditCenter).freezeCredit(f.rich.cardId), f.creditGrants, "CreditGrantFrozen", [f.rich.cardId]);
      await expectActRevert(acting(f.creditGrants, f.accounts.bank).freezeCredit(f.fresh.cardId), f.creditGrants, "CreditNoGrant", [f.fresh.cardId]);
    });
  });

  describe("an unconfirmed freeze", function () {
    it("lapses at lapsesAt: the views, the credit line and a new grant treat it as not frozen", async function () {
      const f = await loadFixture(bankFrozenFixture);
      await time.increaseTo(f.lapsesAt - 1n);
      expect((await f.creditGrants.grantOf(f.rich.cardId)).frozen).to.equal(true);
      await time.increaseTo(f.lapsesAt);
      expect((await f.creditGrants.grantOf(f.rich.cardId)).frozen).to.equal(false);
      const line = await f.creditGrants.creditOf(f.rich.cardId);
      expect(line.grant.frozen).to.equal(false);
      expect(line.availableLimit).to.equal(f.limit);
      const [page] = await f.creditGrants.creditPage(1n, 100n);
      expect(page.some((l) => l.grant.frozen)).to.equal(false);
      await jointly(f.creditGrants, f.accounts.bank, f.accounts.creditCenter, grantAction(f.creditGrants, f.rich.cardId, f.limit, (await latestTime()) + YEAR));
    });

    it("cannot be renewed by the same institution until it has lapsed for FREEZE_LAPSE again", async function () {
      const f = await loadFixture(bankFrozenFixture);
      const renewableAt = f.lapsesAt + FREEZE_LAPSE;
      await time.increaseTo(f.lapsesAt);
      await expectActRevert(acting(f.creditGrants, f.accounts.bank2).freezeCredit(f.rich.cardId), f.creditGrants, "CreditFreezeRenewalTooSoon", [
        f.rich.cardId,
        ROLES.BANK,
        renewableAt,
      ]);
      await time.setNextBlockTimestamp(renewableAt);
      await expect(acting(f.creditGrants, f.accounts.bank2).freezeCredit(f.rich.cardId)).to.emit(f.creditGrants, "CreditFrozen");
    });

    it("may be followed at once by a freeze of the other institution", async function () {
      const f = await loadFixture(bankFrozenFixture);
      await time.increaseTo(f.lapsesAt);
      await expect(acting(f.creditGrants, f.accounts.creditCenter).freezeCredit(f.rich.cardId)).to.emit(f.creditGrants, "CreditFrozen");
      expect((await f.creditGrants.grantOf(f.rich.cardId)).frozen).to.equal(true);
    });
  });

  describe("confirmFreeze", function () {
    it("keeps a freeze confirmed by the other institution past its lapse time", async function () {
      const f = await loadFixture(bankFrozenFixture);
      const account = (await f.registry.card(f.rich.cardId)).account;
      await expect(dual(f.creditGrants, f.accounts.creditCenter2, f.accounts.outsider).confirm(f.rich.cardId))
        .to.emit(f.creditGrants, "CreditFreezeConfirmed")
        .withArgs(f.rich.cardId, account, CREDENTIALS.creditCenter2);
      await time.increaseTo(f.lapsesAt + YEAR / 2n);
      expect((await f.creditGrants.grantOf(f.rich.cardId)).frozen).to.equal(true);
      expect((await f.creditGrants.freezeOf(f.rich.cardId)).confirmed).to.equal(true);
      expect((await f.creditGrants.creditOf(f.rich.cardId)).availableLimit).to.equal(0n);
    });

    it("refuses a confirmation by the institution that froze", async function () {
      const f = await loadFixture(bankFrozenFixture);
      await expect(dual(f.creditGrants, f.accounts.bank2).confirm(f.rich.cardId))
        .to.be.revertedWithCustomError(await operatorsOf(f.creditGrants), "OperatorCredentialsWrongInstitution")
        .withArgs(CREDENTIALS.bank2, ROLES.BANK, ROLES.CREDIT_CENTER);
    });

    it("refuses confirming a lapsed freeze, a confirmed one, or a grant never frozen", async function () {
      const f = await loadFixture(bankFrozenFixture);
      await expect(dual(f.creditGrants, f.accounts.creditCenter).confirm(f.fresh.cardId))
        .to.be.revertedWithCustomError(f.creditGrants, "CreditNoGrant")
        .withArgs(f.fresh.cardId);
      await time.increaseTo(f.lapsesAt);
      await expect(dual(f.creditGrants, f.accounts.creditCenter).confirm(f.rich.cardId))
        .to.be.revertedWithCustomError(f.creditGrants, "CreditGrantNotFrozen")
        .withArgs(f.rich.cardId);
    });

    it("refuses a second confirmation", async function () {
      const f = await loadFixture(confirmedFreezeFixture);
      await expect(dual(f.creditGrants, f.accounts.creditCenter2).confirm(f.rich.cardId))
        .to.be.revertedWithCustomError(f.creditGrants, "CreditFreezeAlreadyConfirmed")
        .withArgs(f.rich.cardId);
    });

    it("refuses a confirmation signed for an earlier freeze of the same grant", async function () {
      const f = await loadFixture(bankFrozenFixture);
      const [subject, actionHash] = await f.creditGrants.freezeConfirmation(f.rich.cardId);
      const stale = await dual(f.creditGrants, f.accounts.creditCenter).step(StepKind.Confirm, subject, actionHash);
      await time.increaseTo(f.lapsesAt + FREEZE_LAPSE);
      await (await acting(f.creditGrants, f.accounts.bank).freezeCredit(f.rich.cardId)).wait();
      await expect(f.creditGrants.connect(f.accounts.outsider).confirmFreeze(f.rich.cardId, stale)).to.be.revertedWithCustomError(
        await operatorsOf(f.creditGrants),
        "OperatorSignaturesWrongSigner",
      );
      expect((await f.creditGrants.freezeOf(f.rich.cardId)).confirmed).to.equal(false);
    });
  });

  describe("unfreezeCredit (dual control)", function () {
    it("keeps a confirmed freeze until both institutions lift it; no new grant meanwhile", async function () {
      const f = await loadFixture(confirmedFreezeFixture);
      await expect(f.creditGrants.connect(f.accounts.bank).unfreezeCredit(f.rich.cardId))
        .to.be.revertedWithCustomError(f.creditGrants, "DualControlOnlySelf")
        .withArgs(f.accounts.bank.address);
      const regrant = grantAction(f.creditGrants, f.rich.cardId, f.limit, (await latestTime()) + YEAR);
      const regrantId = await proposeAndGetId(f.creditGrants, f.accounts.creditCenter, regrant);
      await expect(dual(f.creditGrants, f.accounts.bank).approve(regrantId, regrant))
        .to.be.revertedWithCustomError(f.creditGrants, "DualControlActionFailed")
        .withArgs(regrantId, f.creditGrants.interface.encodeErrorResult("CreditGrantFrozen", [f.rich.cardId]));

      const unfreeze = f.creditGrants.interface.encodeFunctionData("unfreezeCredit", [f.rich.cardId]);
      const account = (await f.registry.card(f.rich.cardId)).account;
      const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.bank, unfreeze);
      await expect(dual(f.creditGrants, f.accounts.bank2).approve(proposalId, unfreeze)).to.be.revertedWithCustomError(f.creditGrants, "DualControlApproverNotCounterpart");
      await expect(dual(f.creditGrants, f.accounts.creditCenter).approve(proposalId, unfreeze))
        .to.emit(f.creditGrants, "CreditUnfrozen")
        .withArgs(f.rich.cardId, account);
      expect((await f.creditGrants.creditOf(f.rich.cardId)).availableLimit).to.equal(f.limit);
    });

    it("fails unfreezing a grant that is not frozen with CreditGrantNotFrozen", async function () {
      const f = await loadFixture(grantedFixture);
      const unfreeze = f.creditGrants.interface.encodeFunctionData("unfreezeCredit", [f.rich.cardId]);
      const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.bank, unfreeze);
      await expect(dual(f.creditGrants, f.accounts.creditCenter).approve(proposalId, unfreeze))
        .to.be.revertedWithCustomError(f.creditGrants, "DualControlActionFailed")
        .withArgs(proposalId, f.creditGrants.interface.encodeErrorResult("CreditGrantNotFrozen", [f.rich.cardId]));
    });
  });

  describe("expiry", function () {
    it("makes nothing available once the grant expires, until a new grant is approved", async function () {
      const f = await loadFixture(grantedFixture);
      await time.increaseTo(f.expiresAt - 1n);
      expect((await f.creditGrants.creditOf(f.rich.cardId)).availableLimit).to.equal(f.limit);
      await time.increaseTo(f.expiresAt);
      expect((await f.creditGrants.creditOf(f.rich.cardId)).availableLimit).to.equal(0n);
      expect((await f.creditGrants.grantOf(f.rich.cardId)).limit).to.equal(f.limit);
    });
  });
});
