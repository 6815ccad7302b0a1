/**
 * CreditGrants' emergency freeze (either role alone, at once) and its dual-controlled unfreeze,
 * and the expiry of a grant.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { latestTime, proposeAndGetId } from "../helpers/suite";
import { YEAR, grantAction, grantedFixture } from "../helpers/credit";
import { dual, acting, expectActRevert } from "../helpers/dual-control";

describe("CreditGrants: freeze and expiry", function () {
  describe("freezeCredit (emergency, one role) and unfreezeCredit (dual control)", function () {
    for (const role of ["bank", "creditCenter"] as const) {
      it(`lets the ${role === "bank" ? "bank" : "credit center"} alone freeze a grant at once`, async function () {
        const f = await loadFixture(grantedFixture);
        const account = (await f.registry.card(f.rich.cardId)).account;
        await expect(acting(f.creditGrants, f.accounts[role]).freezeCredit(f.rich.cardId))
          .to.emit(f.creditGrants, "CreditFrozen")
          .withArgs(f.rich.cardId, account, f.accounts[role].address);
        expect((await f.creditGrants.grantOf(f.rich.cardId)).frozen).to.equal(true);
        expect((await f.creditGrants.creditOf(f.rich.cardId)).availableLimit).to.equal(0n);
      });
    }

    it("refuses a freeze by an address holding neither role", async function () {
      const f = await loadFixture(grantedFixture);
      await expectActRevert(acting(f.creditGrants, f.accounts.outsider).freezeCredit(f.rich.cardId), f.creditGrants, "CreditUnauthorized", [f.accounts.outsider.address]);
    });

    it("refuses freezing a frozen grant or a card without a grant", async function () {
      const f = await loadFixture(grantedFixture);
      await (await acting(f.creditGrants, f.accounts.bank).freezeCredit(f.rich.cardId)).wait();
      await expectActRevert(acting(f.creditGrants, f.accounts.creditCenter).freezeCredit(f.rich.cardId), f.creditGrants, "CreditGrantFrozen", [f.rich.cardId]);
      await expectActRevert(acting(f.creditGrants, f.accounts.bank).freezeCredit(f.fresh.cardId), f.creditGrants, "CreditNoGrant", [f.fresh.cardId]);
    });

    it("keeps a frozen grant frozen until both roles lift the freeze; no new grant meanwhile", async function () {
      const f = await loadFixture(grantedFixture);
      await (await acting(f.creditGrants, f.accounts.bank).freezeCredit(f.rich.cardId)).wait();
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
