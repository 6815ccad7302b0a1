/**
 * Credit-center fixtures and builders: the ledger fixture with a credit policy in force, dual
 * control on CreditGrants (propose by one role, approve by the other), settlements that earn
 * points at a merchant, and the TypeScript reference's view of a card's score and eligibility.
 */
import type { Signer } from "ethers";
import type { CreditGrants } from "../../typechain-types";
import { consumerPoints, consumerScore, merchantPoints, merchantScore } from "../../src/credit/score";
import { eligibleLimit, type Tier } from "../../src/credit/policy";
import { CardKind, latestTime, proposeAndGetId } from "./suite";
import { deployLedgerFixture, settleRecorded, signItem, type Consumer, type LedgerFixture, type MerchantSetup } from "./ledger-ops";
import { dual } from "./dual-control";

/** Consumer tiers: 1,000.00 from score 300 and 500 points; 5,000.00 from 500 and 2,000; 20,000.00 from 700 and 10,000. */
export const CONSUMER_TIERS: Tier[] = [
  { minScore: 300, minPoints: 500n, limit: 100_000n },
  { minScore: 500, minPoints: 2_000n, limit: 500_000n },
  { minScore: 700, minPoints: 10_000n, limit: 2_000_000n },
];

/** Merchant tiers, on credit points: 2,000.00 from 50; 10,000.00 from 300; 50,000.00 from 1,000. */
export const MERCHANT_TIERS: Tier[] = [
  { minScore: 100, minPoints: 50n, limit: 200_000n },
  { minScore: 250, minPoints: 300n, limit: 1_000_000n },
  { minScore: 400, minPoints: 1_000n, limit: 5_000_000n },
];

export const DAY = 86_400n;
export const MONTH = 30n * DAY;
export const YEAR = 365n * DAY;

/** Propose `action` on CreditGrants as `proposer`, approve it as `approver`; returns the proposal ID. */
export async function jointly(grants: CreditGrants, proposer: Signer, approver: Signer, action: string): Promise<bigint> {
  const proposalId = await proposeAndGetId(grants, proposer, action);
  await (await dual(grants, approver).approve(proposalId, action)).wait();
  return proposalId;
}

export function policyAction(grants: CreditGrants, kind: number, tiers: readonly Tier[]): string {
  return grants.interface.encodeFunctionData("setPolicy", [kind, tiers.map((t) => ({ ...t }))]);
}

export function grantAction(grants: CreditGrants, cardId: string, limit: bigint, expiresAt: bigint): string {
  return grants.interface.encodeFunctionData("grantCredit", [cardId, limit, expiresAt]);
}

/** The ledger fixture with both policies in force (versions 1 and 2) and a nonce counter per terminal. */
export async function deployCreditFixture() {
  const f = await deployLedgerFixture();
  const { creditGrants, accounts } = f;
  await jointly(creditGrants, accounts.creditCenter, accounts.bank, policyAction(creditGrants, CardKind.Consumer, CONSUMER_TIERS));
  await jointly(creditGrants, accounts.bank, accounts.creditCenter, policyAction(creditGrants, CardKind.Merchant, MERCHANT_TIERS));
  return { ...f, nonces: new Map<string, bigint>() };
}

export type CreditFixture = Awaited<ReturnType<typeof deployCreditFixture>>;

/** Settle one purchase of `amount` (minor units) by `consumer` at `merchant`'s first terminal, now. */
export async function purchase(
  f: Pick<LedgerFixture, "ledger" | "gateway"> & { nonces: Map<string, bigint> },
  merchant: MerchantSetup,
  consumer: Consumer,
  amount: bigint,
): Promise<void> {
  const terminal = merchant.terminals[0];
  const nonce = f.nonces.get(terminal.address) ?? 0n;
  f.nonces.set(terminal.address, nonce + 1n);
  const item = await signItem(f.ledger, terminal, consumer, { nonce, time: await latestTime(), amount });
  const batch = await settleRecorded(f, [item]);
  if (batch.accepted !== 1n) throw new Error(`purchase at merchant ${merchant.id} was rejected`);
}

/** A card's score, points and eligible limit by the TypeScript reference, from the ledger's statistics, at `now`. */
export async function expectedCredit(f: LedgerFixture, cardId: string, now: bigint) {
  const card = await f.registry.card(cardId);
  const tiersOf = (kind: bigint) => (kind === 0n ? CONSUMER_TIERS : MERCHANT_TIERS);
  let score = 0n;
  let points = 0n;
  if (card.kind === 0n) {
    const s = await f.ledger.accountStats(cardId);
    score = consumerScore(s, now);
    points = consumerPoints(s);
  } else {
    const merchantId = await f.registry.merchantOfCard(cardId);
    if (merchantId !== 0n) {
      const s = await f.ledger.merchantStats(merchantId);
      score = merchantScore(s, now);
      points = merchantPoints(s);
    }
  }
  return { score, points, eligible: eligibleLimit(tiersOf(card.kind), score, points, card.status === 1n) };
}

/** The credit fixture with consumer 0 eligible (purchases at two merchants) and consumer 1 without history. */
export async function eligibleFixture() {
  const f = await deployCreditFixture();
  const [rich, fresh] = f.consumers;
  await purchase(f, f.cafe, rich, 500_000n);
  await purchase(f, f.shop, rich, 100_000n);
  const expected = await expectedCredit(f, rich.cardId, await latestTime());
  if (expected.eligible !== CONSUMER_TIERS[0].limit) throw new Error(`fixture: consumer eligible for ${expected.eligible}`);
  return { ...f, rich, fresh, eligible: expected.eligible };
}

/** eligibleFixture with a grant of half the eligible limit for a year, proposed by the credit center. */
export async function grantedFixture() {
  const f = await eligibleFixture();
  const limit = f.eligible / 2n;
  const expiresAt = (await latestTime()) + YEAR;
  await jointly(f.creditGrants, f.accounts.creditCenter, f.accounts.bank, grantAction(f.creditGrants, f.rich.cardId, limit, expiresAt));
  return { ...f, limit, expiresAt };
}
