/**
 * One deploy function for the ledger suite, used by the deploy script, `npm start` and the test
 * fixture alike: deploys the registry and the ledger, and grants the operating roles.
 */
import type { Signer } from "ethers";
import { CredenceRegistry__factory, PointsLedger__factory } from "../../typechain-types";
import type { CredenceRegistry, PointsLedger } from "../../typechain-types";
import { ROLES } from "./roles";

export interface RoleHolders {
  bank: readonly string[];
  creditCenter: readonly string[];
  gateway: readonly string[];
}

export interface Deployment {
  registry: CredenceRegistry;
  ledger: PointsLedger;
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
  const grants: [string, readonly string[]][] = [
    [ROLES.BANK, holders.bank],
    [ROLES.CREDIT_CENTER, holders.creditCenter],
    [ROLES.GATEWAY, holders.gateway],
  ];
  for (const [role, accounts] of grants) {
    for (const account of accounts) await (await registry.grantRole(role, account, { nonce: nonce++ })).wait();
  }
  return { registry, ledger, deploymentBlock: receipt!.blockNumber };
}
