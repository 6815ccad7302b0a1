/**
 * Builders shared by the tests and the gas benchmark: deploy the suite, issue cards under dual
 * control, set up a merchant with a terminal and an agreement, and sign settlements.
 * Tests never assemble digests by hand: they go through src/domain/typed-data.ts.
 */
import { ethers } from "hardhat";
import { Wallet, id, type Signer } from "ethers";
import { deployCredence, secp256k1InitialOperator } from "../../src/chain/deploy";
import { ROLES } from "../../src/chain/roles";
import { NO_DEADLINE, OPERATOR_STEP_TYPES, enrolmentStep, keyHash, removalStep, secp256k1Key } from "../../src/domain/operator-steps";
import { packMultipliers, currencyCode, type Agreement } from "../../src/domain/points";
import {
  ledgerDomain,
  settlementDigest,
  signDigest,
  type SettlementMessage,
} from "../../src/domain/typed-data";
import type { CredenceOperators, CreditGrants, CredenceRegistry, PointsLedger } from "../../typechain-types";
import { acting, dual } from "./dual-control";
import { domainOf, operatorIdFor } from "./operators";
import type { IPointsLedger } from "../../typechain-types/contracts/ledger/PointsLedger";

import { CardKind } from "../../packages/terminal-sdk/src/constants";

export { CardKind };
export const CNY = currencyCode("CNY");

/** A deterministic key from a label, so failures reproduce. */
export function keyFor(label: string): Wallet {
  return new Wallet(id(`credence-test:${label}`));
}

export function cardIdFor(label: string): string {
  return id(`card:${label}`);
}

/**
 * Enrol `account`'s address as a secp256k1 credential of `institution` under `operatorId`,
 * signed by `signer` (an account whose address is a credential of that institution).
 */
export async function enrolAccount(
  operators: CredenceOperators,
  institution: string,
  operatorId: string,
  account: Signer,
  signer: Signer,
): Promise<void> {
  const key = secp256k1Key(await account.getAddress());
  const salt = id(`enrol:${operatorId}`);
  const step = enrolmentStep(institution, operatorId, key, salt);
  const signature = await signer.signTypedData(await domainOf(operators), OPERATOR_STEP_TYPES, step);
  const signerCredential = await operators.credentialOfKey(keyHash(secp256k1Key(await signer.getAddress())));
  await (await operators.enrol(institution, operatorId, key, salt, NO_DEADLINE, [{ credentialId: signerCredential, signature }])).wait();
}

/** The suite's credential IDs (see deploySuite). */
export const CREDENTIALS = { bank: 1n, creditCenter: 2n, bank2: 3n, creditCenter2: 4n } as const;

/** Remove `account`'s credential, signed by the account itself (its own operator may retire it alone). */
export async function removeAccountCredential(operators: CredenceOperators, account: Signer): Promise<void> {
  const key = secp256k1Key(await account.getAddress());
  const credentialId = await operators.credentialOfKey(keyHash(key));
  const salt = id(`remove:${credentialId}`);
  const step = removalStep(credentialId, key, salt);
  const signature = await account.signTypedData(await domainOf(operators), OPERATOR_STEP_TYPES, step);
  await (await operators.remove(credentialId, salt, NO_DEADLINE, [{ credentialId, signature }])).wait();
}

/**
 * The suite. Each operating account is also an operator credential of the secp256k1 (HSM) kind:
 * credential 1 the bank, 2 the credit center (the first operators, registered at deployment),
 * 3 the bank 2 and 4 the credit center 2 (enrolled by 1 and 2). No account holds BANK or
 * CREDIT_CENTER: the bank's single-institution functions are credential-signed acts (`acting`).
 * `governanceKey` deploys instead of the first account (a fresh key gives fixed contract addresses).
 */
export async function deploySuite(governanceKey?: Wallet) {
  const [defaultGovernance, bank, creditCenter, gateway, outsider, bank2, creditCenter2] = await ethers.getSigners();
  const governance = governanceKey ?? defaultGovernance;
  const { operators, registry, ledger, creditScores, creditGrants, deploymentBlock } = await deployCredence(
    governance,
    { gateway: [gateway.address] },
    {
      bank: secp256k1InitialOperator(operatorIdFor("bank"), bank.address),
      creditCenter: secp256k1InitialOperator(operatorIdFor("credit-center"), creditCenter.address),
    },
  );
  await enrolAccount(operators, ROLES.BANK, operatorIdFor("bank2"), bank2, bank);
  await enrolAccount(operators, ROLES.CREDIT_CENTER, operatorIdFor("credit-center2"), creditCenter2, creditCenter);
  return {
    operators,
    registry,
    ledger,
    creditScores,
    creditGrants,
    deploymentBlock,
    accounts: { governance, bank, creditCenter, gateway, outsider, bank2, creditCenter2 },
  };
}

/** Issue a card: the bank proposes, the credit center approves. */
export async function issueCard(
  registry: CredenceRegistry,
  proposer: Signer,
  approver: Signer,
  cardId: string,
  kind: number,
  key: string,
  commitment = id(`commitment:${cardId}`),
): Promise<void> {
  const action = registry.interface.encodeFunctionData("issueCard", [cardId, kind, key, commitment]);
  const proposalId = await proposeAndGetId(registry, proposer, action);
  await (await dual(registry, approver).approve(proposalId, action)).wait();
}

/** Propose an action (signed by `proposer`'s credential) and return the new proposal's ID. */
export async function proposeAndGetId(
  target: CredenceRegistry | PointsLedger | CreditGrants,
  proposer: Signer,
  action: string,
): Promise<bigint> {
  await (await dual(target, proposer).propose(action)).wait();
  return target.proposalCount();
}

export const DEFAULT_AGREEMENT: Agreement = {
  baseRateBps: 100n, // 1 point per 1.00 (100 minor units)
  maxPointsPerSettlement: 5_000n,
  minAmount: 100n,
  validFrom: 0n,
  validUntil: 2n ** 40n - 1n,
  currency: CNY,
  // category 0 at 1x, 1 (groceries) at 2x, 2 (fuel) at 0.5x; others 1x
  categoryMultipliers: packMultipliers([100, 200, 50, ...Array(13).fill(100)]),
};

export const DEFAULT_CREDIT_RATE_BPS = 1_000n; // 1 credit point per 10 points granted

/** A merchant with its card, one enabled terminal, an agreement and the bank's credit rule. */
export async function deployMerchantSuite(governance?: Wallet) {
  const suite = await deploySuite(governance);
  const { registry, accounts } = suite;
  const merchantCardId = cardIdFor("merchant-1");
  const merchantKey = keyFor("merchant-1");
  await issueCard(registry, accounts.bank, accounts.creditCenter, merchantCardId, CardKind.Merchant, merchantKey.address);
  const bank = acting(registry, accounts.bank);
  await (await bank.registerMerchant(merchantCardId)).wait();
  const merchantId = 1n;
  const terminal = keyFor("terminal-1");
  await (await bank.registerTerminal(terminal.address, merchantId)).wait();
  await (await bank.setAgreement(merchantId, DEFAULT_AGREEMENT)).wait();
  await (await bank.setCreditPointRule(DEFAULT_CREDIT_RATE_BPS)).wait();
  const consumers: { cardId: string; key: Wallet }[] = [];
  for (let i = 0; i < 3; i++) {
    const key = keyFor(`consumer-${i}`);
    const cardId = cardIdFor(`consumer-${i}`);
    await issueCard(registry, accounts.bank, accounts.creditCenter, cardId, CardKind.Consumer, key.address);
    consumers.push({ cardId, key });
  }
  return { ...suite, merchant: { id: merchantId, cardId: merchantCardId, key: merchantKey }, terminal, consumers };
}

export async function latestTime(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  return BigInt(block!.timestamp);
}

/** A settlement message with sensible defaults; override any field. */
export function settlementMessage(
  fields: Pick<SettlementMessage, "cardId" | "terminal" | "nonce" | "time"> & Partial<SettlementMessage>,
): SettlementMessage {
  return {
    orderId: id(`order:${fields.terminal}:${fields.nonce}`),
    slipHash: id(`slip:${fields.terminal}:${fields.nonce}`),
    amount: 12_345n,
    currency: CNY,
    category: 0,
    ...fields,
  };
}

/** Sign a settlement with the terminal key and the card key, in the ledger's domain. */
export async function signSettlement(
  ledger: PointsLedger,
  message: SettlementMessage,
  terminalKey: Wallet,
  cardKey: Wallet,
): Promise<IPointsLedger.SignedSettlementStruct> {
  const { chainId } = await ledger.runner!.provider!.getNetwork();
  const digest = settlementDigest(ledgerDomain(chainId, await ledger.getAddress()), message);
  const t = signDigest(terminalKey.signingKey, digest);
  const c = signDigest(cardKey.signingKey, digest);
  return {
    settlement: message,
    signatures: { terminalR: t.r, terminalVS: t.vs, cardR: c.r, cardVS: c.vs },
  };
}
