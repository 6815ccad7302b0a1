/**
 * Shared behaviour for single-institution functions (contracts/access/DualControl.sol `act`), in
 * the manner of OpenZeppelin's `*.behavior.js`: one call declares, for a function that one
 * institution performs alone, the call that would otherwise succeed, and generates the tests
 * that every other way in is refused: a direct call (even from the account of one of that
 * institution's credentials) and an act signed by a credential of the other institution.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { Signer } from "ethers";
import { ROLES } from "../../src/chain/roles";
import { actionOf, credentialOf, dual, operatorsOf, type DualControlled } from "./dual-control";

export interface ActRequirement<F extends { accounts: Record<string, Signer> }> {
  /** Fixture the tests load; define it as a named module-level function (loadFixture needs one). */
  fixture: () => Promise<F>;
  /** The contract whose function it is. */
  contract: (f: F) => DualControlled;
  /** The institution the function belongs to (ROLES.BANK or ROLES.CREDIT_CENTER). */
  institution: string;
  /** The function's name and arguments that would otherwise succeed. */
  fn: string;
  args: (f: F) => readonly unknown[];
}

/**
 * Generate, inside the current `describe`: a direct call by the institution's own first
 * operator's account is refused with `DualControlOnlySelf`, and an act signed by the other
 * institution's first operator with `OperatorCredentialsWrongInstitution`.
 */
export function shouldBeActOf<F extends { accounts: Record<string, Signer> }>(requirement: ActRequirement<F>): void {
  const own = requirement.institution === ROLES.BANK ? "bank" : "creditCenter";
  const other = own === "bank" ? "creditCenter" : "bank";
  const otherInstitution = other === "bank" ? ROLES.BANK : ROLES.CREDIT_CENTER;
  describe("when not acted by a credential of its institution", function () {
    it(`refuses a direct call, even from the ${own === "bank" ? "bank's" : "credit center's"} operator account`, async function () {
      const f = await loadFixture(requirement.fixture);
      const contract = requirement.contract(f);
      const caller = f.accounts[own];
      const data = actionOf(contract, requirement.fn, requirement.args(f));
      await expect(caller.sendTransaction({ to: await contract.getAddress(), data }))
        .to.be.revertedWithCustomError(contract, "DualControlOnlySelf")
        .withArgs(await caller.getAddress());
    });

    it(`refuses an act signed by a credential of the ${other === "bank" ? "bank" : "credit center"}`, async function () {
      const f = await loadFixture(requirement.fixture);
      const contract = requirement.contract(f);
      const actor = f.accounts[other];
      const action = actionOf(contract, requirement.fn, requirement.args(f));
      await expect(dual(contract, actor).act(action))
        .to.be.revertedWithCustomError(await operatorsOf(contract), "OperatorCredentialsWrongInstitution")
        .withArgs(await credentialOf(contract, actor), otherInstitution, requirement.institution);
    });
  });
}
