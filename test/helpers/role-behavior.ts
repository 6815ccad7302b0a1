/**
 * Shared behaviour for role checks (in the manner of OpenZeppelin's `*.behavior.js`): one call
 * declares, for a role-gated function, the accounts that must be refused, and generates one test
 * per account asserting OpenZeppelin's `AccessControlUnauthorizedAccount(account, role)`.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { BaseContract, ContractTransactionResponse, Signer } from "ethers";
import { ROLES } from "../../src/chain/roles";

/** A contract that declares OpenZeppelin's access-control errors and answers `hasRole`. */
export interface RoleGated extends BaseContract {
  hasRole(role: string, account: string): Promise<boolean>;
}

/** OpenZeppelin's DEFAULT_ADMIN_ROLE. */
export const DEFAULT_ADMIN_ROLE = `0x${"00".repeat(32)}`;

const ROLE_NAMES: Record<string, string> = {
  [ROLES.BANK]: "bank",
  [ROLES.CREDIT_CENTER]: "credit-center",
  [ROLES.GATEWAY]: "gateway",
  [DEFAULT_ADMIN_ROLE]: "default admin",
};

/**
 * An account key of the suite as it reads in a test title: "creditCenter2" -> "the credit
 * center 2", "governance" -> "the default admin".
 */
export function accountLabel(name: string): string {
  if (name === "governance") return "the default admin";
  return `the ${name.replace(/([a-z])([A-Z0-9])/g, "$1 $2").toLowerCase()}`;
}

/** Assert that `call` reverted because `account` lacks `role`. */
export async function expectUnauthorized(
  call: Promise<unknown>,
  contract: BaseContract,
  account: Signer,
  role: string,
): Promise<void> {
  await expect(call)
    .to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount")
    .withArgs(await account.getAddress(), role);
}

export interface RoleRequirement<F extends { accounts: Record<string, Signer> }> {
  /** Fixture the tests load; define it as a named module-level function (loadFixture needs one). */
  fixture: () => Promise<F>;
  /** The contract holding the roles, whose ABI declares the error. */
  contract: (f: F) => RoleGated;
  /** The role the function requires (bytes32). */
  role: string;
  /** Keys of `accounts` that do not hold the role and must be refused. */
  callers: readonly (keyof F["accounts"] & string)[];
  /** The call under test, made by `caller`, with arguments that would otherwise succeed. */
  call: (f: F, caller: Signer) => Promise<ContractTransactionResponse>;
}

/**
 * Generate, inside the current `describe`, one test per caller: the caller does not hold the
 * role (checked first, so a fixture change cannot make the test vacuous) and its call reverts
 * with `AccessControlUnauthorizedAccount(caller, role)`.
 */
export function shouldRequireRole<F extends { accounts: Record<string, Signer> }>(
  requirement: RoleRequirement<F>,
): void {
  const roleName = ROLE_NAMES[requirement.role] ?? requirement.role;
  describe(`when the caller lacks the ${roleName} role`, function () {
    for (const name of requirement.callers) {
      it(`refuses ${accountLabel(name)}`, async function () {
        const f = await loadFixture(requirement.fixture);
        const contract = requirement.contract(f);
        const caller = f.accounts[name];
        expect(await contract.hasRole(requirement.role, await caller.getAddress())).to.equal(false);
        await expectUnauthorized(requirement.call(f, caller), contract, caller, requirement.role);
      });
    }
  });
}
