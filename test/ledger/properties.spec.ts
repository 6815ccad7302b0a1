/**
 * Property tests of the ledger against the TypeScript reference (src/domain/points.ts) and a
 * TypeScript model of the books. The invariants are those stated in PointsLedger's header:
 * every balance = earned - reversed - redeemed; the balances add up to the totals; the points
 * reversed for an order never exceed the points it earned.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Wallet } from "ethers";
import {
  MAX_BASE_RATE_BPS,
  MAX_CATEGORY_MULTIPLIER,
  MULTIPLIER_SCALE,
  packMultipliers,
  reversedShare,
  type Agreement,
} from "../../src/domain/points";
import { batchDigest } from "../../src/domain/settled-order";
import { DEFAULT_AGREEMENT, latestTime } from "../helpers/suite";
import {
  LIMITS,
  Reversal,
  deployLedgerFixture,
  expectedEarning,
  locate,
  redemptionMessage,
  settleRecorded,
  signItem,
  signRedemption,
  refundAt,
  submitRedemption,
  submitRefund,
  type LedgerFixture,
  type LocatedOrder,
  type MerchantSetup,
} from "../helpers/ledger-ops";
import { acting } from "../helpers/dual-control";

const { MAX_AMOUNT } = LIMITS;

const UINT32_MAX = 2n ** 32n - 1n;

describe("PointsLedger: properties", function () {
  describe("pricing", function () {
    // Any agreement the registry accepts: multipliers up to 10x, and the base rate lowered where
    // needed so that no category's rate passes MAX_BASE_RATE_BPS.
    const agreementArb = fc
      .record({
        baseRateBps: fc.bigInt(0n, MAX_BASE_RATE_BPS),
        maxPointsPerSettlement: fc.oneof(fc.bigInt(1n, 10_000n), fc.bigInt(1n, UINT32_MAX)),
        minAmount: fc.bigInt(0n, 5_000n),
        multipliers: fc.array(fc.integer({ min: 0, max: MAX_CATEGORY_MULTIPLIER }), { minLength: 16, maxLength: 16 }),
      })
      .map((t) => {
        const highest = BigInt(Math.max(...t.multipliers));
        const ceiling = highest === 0n ? MAX_BASE_RATE_BPS : (MAX_BASE_RATE_BPS * MULTIPLIER_SCALE) / highest;
        return { ...t, baseRateBps: t.baseRateBps < ceiling ? t.baseRateBps : ceiling };
      });
    const settlementArb = fc.record({
      amount: fc.oneof(fc.bigInt(1n, 100_000n), fc.bigInt(1n, MAX_AMOUNT)),
      category: fc.integer({ min: 0, max: 15 }),
      consumer: fc.integer({ min: 0, max: 3 }),
    });

    it("earns the points and credit points of src/domain/points.ts for any agreement and settlement", async function () {
      await fc.assert(
        fc.asyncProperty(
          agreementArb,
          fc.bigInt(0n, 10_000n),
          fc.array(settlementArb, { minLength: 1, maxLength: 4 }),
          async (terms, creditRateBps, settlements) => {
            const f = await loadFixture(deployLedgerFixture);
            const { ledger, registry, accounts, shop, consumers } = f;
            const agreement: Agreement = {
              ...DEFAULT_AGREEMENT,
              baseRateBps: terms.baseRateBps,
              maxPointsPerSettlement: terms.maxPointsPerSettlement,
              minAmount: terms.minAmount,
              categoryMultipliers: packMultipliers(terms.multipliers),
            };
            await (await acting(registry, accounts.bank).setAgreement(shop.id, agreement)).wait();
            await (await acting(registry, accounts.bank).setCreditPointRule(creditRateBps)).wait();
            const now = await latestTime();
            const items = await Promise.all(
              settlements.map((s, i) =>
                signItem(ledger, shop.terminals[0], consumers[s.consumer], {
                  nonce: BigInt(i),
                  time: now,
                  amount: s.amount,
                  category: s.category,
                }),
              ),
            );
            const batch = await settleRecorded(f, items);
            const priced = settlements.filter((s) => s.amount >= agreement.minAmount);
            expect(batch.accepted).to.equal(BigInt(priced.length));
            expect(batch.rejected).to.equal(BigInt(settlements.length - priced.length));
            const expected = priced.map((s) => expectedEarning(agreement, creditRateBps, s.amount, s.category));
            expect(batch.orders.map((o) => [o.points, o.creditPoints])).to.deep.equal(
              expected.map((e) => [e.points, e.credit]),
            );
            expect(batch.digest).to.equal(batchDigest(batch.leaves));
            const [earned] = await ledger.totals();
            expect(earned).to.equal(expected.reduce((sum, e) => sum + e.points, 0n));
          },
        ),
        { numRuns: 30 },
      );
    });
  });

  describe("books", function () {
    interface Counters {
      earned: bigint;
      reversed: bigint;
      redeemed: bigint;
    }

    interface ModelOrder {
      located: LocatedOrder;
      merchant: MerchantSetup;
      refunded: bigint;
      reversedPoints: bigint;
      reversedCredit: bigint;
    }

    /** The books as the ledger should keep them, updated from the TypeScript reference alone. */
    class Model {
      readonly accounts = new Map<string, Counters>();
      readonly holdings = new Map<string, { earned: bigint; reversed: bigint }>();
      readonly merchants = new Map<
        bigint,
        { granted: bigint; reversed: bigint; credit: bigint; creditReversed: bigint; redeemed: bigint }
      >();
      readonly totals: Counters = { earned: 0n, reversed: 0n, redeemed: 0n };
      readonly orders: ModelOrder[] = [];

      account(cardId: string): Counters {
        if (!this.accounts.has(cardId)) this.accounts.set(cardId, { earned: 0n, reversed: 0n, redeemed: 0n });
        return this.accounts.get(cardId)!;
      }

      holding(cardId: string, merchantId: bigint) {
        const key = `${cardId}:${merchantId}`;
        if (!this.holdings.has(key)) this.holdings.set(key, { earned: 0n, reversed: 0n });
        return this.holdings.get(key)!;
      }

      merchant(merchantId: bigint) {
        if (!this.merchants.has(merchantId)) {
          this.merchants.set(merchantId, { granted: 0n, reversed: 0n, credit: 0n, creditReversed: 0n, redeemed: 0n });
        }
        return this.merchants.get(merchantId)!;
      }

      balance(cardId: string): bigint {
        const a = this.account(cardId);
        return a.earned - a.reversed - a.redeemed;
      }

      earn(cardId: string, merchantId: bigint, points: bigint, credit: bigint) {
        this.account(cardId).earned += points;
        this.holding(cardId, merchantId).earned += points;
        const m = this.merchant(merchantId);
        m.granted += points;
        m.credit += credit;
        this.totals.earned += points;
      }

      reverse(cardId: string, merchantId: bigint, points: bigint, credit: bigint) {
        this.account(cardId).reversed += points;
        this.holding(cardId, merchantId).reversed += points;
        const m = this.merchant(merchantId);
        m.reversed += points;
        m.creditReversed += credit;
        this.totals.reversed += points;
      }

      redeem(cardId: string, merchantId: bigint, points: bigint) {
        this.account(cardId).redeemed += points;
        this.merchant(merchantId).redeemed += points;
        this.totals.redeemed += points;
      }
    }

    type Op =
      | { kind: "settle"; items: { consumer: number; till: number; amount: bigint; category: number }[] }
      | { kind: "refund"; consumer: number; order: number; percent: number }
      | { kind: "redeem"; consumer: number; till: number; percent: number };

    const settleArb = fc.record({
      kind: fc.constant("settle" as const),
      items: fc.array(
        fc.record({
          consumer: fc.integer({ min: 0, max: 3 }),
          till: fc.integer({ min: 0, max: 2 }),
          amount: fc.bigInt(100n, 2_000_000n),
          category: fc.integer({ min: 0, max: 15 }),
        }),
        { minLength: 1, maxLength: 5 },
      ),
    });

    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 2, arbitrary: settleArb },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant("refund" as const),
          // An order of this consumer's, if any: refunds then meet the consumer's redemptions.
          consumer: fc.integer({ min: 0, max: 3 }),
          // Small indices: several refunds of one order, down to the full amount, are common.
          order: fc.integer({ min: 0, max: 2 }),
          percent: fc.oneof(fc.constant(100), fc.integer({ min: 1, max: 99 })),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant("redeem" as const),
          consumer: fc.integer({ min: 0, max: 3 }),
          till: fc.integer({ min: 0, max: 2 }),
          // Spending it all is common, so later refunds take balances below zero.
          percent: fc.oneof(fc.constant(100), fc.integer({ min: 1, max: 99 })),
        }),
      },
    );

    /** Three tills: the shop's two terminals and the cafe's, each with its own nonce counter. */
    function tillsOf(f: LedgerFixture): { terminal: Wallet; merchant: MerchantSetup; nonce: bigint }[] {
      return [
        { terminal: f.shop.terminals[0], merchant: f.shop, nonce: 1n },
        { terminal: f.cafe.terminals[0], merchant: f.cafe, nonce: 1n },
        { terminal: f.shop.terminals[1], merchant: f.shop, nonce: 1n },
      ];
    }

    async function apply(f: LedgerFixture, model: Model, tills: ReturnType<typeof tillsOf>, op: Op): Promise<void> {
      const { ledger, gateway, consumers, creditRateBps } = f;
      const now = await latestTime();
      if (op.kind === "settle") {
        const items = [];
        for (const it of op.items) {
          const till = tills[it.till];
          items.push(
            await signItem(ledger, till.terminal, consumers[it.consumer], {
              nonce: till.nonce++,
              time: now,
              amount: it.amount,
              category: it.category,
            }),
          );
        }
        const batch = await settleRecorded(f, items);
        expect(batch.accepted).to.equal(BigInt(items.length));
        for (const [i, it] of op.items.entries()) {
          const merchant = tills[it.till].merchant;
          const { points, credit } = expectedEarning(merchant.agreement!, creditRateBps, it.amount, it.category);
          const located = locate(batch, items[i].settlement.orderId);
          expect([located.order.points, located.order.creditPoints]).to.deep.equal([points, credit]);
          model.earn(consumers[it.consumer].cardId, merchant.id, points, credit);
          model.orders.push({ located, merchant, refunded: 0n, reversedPoints: 0n, reversedCredit: 0n });
        }
      } else if (op.kind === "refund") {
        const cardId = consumers[op.consumer].cardId;
        const candidates = model.orders.filter((o) => o.located.order.cardId === cardId);
        if (candidates.length === 0) return;
        const o = candidates[op.order % candidates.length];
        const { order } = o.located;
        const remaining = order.amount - o.refunded;
        if (remaining === 0n) return;
        const amount = op.percent === 100 ? remaining : (remaining * BigInt(op.percent)) / 100n || 1n;
        const till = tills.find((t) => t.merchant === o.merchant)!;
        const signed = await refundAt(ledger, till.terminal, {
          nonce: till.nonce++,
          order,
          amount,
          time: now,
        });
        const points = reversedShare(order.points, order.amount, o.refunded, o.refunded + amount);
        const credit = reversedShare(order.creditPoints, order.amount, o.refunded, o.refunded + amount);
        await expect(submitRefund(gateway, signed, o.located))
          .to.emit(ledger, "PointsReversed")
          .withArgs(order.cardId, order.merchantId, order.orderId, signed.refund.terminal, signed.refund.nonce, Reversal.Refund, 0n, points, credit, amount);
        o.refunded += amount;
        o.reversedPoints += points;
        o.reversedCredit += credit;
        model.reverse(order.cardId, order.merchantId, points, credit);
      } else {
        const consumer = consumers[op.consumer];
        const balance = model.balance(consumer.cardId);
        if (balance < 1n) return;
        const points = (balance * BigInt(op.percent)) / 100n || 1n;
        const till = tills[op.till];
        const signed = await signRedemption(
          ledger,
          redemptionMessage({
            cardId: consumer.cardId,
            terminal: till.terminal.address,
            nonce: till.nonce++,
            points,
            time: now,
          }),
          till.terminal,
          consumer.key,
        );
        await (await submitRedemption(gateway, signed)).wait();
        model.redeem(consumer.cardId, till.merchant.id, points);
      }
    }

    async function checkInvariants(f: LedgerFixture, model: Model): Promise<void> {
      const { ledger, consumers, shop, cafe } = f;
      let sumOfBalances = 0n;
      for (const c of consumers) {
        const balance = await ledger.balanceOf(c.cardId);
        const stats = await ledger.accountStats(c.cardId);
        expect(balance).to.equal(stats.earned - stats.reversed - stats.redeemed);
        const m = model.account(c.cardId);
        expect([stats.earned, stats.reversed, stats.redeemed]).to.deep.equal([m.earned, m.reversed, m.redeemed]);
        sumOfBalances += balance;
        for (const merchant of [shop, cafe]) {
          const h = await ledger.holding(c.cardId, merchant.id);
          const mh = model.holding(c.cardId, merchant.id);
          expect([h.earned, h.reversed]).to.deep.equal([mh.earned, mh.reversed]);
        }
      }
      const [earned, reversed, redeemed] = await ledger.totals();
      expect(sumOfBalances).to.equal(earned - reversed - redeemed);
      expect([earned, reversed, redeemed]).to.deep.equal([
        model.totals.earned,
        model.totals.reversed,
        model.totals.redeemed,
      ]);
      for (const merchant of [shop, cafe]) {
        const s = await ledger.merchantStats(merchant.id);
        const m = model.merchant(merchant.id);
        expect([
          s.pointsGranted,
          s.pointsReversed,
          s.creditPoints,
          s.creditPointsReversed,
          s.pointsRedeemed,
        ]).to.deep.equal([m.granted, m.reversed, m.credit, m.creditReversed, m.redeemed]);
      }
      for (const o of model.orders) {
        expect(o.reversedPoints).to.be.at.most(o.located.order.points);
        expect(o.reversedCredit).to.be.at.most(o.located.order.creditPoints);
        if (o.refunded === o.located.order.amount) expect(o.reversedPoints).to.equal(o.located.order.points);
        expect(await ledger.refundedAmount(o.located.leaf)).to.equal(o.refunded);
      }
    }

    it("keeps every balance, the totals and each order's reversals consistent over random operations", async function () {
      await fc.assert(
        // Every sequence opens with a batch, so there is something to refund and redeem.
        fc.asyncProperty(settleArb, fc.array(opArb, { minLength: 1, maxLength: 12 }), async (first, rest) => {
          const f = await loadFixture(deployLedgerFixture);
          const model = new Model();
          const tills = tillsOf(f);
          for (const op of [first, ...rest]) await apply(f, model, tills, op);
          await checkInvariants(f, model);
        }),
        { numRuns: 40 },
      );
    });
  });
});
