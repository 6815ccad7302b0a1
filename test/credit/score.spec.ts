/**
 * The score formulas (contracts/libraries/CreditScoring.sol) against their TypeScript reference
 * (src/credit/score.ts), with property-based cases: equal on arbitrary statistics and times,
 * bounded to 0..1000, monotonic where the formula promises it, deterministic.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import {
  MAX_SCORE,
  MONTH,
  SCORE_VERSION,
  consumerScore,
  merchantScore,
  type AccountStats,
  type MerchantStats,
} from "../../src/credit/score";

const U32 = 2n ** 32n - 1n;
const U56 = 2n ** 56n - 1n;
const U64 = 2n ** 64n - 1n;
const DAY = 86_400n;

/** A quantity: mostly the sizes real cards see, sometimes anything the field can hold. */
const amount = (max: bigint) => fc.oneof(fc.bigInt(0n, 50_000n), fc.bigInt(0n, max));

const timeline = fc
  .record({ first: fc.bigInt(1n, U32 - 2_000n * DAY), span: fc.bigInt(0n, 800n * DAY), age: fc.bigInt(-600n, 400n * DAY) })
  .map(({ first, span, age }) => {
    const last = first + span > U32 ? U32 : first + span;
    const now = last + age < 0n ? 0n : last + age;
    return { firstActivity: first, lastActivity: last, now };
  });

const accountArb = fc
  .record({ earned: amount(U56), reversedShare: fc.bigInt(0n, 10_000n), redeemed: amount(U56), merchantCount: fc.bigInt(0n, 40n), t: timeline, empty: fc.boolean() })
  .map(({ earned, reversedShare, redeemed, merchantCount, t, empty }) => ({
    stats: {
      earned,
      reversed: (earned * reversedShare) / 10_000n,
      redeemed: redeemed > earned ? earned : redeemed,
      merchantCount,
      firstActivity: empty ? 0n : t.firstActivity,
      lastActivity: empty ? 0n : t.lastActivity,
    } satisfies AccountStats,
    now: t.now,
  }));

const merchantArb = fc
  .record({ granted: amount(U64), reversedShare: fc.bigInt(0n, 10_000n), credit: amount(U64), creditReversed: amount(U64), consumers: fc.bigInt(0n, 200n), t: timeline })
  .map(({ granted, reversedShare, credit, creditReversed, consumers, t }) => ({
    stats: {
      pointsGranted: granted,
      pointsReversed: (granted * reversedShare) / 10_000n,
      creditPoints: credit,
      creditPointsReversed: creditReversed > credit ? credit : creditReversed,
      consumersServed: consumers,
      firstActivity: t.firstActivity,
      lastActivity: t.lastActivity,
    } satisfies MerchantStats,
    now: t.now,
  }));

/** MerchantStats as the contract's struct (pointsRedeemed does not enter the score). */
const onChain = (s: MerchantStats) => ({ ...s, pointsRedeemed: 0n });

async function deployHarness() {
  return { harness: await ethers.deployContract("CreditScoringHarness") };
}

describe("CreditScoring: score formulas", function () {
  describe("against the TypeScript reference", function () {
    it("computes the consumer score of src/credit/score.ts for any statistics and time", async function () {
      const { harness } = await loadFixture(deployHarness);
      await fc.assert(
        fc.asyncProperty(accountArb, async ({ stats, now }) => {
          expect(await harness.consumerScore(stats, now)).to.equal(consumerScore(stats, now));
        }),
        { numRuns: 150 },
      );
    });

    it("computes the merchant score of src/credit/score.ts for any statistics and time", async function () {
      const { harness } = await loadFixture(deployHarness);
      await fc.assert(
        fc.asyncProperty(merchantArb, async ({ stats, now }) => {
          expect(await harness.merchantScore(onChain(stats), now)).to.equal(merchantScore(stats, now));
        }),
        { numRuns: 150 },
      );
    });

    it("publishes the reference's formula version", async function () {
      const scores = await ethers.deployContract("CreditScores", [ethers.ZeroAddress, ethers.ZeroAddress]);
      expect(await scores.SCORE_VERSION()).to.equal(BigInt(SCORE_VERSION));
    });
  });

  describe("range", function () {
    it("keeps every score within 0..1000", function () {
      fc.assert(
        fc.property(accountArb, merchantArb, (c, m) => {
          for (const s of [consumerScore(c.stats, c.now), merchantScore(m.stats, m.now)]) {
            expect(s >= 0n && s <= MAX_SCORE, String(s)).to.equal(true);
          }
        }),
        { numRuns: 1_000 },
      );
    });

    it("scores a card without history 0 and the best possible history near 1000", async function () {
      const { harness } = await loadFixture(deployHarness);
      const none: AccountStats = { earned: 0n, reversed: 0n, redeemed: 0n, merchantCount: 0n, firstActivity: 0n, lastActivity: 0n };
      expect(await harness.consumerScore(none, 1_700_000_000n)).to.equal(0n);
      const best: AccountStats = { earned: U56, reversed: 0n, redeemed: 10n ** 6n, merchantCount: 100n, firstActivity: 1n, lastActivity: 1n + 24n * MONTH };
      expect(await harness.consumerScore(best, best.lastActivity)).to.equal(999n);
      const bestMerchant: MerchantStats = { pointsGranted: U64, pointsReversed: 0n, creditPoints: U64, creditPointsReversed: 0n, consumersServed: 1_000n, firstActivity: 1n, lastActivity: 1n + 24n * MONTH };
      expect(await harness.merchantScore(onChain(bestMerchant), bestMerchant.lastActivity)).to.equal(999n);
    });

    it("scores 0 when half or more of the points earned were reversed", function () {
      fc.assert(
        fc.property(accountArb, ({ stats, now }) => {
          expect(consumerScore({ ...stats, reversed: (stats.earned + 1n) / 2n }, now)).to.equal(0n);
        }),
      );
    });
  });

  describe("monotonicity", function () {
    const grow = fc.bigInt(1n, 100_000n);

    it("never lowers a consumer's score when points earned, points redeemed or distinct merchants grow", function () {
      fc.assert(
        fc.property(accountArb, grow, ({ stats, now }, d) => {
          const base = consumerScore(stats, now);
          expect(consumerScore({ ...stats, earned: stats.earned + d }, now)).to.be.gte(base);
          expect(consumerScore({ ...stats, redeemed: stats.redeemed + d }, now)).to.be.gte(base);
          expect(consumerScore({ ...stats, merchantCount: stats.merchantCount + 1n }, now)).to.be.gte(base);
        }),
        { numRuns: 1_000 },
      );
    });

    it("never raises a consumer's score when points reversed grow or time passes without activity", function () {
      fc.assert(
        fc.property(accountArb, grow, ({ stats, now }, d) => {
          const base = consumerScore(stats, now);
          const reversed = stats.reversed + d > stats.earned ? stats.earned : stats.reversed + d;
          expect(consumerScore({ ...stats, reversed }, now)).to.be.lte(base);
          expect(consumerScore(stats, now + d * 60n)).to.be.lte(base);
        }),
        { numRuns: 1_000 },
      );
    });

    it("never lowers a consumer's score when the history is longer (first activity earlier)", function () {
      fc.assert(
        fc.property(accountArb, fc.bigInt(1n, 400n * DAY), ({ stats, now }, d) => {
          fc.pre(stats.firstActivity > d);
          expect(consumerScore({ ...stats, firstActivity: stats.firstActivity - d }, now)).to.be.gte(consumerScore(stats, now));
        }),
        { numRuns: 1_000 },
      );
    });

    it("never lowers a merchant's score when credit points, points granted or consumers served grow", function () {
      fc.assert(
        fc.property(merchantArb, grow, ({ stats, now }, d) => {
          const base = merchantScore(stats, now);
          expect(merchantScore({ ...stats, creditPoints: stats.creditPoints + d }, now)).to.be.gte(base);
          expect(merchantScore({ ...stats, pointsGranted: stats.pointsGranted + d }, now)).to.be.gte(base);
          expect(merchantScore({ ...stats, consumersServed: stats.consumersServed + 1n }, now)).to.be.gte(base);
        }),
        { numRuns: 1_000 },
      );
    });

    it("never raises a merchant's score when points reversed grow or time passes without activity", function () {
      fc.assert(
        fc.property(merchantArb, grow, ({ stats, now }, d) => {
          const base = merchantScore(stats, now);
          const reversed = stats.pointsReversed + d > stats.pointsGranted ? stats.pointsGranted : stats.pointsReversed + d;
          expect(merchantScore({ ...stats, pointsReversed: reversed }, now)).to.be.lte(base);
          expect(merchantScore(stats, now + d * 60n)).to.be.lte(base);
        }),
        { numRuns: 1_000 },
      );
    });
  });

  describe("determinism", function () {
    it("gives the same score for the same statistics and time, whatever the block", async function () {
      const { harness } = await loadFixture(deployHarness);
      await fc.assert(
        fc.asyncProperty(accountArb, async ({ stats, now }) => {
          const before = await harness.consumerScore(stats, now);
          await mine(1);
          expect(await harness.consumerScore(stats, now)).to.equal(before);
          expect(consumerScore(stats, now)).to.equal(consumerScore({ ...stats }, now));
        }),
        { numRuns: 20 },
      );
    });
  });
});
