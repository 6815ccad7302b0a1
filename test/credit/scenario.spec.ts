/**
 * The credit center's story, end to end on chain: a consumer with no credit history earns points
 * at three merchants over six simulated months, becomes eligible, and receives a credit limit the
 * credit center proposes and the bank approves; a merchant's eligible limit, and then its granted
 * limit, rise with the credit points it earns.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { CardKind, DEFAULT_AGREEMENT, cardIdFor, issueCard, keyFor, latestTime } from "../helpers/suite";
import { CONSUMER_TIERS, MERCHANT_TIERS, MONTH, deployCreditFixture, jointly, expectedCredit, grantAction, purchase } from "../helpers/credit";
import { dual, acting } from "../helpers/dual-control";

const MONTHS = 6;

interface Month {
  consumer: { score: bigint; points: bigint; eligible: bigint };
  cafe: { score: bigint; points: bigint; eligible: bigint };
}

/** A new consumer shopping monthly at the shop, the cafe and the newcomer (now with an agreement); one snapshot per month. */
async function sixMonthsFixture() {
  const f = await deployCreditFixture();
  await (await acting(f.registry, f.accounts.bank).setAgreement(f.newcomer.id, DEFAULT_AGREEMENT)).wait();
  const newcomer = { ...f.newcomer, agreement: DEFAULT_AGREEMENT };
  const key = keyFor("no-history");
  const consumer = { cardId: cardIdFor("no-history"), key };
  await issueCard(f.registry, f.accounts.bank, f.accounts.creditCenter, consumer.cardId, CardKind.Consumer, key.address);

  const before = {
    score: (await f.creditScores.scoreOf(consumer.cardId)).score,
    eligible: await f.creditGrants.eligibleLimit(consumer.cardId),
  };
  const months: Month[] = [];
  for (let m = 0; m < MONTHS; m++) {
    if (m > 0) await time.increase(MONTH);
    await purchase(f, f.shop, consumer, 50_000n); // 500.00 -> 500 points
    await purchase(f, f.cafe, consumer, 10_000n); // 100.00 -> 1,000 points
    await purchase(f, newcomer, consumer, 20_000n); // 200.00 -> 200 points
    const read = async (cardId: string) => {
      const line = await f.creditGrants.creditOf(cardId);
      return { score: line.card.score, points: line.card.points, eligible: line.eligibleLimit };
    };
    months.push({ consumer: await read(consumer.cardId), cafe: await read(f.cafe.cardId) });
  }
  return { ...f, consumer, before, months };
}

describe("Credit center scenario", function () {
  it("starts a consumer without history at score 0, eligible for nothing", async function () {
    const f = await loadFixture(sixMonthsFixture);
    expect(f.before).to.deep.equal({ score: 0n, eligible: 0n });
    expect(f.months[0].consumer.eligible).to.equal(0n);
  });

  it("raises the consumer's score month after month until the policy makes it eligible", async function () {
    const f = await loadFixture(sixMonthsFixture);
    const scores = f.months.map((m) => m.consumer.score);
    for (let i = 1; i < scores.length; i++) expect(scores[i], `month ${i + 1}`).to.be.greaterThan(scores[i - 1]);
    const firstEligible = f.months.findIndex((m) => m.consumer.eligible > 0n);
    expect(firstEligible, "month the consumer first became eligible (0-based)").to.equal(2);
    expect(f.months[firstEligible - 1].consumer.score).to.be.lessThan(BigInt(CONSUMER_TIERS[0].minScore));
    expect(f.months[MONTHS - 1].consumer.eligible).to.equal(CONSUMER_TIERS[0].limit);
    // The chain's figures are the reference's.
    const now = await latestTime();
    const expected = await expectedCredit(f, f.consumer.cardId, now);
    expect(f.months[MONTHS - 1].consumer).to.deep.equal({ score: expected.score, points: expected.points, eligible: expected.eligible });
  });

  it("grants the consumer a limit the credit center proposes and the bank approves", async function () {
    const f = await loadFixture(sixMonthsFixture);
    const limit = f.months[MONTHS - 1].consumer.eligible;
    const expiresAt = (await latestTime()) + 12n * MONTH;
    const action = grantAction(f.creditGrants, f.consumer.cardId, limit, expiresAt);
    await expect(dual(f.creditGrants, f.accounts.creditCenter).propose(action)).to.emit(f.creditGrants, "ProposalCreated");
    const proposalId = await f.creditGrants.proposalCount();
    expect((await f.creditGrants.creditOf(f.consumer.cardId)).availableLimit).to.equal(0n);
    await expect(dual(f.creditGrants, f.accounts.bank).approve(proposalId, action)).to.emit(f.creditGrants, "CreditGranted");
    const line = await f.creditGrants.creditOf(f.consumer.cardId);
    expect([line.grant.limit, line.grant.expiresAt, line.grant.policyVersion, line.availableLimit]).to.deep.equal([limit, expiresAt, 2n, limit]);
  });

  it("raises a merchant's eligible limit with the credit points it earns, and its granted limit with it", async function () {
    const f = await loadFixture(sixMonthsFixture);
    const first = f.months[0].cafe;
    const last = f.months[MONTHS - 1].cafe;
    expect(last.points).to.be.greaterThan(first.points);
    expect(first.eligible).to.equal(MERCHANT_TIERS[0].limit);
    expect(last.eligible).to.equal(MERCHANT_TIERS[1].limit);
    const points = f.months.map((m) => m.cafe.points);
    const eligible = f.months.map((m) => m.cafe.eligible);
    for (let i = 1; i < MONTHS; i++) {
      expect(points[i]).to.be.greaterThan(points[i - 1]);
      expect(eligible[i]).to.be.gte(eligible[i - 1]);
    }

    const expiresAt = (await latestTime()) + 12n * MONTH;
    await jointly(f.creditGrants, f.accounts.bank, f.accounts.creditCenter, grantAction(f.creditGrants, f.cafe.cardId, first.eligible, expiresAt));
    expect((await f.creditGrants.grantOf(f.cafe.cardId)).limit).to.equal(first.eligible);
    await expect(dual(f.creditGrants, f.accounts.creditCenter).propose(grantAction(f.creditGrants, f.cafe.cardId, last.eligible + 1n, expiresAt)))
      .to.be.revertedWithCustomError(f.creditGrants, "CreditLimitAboveEligible")
      .withArgs(f.cafe.cardId, last.eligible + 1n, last.eligible);
    await jointly(f.creditGrants, f.accounts.creditCenter, f.accounts.bank, grantAction(f.creditGrants, f.cafe.cardId, last.eligible, expiresAt));
    expect((await f.creditGrants.grantOf(f.cafe.cardId)).limit).to.equal(last.eligible);
  });
});
