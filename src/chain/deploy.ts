/**
 * One deploy function for the ledger suite, used by the deploy script, `npm start` and the test
 * fixture alike: deploys the operators' credentials (CredenceOperators) with each institution's
 * first operator, the registry (which grants the initial GATEWAY and CARD_FREEZER holders at
 * construction), the ledger (named to the registry, which records every card in it) and the credit
 * center's contracts.
 */
import { ZeroAddress, id, type Signer } from "ethers";
import {
  CredenceOperators__factory,
  CreditGrants__factory,
  CreditScores__factory,
  CredenceRegistry__factory,
  PointsLedger__factory,
} from "../../typechain-types";
import type { CredenceOperators, CreditGrants, CreditScores, CredenceRegistry, PointsLedger } from "../../typechain-types";
import type { IOperatorCredentials } from "../../typechain-types/contracts/access/CredenceOperators";
import { passkeyKey, secp256k1Key } from "../domain/operator-steps";

/**
 * The addresses granted a role at deployment: the relayers (GATEWAY) and the keys that relay a
 * holder's lost-card report (CARD_FREEZER, which can only freeze an active consumer card). BANK
 * and CREDIT_CENTER are institutions of operator credentials, never granted to addresses.
 */
export interface RoleHolders {
  gateway: readonly string[];
  /** Default none: operators grant it later (scheduleRoleGrant, then grantRole after the delay). */
  cardFreezers?: readonly string[];
}

/** Each institution's first operator: a credential (or a one-time enrolment code's key). */
export interface InitialOperators {
  bank: IOperatorCredentials.InitialOperatorStruct;
  creditCenter: IOperatorCredentials.InitialOperatorStruct;
}

export interface Deployment {
  operators: CredenceOperators;
  registry: CredenceRegistry;
  ledger: PointsLedger;
  creditScores: CreditScores;
  creditGrants: CreditGrants;
  /** Block the credentials contract (the first) was deployed in: where an audit's replay starts. */
  deploymentBlock: number;
}

/** Seconds a governance handover waits (OpenZeppelin AccessControlDefaultAdminRules). */
export const DEFAULT_ADMIN_DELAY = 2 * 24 * 3600;

/** Seconds between scheduling a role grant (a new relayer) and making it, on a real network. */
export const ROLE_GRANT_DELAY = 2 * 24 * 3600;

/**
 * Deploy the suite with `governance` as the default admin of the registry and of the credentials
 * contract (it must be the deployer's address). The GATEWAY holders are granted at construction;
 * later grants wait `roleGrantDelay` seconds after governance schedules them. Every
 * single-institution act and dual-control step is signed by a credential of `operators`.
 */
export async function deployCredence(
  governance: Signer,
  holders: RoleHolders,
  operators: InitialOperators,
  roleGrantDelay: number = ROLE_GRANT_DELAY,
): Promise<Deployment> {
  // Explicit nonces: some nodes answer a "pending" nonce query with a stale count right after a
  // transaction is mined, and a deployment must not depend on that.
  let nonce = await governance.getNonce("latest");
  const governanceAddress = await governance.getAddress();
  const credentials = await new CredenceOperators__factory(governance).deploy(
    DEFAULT_ADMIN_DELAY,
    governanceAddress,
    operators.bank,
    operators.creditCenter,
    { nonce: nonce++ },
  );
  const receipt = await credentials.deploymentTransaction()!.wait();
  const registry = await new CredenceRegistry__factory(governance).deploy(
    DEFAULT_ADMIN_DELAY,
    governanceAddress,
    await credentials.getAddress(),
    roleGrantDelay,
    [...holders.gateway],
    [...(holders.cardFreezers ?? [])],
    { nonce: nonce++ },
  );
  await registry.waitForDeployment();
  const ledger = await new PointsLedger__factory(governance).deploy(await registry.getAddress(), { nonce: nonce++ });
  await ledger.waitForDeployment();
  // Before the first card: the registry records every card in the ledger, which settles from that copy.
  await (await registry.setLedger(await ledger.getAddress(), { nonce: nonce++ })).wait();
  const credit = await deployCreditCenter(governance, await registry.getAddress(), await ledger.getAddress(), nonce);
  return { operators: credentials, registry, ledger, ...credit, deploymentBlock: receipt!.blockNumber };
}

/**
 * Deploy the credit center's contracts (scores and grants) beside an existing registry and
 * ledger. They hold no role of their own: the registry's credentials contract verifies their
 * operators' steps, so no grant is needed.
 * Uses two nonces from `nonce` (read from the node if omitted).
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

/** An institution's first operator named by a secp256k1 (HSM-kind) key's address. */
export function secp256k1InitialOperator(operatorId: string, signer: string): IOperatorCredentials.InitialOperatorStruct {
  return { operatorId, key: secp256k1Key(signer), enrolmentCode: ZeroAddress };
}

/** A first credential as an institution hands it over: a passkey's coordinates or an HSM's address. */
export type HandedOverKey = { kind: "passkey"; qx: string; qy: string } | { kind: "hsm"; signer: string };

/** Operator IDs of the first operators when the institutions name none. */
export const FIRST_OPERATOR_IDS = {
  bank: id("credence.first-operator:bank"),
  creditCenter: id("credence.first-operator:credit-center"),
} as const;

/**
 * The first operators of a real network (ADR 0001, section 3): each institution's public key,
 * handed over, registered at construction under its operator ID. Nobody else sees a private key.
 */
export function publicKeyInitialOperators(first: {
  bank: HandedOverKey;
  creditCenter: HandedOverKey;
  bankOperatorId?: string;
  creditCenterOperatorId?: string;
}): InitialOperators {
  const operator = (key: HandedOverKey, operatorId: string): IOperatorCredentials.InitialOperatorStruct => ({
    operatorId,
    key: key.kind === "passkey" ? passkeyKey(key.qx, key.qy) : secp256k1Key(key.signer),
    enrolmentCode: ZeroAddress,
  });
  return {
    bank: operator(first.bank, first.bankOperatorId ?? FIRST_OPERATOR_IDS.bank),
    creditCenter: operator(first.creditCenter, first.creditCenterOperatorId ?? FIRST_OPERATOR_IDS.creditCenter),
  };
}
