/**
 * One deploy function for the ledger suite, used by the deploy script, `npm start` and the test
 * fixture alike: deploys the registry, the ledger and the credit center's contracts, and grants
 * the operating roles.
 */
import type { Signer } from "ethers";
import {
  CreditGrants__factory,
  CreditScores__factory,
  CredenceRegistry__factory,
  PointsLedger__factory,
} from "../../typechain-types";
import type { CreditGrants, CreditScores, CredenceRegistry, PointsLedger } from "../../typechain-types";
import { ROLES } from "./roles";

export interface RoleHolders {
  bank: readonly string[];
  creditCenter: readonly string[];
  gateway: readonly string[];
}

export interface Deployment {
  registry: CredenceRegistry;
  ledger: PointsLedger;
  creditScores: CreditScores;
  creditGrants: CreditGrants;
  /** Block the registry was deployed in: where an audit's replay starts. */
  deploymentBlock: number;
}

/** Seconds a governance handover waits (OpenZeppelin AccessControlDefaultAdminRules). */
export const DEFAULT_ADMIN_DELAY = 2 * 24 * 3600;

/**
 * Deploy the suite with `governance` as the default admin (it must be the deployer's address:
 * it grants the roles right after deployment).
 */
export async function deployCredence(governance: Signer, holders: RoleHolders): Promise<Deployment> {
  // Explicit nonces: some nodes answer a "pending" nonce query with a stale count right after a
  // transaction is mined, and a deployment must not depend on that.
  let nonce = await governance.getNonce("latest");
  const registry = await new CredenceRegistry__factory(governance).deploy(
    DEFAULT_ADMIN_DELAY,
    await governance.getAddress(),
    { nonce: nonce++ },
  );
  const receipt = await registry.deploymentTransaction()!.wait();
  const ledger = await new PointsLedger__factory(governance).deploy(await registry.getAddress(), { nonce: nonce++ });
  await ledger.waitForDeployment();
  const credit = await deployCreditCenter(governance, await registry.getAddress(), await ledger.getAddress(), nonce);
  nonce += 2;
  const grants: [string, readonly string[]][] = [
    [ROLES.BANK, holders.bank],
    [ROLES.CREDIT_CENTER, holders.creditCenter],
    [ROLES.GATEWAY, holders.gateway],
  ];
  for (const [role, accounts] of grants) {
    for (const account of accounts) await (await registry.grantRole(role, account, { nonce: nonce++ })).wait();
  }
  return { registry, ledger, ...credit, deploymentBlock: receipt!.blockNumber };
}

/**
 * Deploy the credit center's contracts (scores and grants) beside an existing registry and
 * ledger. They hold no role of their own: CreditGrants asks the registry who is bank or credit
 * center, so no grant is needed. Uses two nonces from `nonce` (read from the node if omitted).
 */
export async function deployCreditCenter(
  deployer: Signer,
  registry: string,
  ledger: string,
  nonce?: number,
): Promise<{ creditScores: CreditScores; creditGrants: CreditGrants }> {
  let next = nonce ?? (await deployer.getNonce("latest"));
  const creditScores = await new CreditScores__factory(deployer).deploy(registry, ledger, { nonce: next++ });
  const creditGrants = await new CreditGrants__factory(deployer).deploy(registry, await creditScores.getAddress(), { nonce: next++ });
  await creditScores.waitForDeployment();
  await creditGrants.waitForDeployment();
  return { creditScores, creditGrants };
}
