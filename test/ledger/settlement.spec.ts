import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { id, ZeroHash } from "ethers";
import { ROLES } from "../../src/chain/roles";
import { ledgerDomain, settlementDigest, signDigest } from "../../src/domain/typed-data";
import { batchChainStep, batchDigest, settledOrderLeaf } from "../../src/domain/settled-order";
import {
  DEFAULT_AGREEMENT,
  cardIdFor,
  keyFor,
  latestTime,
  settlementMessage,
  signSettlement,
} from "../helpers/suite";
import {
  LIMITS,
  Rejection,
  SECOND_AGREEMENT,
  USD,
  deployLedgerFixture,
  domainOf,
  earnedEventArgs,
  expectedEarning,
  expectedLeaf,
  recordedBatch,
  settleRecorded,
  signItem,
  withHighSCardSignature,
  withHighSTerminalSignature,
  replaceCard,
  type LedgerFixture,
  type SignedItem,
} from "../helpers/ledger-ops";
import { acting } from "../helpers/dual-control";

const { SIGNATURE_TTL, MAX_CLOCK_SKEW, MAX_AMOUNT, MAX_BATCH } = LIMITS;

/** A SignedSettlement word whose type is narrower than 32 bytes, and a bit just outside that type. */
interface DirtyWord {
  field: string;
  /** The word's index in the item (the Settlement's nine words, then the four signature words). */
  word: number;
  bit: bigint;
}

const NON_CANONICAL_WORDS: DirtyWord[] = [
  { field: "terminal", word: 1, bit: 1n << 160n },
  { field: "nonce", word: 2, bit: 1n << 64n },
  { field: "amount", word: 5, bit: 1n << 64n },
  { field: "currency", word: 6, bit: 1n },
  { field: "category", word: 7, bit: 1n << 8n },
  { field: "time", word: 8, bit: 1n << 40n },
];

/**
 * Calldata with one bit set outside a field's type in item `index`: items start after the
 * selector, then (for an array) its offset and length words, 13 words each.
 */
function withDirtyWord(data: string, index: number, dirty: DirtyWord, headWords = 2): string {
  const at = 2 + 8 + 64 * (headWords + index * 13 + dirty.word);
  const word = BigInt("0x" + data.slice(at, at + 64)) | dirty.bit;
  return data.slice(0, at) + word.toString(16).padStart(64, "0") + data.slice(at + 64);
}

interface RejectionCase {
  title: string;
  reason: number;
  /** Brings the ledger into the state of the case and returns the settlement it must reject. */
  arrange: (f: LedgerFixture) => Promise<SignedItem>;
}

// Every case leaves terminal-1 of the shop (merchant 1) and consumers 0 and 1 untouched, so the
// good items of a mixed batch can use them.
const REJECTION_CASES: RejectionCase[] = [
  {
    title: "a settlement from an unregistered terminal",
    reason: Rejection.TerminalUnknown,
    arrange: async (f) =>
      signItem(f.ledger, keyFor("terminal-unregistered"), f.consumers[2], { nonce: 1n, time: await latestTime() }),
  },
  {
    title: "a settlement signed by a disabled terminal",
    reason: Rejection.TerminalDisabled,
    arrange: async (f) => {
      const terminal = f.shop.terminals[1];
      await (await acting(f.registry, f.accounts.bank).setTerminalEnabled(terminal.address, false)).wait();
      return signItem(f.ledger, terminal, f.consumers[2], { nonce: 1n, time: await latestTime() });
    },
  },
  {
    title: "a settlement at a suspended merchant",
    reason: Rejection.MerchantInactive,
    arrange: async (f) => {
      await (await acting(f.registry, f.accounts.bank).setMerchantActive(f.cafe.id, false)).wait();
      return signItem(f.ledger, f.cafe.terminals[0], f.consumers[2], { nonce: 1n, time: await latestTime() });
    },
  },
  {
    title: "a settlement at a merchant whose card is frozen",
    reason: Rejection.MerchantCardNotActive,
    arrange: async (f) => {
      await (await acting(f.registry, f.accounts.bank).freezeCard(f.cafe.cardId)).wait();
      return signItem(f.ledger, f.cafe.terminals[0], f.consumers[2], { nonce: 1n, time: await latestTime() });
    },
  },
  {
    title: "a settlement at a merchant whose card is closed",
    reason: Rejection.MerchantCardNotActive,
    arrange: async (f) => {
      await (await acting(f.registry, f.accounts.bank).closeCard(f.cafe.cardId)).wait();
      return signItem(f.ledger, f.cafe.terminals[0], f.consumers[2], { nonce: 1n, time: await latestTime() });
    },
  },
  {
    title: "a replay of a recorded settlement",
    reason: Rejection.NonceUsed,
    arrange: async (f) => {
      const item = await signItem(f.ledger, f.shop.terminals[1], f.consumers[2], {
        nonce: 1n,
        time: await latestTime(),
      });
      await (await f.gateway.settle(item)).wait();
      return item;
    },
  },
  {
    title: "a settlement reusing a recorded nonce with different content",
    reason: Rejection.NonceUsed,
    arrange: async (f) => {
      const terminal = f.shop.terminals[1];
      const first = await signItem(f.ledger, terminal, f.consumers[2], { nonce: 1n, time: await latestTime() });
      await (await f.gateway.settle(first)).wait();
      return signItem(f.ledger, terminal, f.consumers[3], {
        nonce: 1n,
        time: await latestTime(),
        orderId: id("another order"),
        amount: 777n,
      });
    },
  },
  {
    title: "a settlement older than SIGNATURE_TTL",
    reason: Rejection.Expired,
    arrange: async (f) => {
      const item = await signItem(f.ledger, f.shop.terminals[1], f.consumers[2], {
        nonce: 1n,
        time: await latestTime(),
      });
      await time.increase(SIGNATURE_TTL + 1n);
      return item;
    },
  },
  {
    title: "a settlement dated beyond MAX_CLOCK_SKEW in the future",
    reason: Rejection.TimeInFuture,
    arrange: async (f) =>
      signItem(f.ledger, f.shop.terminals[1], f.consumers[2], {
        nonce: 1n,
        time: (await latestTime()) + 2n * MAX_CLOCK_SKEW,
      }),
  },
  {
    title: "a settlement of amount 0",
    reason: Rejection.AmountOutOfBounds,
    arrange: async (f) =>
      signItem(f.ledger, f.shop.terminals[1], f.consumers[2], { nonce: 1n, time: await latestTime(), amount: 0n }),
  },
  {
    title: "a settlement above MAX_AMOUNT",
    reason: Rejection.AmountOutOfBounds,
    arrange: async (f) =>
      signItem(f.ledger, f.shop.terminals[1], f.consumers[2], {
        nonce: 1n,
        time: await latestTime(),
        amount: MAX_AMOUNT + 1n,
      }),
  },
  {
    title: "a settlement below the agreement's minimum amount",
    reason: Rejection.AmountBelowMinimum,
    arrange: async (f) =>
      signItem(f.ledger, f.shop.terminals[1], f.consumers[2], {
        nonce: 1n,
        time: await latestTime(),
        amount: DEFAULT_AGREEMENT.minAmount - 1n,
      }),
  },
  {
    title: "a settlement in another currency than the agreement's",
    reason: Rejection.CurrencyMismatch,
    arrange: async (f) =>
      signItem(f.ledger, f.shop.terminals[1], f.consumers[2], { nonce: 1n, time: await latestTime(), currency: USD }),
  },
  {
    title: "a settlement in category 16 (agreements price 0..15)",
    reason: Rejection.CategoryUnknown,
    arrange: async (f) =>
      signItem(f.ledger, f.shop.terminals[1], f.consumers[2], { nonce: 1n, time: await latestTime(), category: 16 }),
  },
  {
    title: "a settlement in category 255",
    reason: Rejection.CategoryUnknown,
    arrange: async (f) =>
      signItem(f.ledger, f.shop.terminals[1], f.consumers[2], { nonce: 1n, time: await latestTime(), category: 255 }),
  },
  {
    title: "a settlement at a merchant without an agreement",
    reason: Rejection.AgreementNotInForce,
    arrange: async (f) =>
      signItem(f.ledger, f.newcomer.terminals[0], f.consumers[2], { nonce: 1n, time: await latestTime() }),
  },
  {
    title: "a settlement dated before the agreement's validFrom",
    reason: Rejection.AgreementNotInForce,
    arrange: async (f) => {
      const now = await latestTime();
      const later = { ...SECOND_AGREEMENT, validFrom: now + 24n * 3600n };
      await (await acting(f.registry, f.accounts.bank).setAgreement(f.cafe.id, later)).wait();
      return signItem(f.ledger, f.cafe.terminals[0], f.consumers[2], { nonce: 1n, time: await latestTime() });
    },
  },
  {
    title: "a settlement dated after the agreement's validUntil",
    reason: Rejection.AgreementNotInForce,
    arrange: async (f) => {
      const now = await latestTime();
      const lapsed = { ...SECOND_AGREEMENT, validUntil: now - 1n };
      await (await acting(f.registry, f.accounts.bank).setAgreement(f.cafe.id, lapsed)).wait();
      return signItem(f.ledger, f.cafe.terminals[0], f.consumers[2], { nonce: 1n, time: await latestTime() });
    },
  },
  {
    title: "a settlement whose terminal signature is by another key",
    reason: Rejection.TerminalSignatureInvalid,
    arrange: async (f) => {
      const consumer = f.consumers[2];
      const message = settlementMessage({
        cardId: consumer.cardId,
        terminal: f.shop.terminals[1].address,
        nonce: 1n,
        time: await latestTime(),
      });
      const { signatures } = await signSettlement(f.ledger, message, keyFor("impostor"), consumer.key);
      return { settlement: message, signatures };
    },
  },
  {
    title: "a settlement with a malleated (high-s) terminal signature",
    reason: Rejection.TerminalSignatureInvalid,
    arrange: async (f) =>
      withHighSTerminalSignature(
        await signItem(f.ledger, f.shop.terminals[1], f.consumers[2], { nonce: 1n, time: await latestTime() }),
      ),
  },
  {
    title: "a settlement signed for another ledger (EIP-712 domain)",
    reason: Rejection.TerminalSignatureInvalid,
    arrange: async (f) => {
      const terminal = f.shop.terminals[1];
      const message = settlementMessage({
        cardId: f.consumers[2].cardId,
        terminal: terminal.address,
        nonce: 1n,
        time: await latestTime(),
      });
      const { chainId } = await f.ledger.runner!.provider!.getNetwork();
      const digest = settlementDigest(ledgerDomain(chainId, await f.registry.getAddress()), message);
      const t = signDigest(terminal.signingKey, digest);
      const c = signDigest(f.consumers[2].key.signingKey, digest);
      return { settlement: message, signatures: { terminalR: t.r, terminalVS: t.vs, cardR: c.r, cardVS: c.vs } };
    },
  },
  {
    title: "a settlement on a card that was never issued",
    reason: Rejection.CardUnknown,
    arrange: async (f) =>
      signItem(
        f.ledger,
        f.shop.terminals[1],
        { cardId: cardIdFor("never-issued"), key: keyFor("never-issued") },
        { nonce: 1n, time: await latestTime() },
      ),
  },
  {
    title: "a settlement on a frozen card",
    reason: Rejection.CardNotActive,
    arrange: async (f) => {
      await (await acting(f.registry, f.accounts.bank).freezeCard(f.consumers[2].cardId)).wait();
      return signItem(f.ledger, f.shop.terminals[1], f.consumers[2], { nonce: 1n, time: await latestTime() });
    },
  },
  {
    title: "a settlement on a closed card",
    reason: Rejection.CardNotActive,
    arrange: async (f) => {
      await (await acting(f.registry, f.accounts.bank).closeCard(f.consumers[2].cardId)).wait();
      return signItem(f.ledger, f.shop.terminals[1], f.consumers[2], { nonce: 1n, time: await latestTime() });
    },
  },
  {
    title: "a settlement on a merchant card",
    reason: Rejection.CardNotConsumer,
    arrange: async (f) =>
      signItem(
        f.ledger,
        f.shop.terminals[1],
        { cardId: f.cafe.cardId, key: f.cafe.key },
        { nonce: 1n, time: await latestTime() },
      ),
  },
  {
    title: "a settlement whose card signature is by another card's key",
    reason: Rejection.CardSignatureInvalid,
    arrange: async (f) =>
      signItem(
        f.ledger,
        f.shop.terminals[1],
        { cardId: f.consumers[2].cardId, key: f.consumers[3].key },
        { nonce: 1n, time: await latestTime() },
      ),
  },
  {
    title: "a settlement with a malleated (high-s) card signature",
    reason: Rejection.CardSignatureInvalid,
    arrange: async (f) =>
      withHighSCardSignature(
        await signItem(f.ledger, f.shop.terminals[1], f.consumers[2], { nonce: 1n, time: await latestTime() }),
      ),
  },
];

describe("PointsLedger: settlement", function () {
  describe("settle", function () {
    describe("when the settlement is valid", function () {
      async function settledOnceFixture() {
        const f = await deployLedgerFixture();
        const item = await signItem(f.ledger, f.shop.terminals[0], f.consumers[0], {
          nonce: 1n,
          time: await latestTime(),
        });
        const tx = await f.gateway.settle(item);
        await tx.wait();
        return { ...f, item, tx };
      }

      it("credits the card's account and records its activity", async function () {
        const { ledger, consumers, item, creditRateBps } = await loadFixture(settledOnceFixture);
        const { points } = expectedEarning(DEFAULT_AGREEMENT, creditRateBps, item.settlement.amount);
        expect(points).to.equal(123n);
        expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(points);
        const stats = await ledger.accountStats(consumers[0].cardId);
        expect(stats.earned).to.equal(points);
        expect(stats.reversed).to.equal(0n);
        expect(stats.redeemed).to.equal(0n);
        expect(stats.merchantCount).to.equal(1n);
        expect(stats.firstActivity).to.equal(item.settlement.time);
        expect(stats.lastActivity).to.equal(item.settlement.time);
      });

      it("credits the holding of the card at the merchant", async function () {
        const { ledger, consumers, shop, cafe, item } = await loadFixture(settledOnceFixture);
        const h = await ledger.holding(consumers[0].cardId, shop.id);
        expect(h.earned).to.equal(123n);
        expect(h.reversed).to.equal(0n);
        expect(h.firstActivity).to.equal(item.settlement.time);
        expect(h.lastActivity).to.equal(item.settlement.time);
        const elsewhere = await ledger.holding(consumers[0].cardId, cafe.id);
        expect(elsewhere.earned).to.equal(0n);
        expect(elsewhere.firstActivity).to.equal(0n);
      });

      it("credits the merchant's points granted and credit points", async function () {
        const { ledger, shop, item, creditRateBps } = await loadFixture(settledOnceFixture);
        const { points, credit } = expectedEarning(DEFAULT_AGREEMENT, creditRateBps, item.settlement.amount);
        const m = await ledger.merchantStats(shop.id);
        expect(m.pointsGranted).to.equal(points);
        expect(m.creditPoints).to.equal(credit);
        expect(credit).to.equal(12n);
        expect(m.pointsReversed).to.equal(0n);
        expect(m.creditPointsReversed).to.equal(0n);
        expect(m.pointsRedeemed).to.equal(0n);
        expect(m.consumersServed).to.equal(1n);
        expect(m.firstActivity).to.equal(item.settlement.time);
        expect(m.lastActivity).to.equal(item.settlement.time);
      });

      it("adds the points to the ledger's totals", async function () {
        const { ledger } = await loadFixture(settledOnceFixture);
        const [earned, reversed, redeemed] = await ledger.totals();
        expect([earned, reversed, redeemed]).to.deep.equal([123n, 0n, 0n]);
      });

      it("emits PointsEarned with the points of the agreement and the credit rule", async function () {
        const { ledger, shop, item, tx, creditRateBps } = await loadFixture(settledOnceFixture);
        const s = item.settlement;
        const { points, credit } = expectedEarning(DEFAULT_AGREEMENT, creditRateBps, s.amount, s.category);
        await expect(tx)
          .to.emit(ledger, "PointsEarned")
          .withArgs(s.cardId, shop.id, s.terminal, s.nonce, points, credit);
      });

      it("records a batch of one whose digest is the batch digest of the order's leaf, as the chain's first step", async function () {
        const { ledger, shop, item, tx, creditRateBps } = await loadFixture(settledOnceFixture);
        const digest = batchDigest([expectedLeaf(item, shop.id, DEFAULT_AGREEMENT, creditRateBps)]);
        await expect(tx).to.emit(ledger, "BatchRecorded").withArgs(1n, digest, ZeroHash, 1n, 0n);
        expect(await ledger.batchChain(1n)).to.equal(batchChainStep(ZeroHash, digest));
        expect(await ledger.batchCount()).to.equal(1n);
      });

      it("consumes the terminal's nonce", async function () {
        const { ledger, shop, item } = await loadFixture(settledOnceFixture);
        expect(await ledger.nonceUsed(shop.terminals[0].address, item.settlement.nonce)).to.equal(true);
        expect(await ledger.nonceUsed(shop.terminals[0].address, item.settlement.nonce + 1n)).to.equal(false);
        expect(await ledger.nonceUsed(shop.terminals[1].address, item.settlement.nonce)).to.equal(false);
      });

      it("counts a returning card once per merchant and moves its last activity forward", async function () {
        const { ledger, gateway, consumers, shop, item } = await loadFixture(settledOnceFixture);
        const later = item.settlement.time + 60n;
        await (
          await gateway.settle(await signItem(ledger, shop.terminals[1], consumers[0], { nonce: 2n, time: later }))
        ).wait();
        const stats = await ledger.accountStats(consumers[0].cardId);
        expect(stats.earned).to.equal(246n);
        expect(stats.merchantCount).to.equal(1n);
        expect(stats.firstActivity).to.equal(item.settlement.time);
        expect(stats.lastActivity).to.equal(later);
        const m = await ledger.merchantStats(shop.id);
        expect(m.consumersServed).to.equal(1n);
        expect(m.lastActivity).to.equal(later);
      });

      it("does not move last activity back for a settlement signed earlier than the last one", async function () {
        const { ledger, gateway, consumers, shop, item } = await loadFixture(settledOnceFixture);
        const earlier = item.settlement.time - 60n;
        await (
          await gateway.settle(await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 2n, time: earlier }))
        ).wait();
        const stats = await ledger.accountStats(consumers[0].cardId);
        expect(stats.firstActivity).to.equal(item.settlement.time);
        expect(stats.lastActivity).to.equal(item.settlement.time);
      });

      it("counts a second merchant and a second consumer", async function () {
        const { ledger, gateway, consumers, shop, cafe } = await loadFixture(settledOnceFixture);
        const now = await latestTime();
        await (
          await gateway.settle(await signItem(ledger, cafe.terminals[0], consumers[0], { nonce: 1n, time: now }))
        ).wait();
        await (
          await gateway.settle(await signItem(ledger, shop.terminals[0], consumers[1], { nonce: 2n, time: now }))
        ).wait();
        expect((await ledger.accountStats(consumers[0].cardId)).merchantCount).to.equal(2n);
        expect((await ledger.accountStats(consumers[1].cardId)).merchantCount).to.equal(1n);
        expect((await ledger.merchantStats(shop.id)).consumersServed).to.equal(2n);
        expect((await ledger.merchantStats(cafe.id)).consumersServed).to.equal(1n);
      });
    });

    describe("when pricing a settlement", function () {
      it("applies the category multiplier", async function () {
        const { ledger, gateway, consumers, shop, creditRateBps } = await loadFixture(deployLedgerFixture);
        const now = await latestTime();
        const groceries = await signItem(ledger, shop.terminals[0], consumers[0], {
          nonce: 1n,
          time: now,
          category: 1,
        });
        const fuel = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 2n, time: now, category: 2 });
        const g = expectedEarning(DEFAULT_AGREEMENT, creditRateBps, groceries.settlement.amount, 1);
        const fu = expectedEarning(DEFAULT_AGREEMENT, creditRateBps, fuel.settlement.amount, 2);
        expect([g.points, fu.points]).to.deep.equal([246n, 61n]);
        await expect(gateway.settle(groceries))
          .to.emit(ledger, "PointsEarned")
          .withArgs(
            consumers[0].cardId,
            shop.id,
            shop.terminals[0].address,
            1n,
            g.points,
            g.credit,
          );
        await expect(gateway.settle(fuel))
          .to.emit(ledger, "PointsEarned")
          .withArgs(
            consumers[0].cardId,
            shop.id,
            shop.terminals[0].address,
            2n,
            fu.points,
            fu.credit,
          );
        expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(g.points + fu.points);
      });

      it("caps the points at the agreement's maxPointsPerSettlement", async function () {
        const { ledger, gateway, consumers, shop, creditRateBps } = await loadFixture(deployLedgerFixture);
        const item = await signItem(ledger, shop.terminals[0], consumers[0], {
          nonce: 1n,
          time: await latestTime(),
          amount: 10_000_000n,
        });
        expect((10_000_000n * DEFAULT_AGREEMENT.baseRateBps) / 10_000n).to.be.greaterThan(
          DEFAULT_AGREEMENT.maxPointsPerSettlement,
        );
        const { credit } = expectedEarning(DEFAULT_AGREEMENT, creditRateBps, 10_000_000n);
        const s = item.settlement;
        await expect(gateway.settle(item))
          .to.emit(ledger, "PointsEarned")
          .withArgs(
            s.cardId,
            shop.id,
            s.terminal,
            s.nonce,
            DEFAULT_AGREEMENT.maxPointsPerSettlement,
            credit,
          );
      });

      it("records a settlement in a category with multiplier 0 at zero points", async function () {
        const { ledger, gateway, consumers, cafe } = await loadFixture(deployLedgerFixture);
        const item = await signItem(ledger, cafe.terminals[0], consumers[0], {
          nonce: 1n,
          time: await latestTime(),
          category: 3,
        });
        const s = item.settlement;
        await expect(gateway.settle(item))
          .to.emit(ledger, "PointsEarned")
          .withArgs(s.cardId, cafe.id, s.terminal, s.nonce, 0n, 0n);
        expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(0n);
      });

      it("prices with the current agreement version and credit rule version", async function () {
        const { ledger, registry, gateway, accounts, consumers, shop } = await loadFixture(deployLedgerFixture);
        const richer = { ...DEFAULT_AGREEMENT, baseRateBps: 300n };
        await (await acting(registry, accounts.bank).setAgreement(shop.id, richer)).wait();
        await (await acting(registry, accounts.bank).setCreditPointRule(2_500n)).wait();
        const item = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 1n, time: await latestTime() });
        const s = item.settlement;
        const { points, credit } = expectedEarning(richer, 2_500n, s.amount);
        expect([points, credit]).to.deep.equal([370n, 92n]);
        await expect(gateway.settle(item))
          .to.emit(ledger, "PointsEarned")
          .withArgs(s.cardId, shop.id, s.terminal, s.nonce, points, credit);
      });

      it("accepts the agreement's minimum amount and MAX_AMOUNT", async function () {
        const { ledger, gateway, consumers, shop } = await loadFixture(deployLedgerFixture);
        const now = await latestTime();
        const smallest = await signItem(ledger, shop.terminals[0], consumers[0], {
          nonce: 1n,
          time: now,
          amount: DEFAULT_AGREEMENT.minAmount,
        });
        const largest = await signItem(ledger, shop.terminals[0], consumers[0], {
          nonce: 2n,
          time: now,
          amount: MAX_AMOUNT,
        });
        const batch = await settleRecorded({ ledger, gateway }, [smallest, largest]);
        expect([batch.accepted, batch.rejected]).to.deep.equal([2n, 0n]);
        expect(batch.orders.map((o) => o.points)).to.deep.equal([1n, DEFAULT_AGREEMENT.maxPointsPerSettlement]);
      });
    });

    describe("when the signed time is at the edge of its window", function () {
      it("accepts a settlement exactly SIGNATURE_TTL old", async function () {
        const { ledger, gateway, consumers, shop, creditRateBps } = await loadFixture(deployLedgerFixture);
        const signedAt = await latestTime();
        const item = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 1n, time: signedAt });
        await time.setNextBlockTimestamp(signedAt + SIGNATURE_TTL);
        await expect(gateway.settle(item))
          .to.emit(ledger, "PointsEarned")
          .withArgs(...earnedEventArgs(item, shop.id, DEFAULT_AGREEMENT, creditRateBps));
      });

      it("accepts a settlement dated exactly MAX_CLOCK_SKEW ahead", async function () {
        const { ledger, gateway, consumers, shop, creditRateBps } = await loadFixture(deployLedgerFixture);
        const blockTime = (await latestTime()) + 10n;
        const item = await signItem(ledger, shop.terminals[0], consumers[0], {
          nonce: 1n,
          time: blockTime + MAX_CLOCK_SKEW,
        });
        await time.setNextBlockTimestamp(blockTime);
        await expect(gateway.settle(item))
          .to.emit(ledger, "PointsEarned")
          .withArgs(...earnedEventArgs(item, shop.id, DEFAULT_AGREEMENT, creditRateBps));
      });
    });

    describe("when the settlement is rejected", function () {
      for (const c of REJECTION_CASES) {
        const name = Object.entries(Rejection).find(([, v]) => v === c.reason)![0];
        it(`reverts ${c.title} with LedgerSettlementRejected(${name})`, async function () {
          const f = await loadFixture(deployLedgerFixture);
          const bad = await c.arrange(f);
          const before = await f.ledger.batchCount();
          await expect(f.gateway.settle(bad))
            .to.be.revertedWithCustomError(f.ledger, "LedgerSettlementRejected")
            .withArgs(c.reason);
          expect(await f.ledger.batchCount()).to.equal(before);
        });
      }

      it("reverts a settlement with a word beyond its type with LedgerSettlementRejected(EncodingInvalid)", async function () {
        const { ledger, accounts, consumers, shop } = await loadFixture(deployLedgerFixture);
        const item = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 1n, time: await latestTime() });
        const nonceWord = NON_CANONICAL_WORDS.find((w) => w.field === "nonce")!;
        const data = withDirtyWord(ledger.interface.encodeFunctionData("settle", [item]), 0, nonceWord, 0);
        await expect(accounts.gateway.sendTransaction({ to: await ledger.getAddress(), data }))
          .to.be.revertedWithCustomError(ledger, "LedgerSettlementRejected")
          .withArgs(Rejection.EncodingInvalid);
      });

      it("does not consume the nonce of a rejected settlement", async function () {
        const { ledger, gateway, consumers, shop, creditRateBps } = await loadFixture(deployLedgerFixture);
        const now = await latestTime();
        const unsigned = await signItem(
          ledger,
          shop.terminals[0],
          { cardId: consumers[0].cardId, key: consumers[1].key },
          { nonce: 1n, time: now },
        );
        await expect(gateway.settle(unsigned))
          .to.be.revertedWithCustomError(ledger, "LedgerSettlementRejected")
          .withArgs(Rejection.CardSignatureInvalid);
        const signed = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 1n, time: now });
        await expect(gateway.settle(signed))
          .to.emit(ledger, "PointsEarned")
          .withArgs(...earnedEventArgs(signed, shop.id, DEFAULT_AGREEMENT, creditRateBps));
      });
    });

    describe("when the caller is not the gateway", function () {
      it("rejects the outsider, the bank and the credit center with LedgerUnauthorized", async function () {
        const { ledger, accounts, consumers, shop } = await loadFixture(deployLedgerFixture);
        const item = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 1n, time: await latestTime() });
        for (const caller of [accounts.outsider, accounts.bank, accounts.creditCenter, accounts.governance]) {
          await expect(ledger.connect(caller).settle(item))
            .to.be.revertedWithCustomError(ledger, "LedgerUnauthorized")
            .withArgs(caller.address, ROLES.GATEWAY);
        }
      });
    });
  });

  describe("settleBatch", function () {
    describe("when an item is rejected", function () {
      for (const c of REJECTION_CASES) {
        it(`skips ${c.title} with SettlementRejected and records the other items`, async function () {
          const f = await loadFixture(deployLedgerFixture);
          const { ledger, gateway, consumers, shop, creditRateBps } = f;
          const bad = await c.arrange(f);
          const now = await latestTime();
          const good1 = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 1000n, time: now });
          const good2 = await signItem(ledger, shop.terminals[0], consumers[1], {
            nonce: 1001n,
            time: now,
            amount: 20_000n,
            category: 1,
          });
          const batchId = (await ledger.batchCount()) + 1n;
          const chainBefore = await ledger.batchChain(batchId - 1n);
          const leaves = [good1, good2].map((g) => expectedLeaf(g, shop.id, DEFAULT_AGREEMENT, creditRateBps));
          const tx = gateway.settleBatch([good1, bad, good2]);
          await expect(tx)
            .to.emit(ledger, "SettlementRejected")
            .withArgs(bad.settlement.terminal, bad.settlement.nonce, bad.settlement.orderId, c.reason)
            .and.to.emit(ledger, "BatchRecorded")
            .withArgs(batchId, batchDigest(leaves), chainBefore, 2n, 1n);
          expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(123n);
          expect(await ledger.balanceOf(consumers[1].cardId)).to.equal(400n);
          expect(await ledger.batchChain(batchId)).to.equal(batchChainStep(chainBefore, batchDigest(leaves)));
        });
      }

      it("rejects the second of two items with the same nonce in one batch", async function () {
        const { ledger, gateway, consumers, shop } = await loadFixture(deployLedgerFixture);
        const now = await latestTime();
        const first = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 5n, time: now });
        const second = await signItem(ledger, shop.terminals[0], consumers[1], {
          nonce: 5n,
          time: now,
          orderId: id("other"),
        });
        await expect(gateway.settleBatch([first, second]))
          .to.emit(ledger, "SettlementRejected")
          .withArgs(shop.terminals[0].address, 5n, id("other"), Rejection.NonceUsed);
        expect(await ledger.balanceOf(consumers[1].cardId)).to.equal(0n);
      });

      it("records a batch whose items are all rejected with the digest of no leaves", async function () {
        const { ledger, gateway, consumers, shop } = await loadFixture(deployLedgerFixture);
        const now = await latestTime();
        const items = await Promise.all(
          [1n, 2n].map((nonce) => signItem(ledger, shop.terminals[0], consumers[0], { nonce, time: now, amount: 0n })),
        );
        await expect(gateway.settleBatch(items)).to.emit(ledger, "BatchRecorded").withArgs(1n, batchDigest([]), ZeroHash, 0n, 2n);
        expect(await ledger.batchChain(1n)).to.equal(batchChainStep(ZeroHash, batchDigest([])));
      });
    });

    describe("when an item is not in canonical ABI encoding", function () {
      for (const c of NON_CANONICAL_WORDS) {
        it(`rejects only the item whose ${c.field} word has bits beyond its type, with SettlementRejected(EncodingInvalid)`, async function () {
          const f = await loadFixture(deployLedgerFixture);
          const { ledger, accounts, consumers, shop, creditRateBps } = f;
          const now = await latestTime();
          const good1 = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 1n, time: now });
          const bad = await signItem(ledger, shop.terminals[0], consumers[1], { nonce: 2n, time: now });
          const good2 = await signItem(ledger, shop.terminals[0], consumers[2], { nonce: 3n, time: now });
          const data = withDirtyWord(ledger.interface.encodeFunctionData("settleBatch", [[good1, bad, good2]]), 1, c);
          const leaves = [good1, good2].map((g) => expectedLeaf(g, shop.id, DEFAULT_AGREEMENT, creditRateBps));
          const tx = accounts.gateway.sendTransaction({ to: await ledger.getAddress(), data });
          await expect(tx)
            .to.emit(ledger, "SettlementRejected")
            .withArgs(bad.settlement.terminal, bad.settlement.nonce, bad.settlement.orderId, Rejection.EncodingInvalid)
            .and.to.emit(ledger, "BatchRecorded")
            .withArgs(1n, batchDigest(leaves), ZeroHash, 2n, 1n);
          expect(await ledger.balanceOf(consumers[1].cardId)).to.equal(0n);
          expect(await ledger.nonceUsed(shop.terminals[0].address, 2n)).to.equal(false);
          expect(await ledger.balanceOf(consumers[2].cardId)).to.equal(123n);
        });
      }
    });

    describe("when the batch is valid", function () {
      it("records every item and emits BatchRecorded with the digest of their leaves", async function () {
        const f = await loadFixture(deployLedgerFixture);
        const { ledger, consumers, shop, creditRateBps } = f;
        const now = await latestTime();
        const items = await Promise.all(
          consumers.map((c, i) =>
            signItem(ledger, shop.terminals[0], c, { nonce: BigInt(i), time: now, amount: 1_000n * BigInt(i + 1) }),
          ),
        );
        const batch = await settleRecorded(f, items);
        const leaves = items.map((it) => expectedLeaf(it, shop.id, DEFAULT_AGREEMENT, creditRateBps));
        expect(batch.leaves).to.deep.equal(leaves);
        expect(batch.digest).to.equal(batchDigest(leaves));
        expect([batch.batchId, batch.accepted, batch.rejected]).to.deep.equal([1n, 4n, 0n]);
        expect(await ledger.batchChain(batch.batchId)).to.equal(batchChainStep(ZeroHash, batchDigest(leaves)));
        expect(await ledger.totals()).to.deep.equal([10n + 20n + 30n + 40n, 0n, 0n]);
      });

      it("prices each item with the terms of its own terminal across consecutive terminal runs", async function () {
        const f = await loadFixture(deployLedgerFixture);
        const { ledger, gateway, consumers, shop, cafe, creditRateBps } = f;
        const now = await latestTime();
        const plan = [
          { terminal: shop.terminals[0], merchant: shop, consumer: consumers[0], nonce: 1n, category: 0 },
          { terminal: shop.terminals[0], merchant: shop, consumer: consumers[1], nonce: 2n, category: 1 },
          { terminal: cafe.terminals[0], merchant: cafe, consumer: consumers[0], nonce: 1n, category: 1 },
          { terminal: cafe.terminals[0], merchant: cafe, consumer: consumers[2], nonce: 2n, category: 2 },
          { terminal: shop.terminals[1], merchant: shop, consumer: consumers[3], nonce: 1n, category: 2 },
          { terminal: shop.terminals[0], merchant: shop, consumer: consumers[2], nonce: 3n, category: 0 },
          { terminal: cafe.terminals[0], merchant: cafe, consumer: consumers[3], nonce: 3n, category: 0 },
        ];
        const items = await Promise.all(
          plan.map((p) =>
            signItem(ledger, p.terminal, p.consumer, { nonce: p.nonce, time: now, category: p.category }),
          ),
        );
        const tx = gateway.settleBatch(items);
        for (const [i, p] of plan.entries()) {
          const s = items[i].settlement;
          const { points, credit } = expectedEarning(p.merchant.agreement!, creditRateBps, s.amount, s.category);
          await expect(tx)
            .to.emit(ledger, "PointsEarned")
            .withArgs(
              s.cardId,
              p.merchant.id,
              s.terminal,
              s.nonce,
              points,
              credit,
            );
        }
        const batch = await recordedBatch(ledger, tx);
        expect(batch.orders.map((o) => o.merchantId)).to.deep.equal(plan.map((p) => p.merchant.id));
        const cafeGranted = plan
          .map((p, i) => ({ p, s: items[i].settlement }))
          .filter(({ p }) => p.merchant === cafe)
          .reduce(
            (sum, { s }) => sum + expectedEarning(SECOND_AGREEMENT, creditRateBps, s.amount, s.category).points,
            0n,
          );
        expect((await ledger.merchantStats(cafe.id)).pointsGranted).to.equal(cafeGranted);
      });

      it("accepts a batch of MAX_BATCH settlements", async function () {
        const f = await loadFixture(deployLedgerFixture);
        const now = await latestTime();
        const items = await Promise.all(
          Array.from({ length: Number(MAX_BATCH) }, (_, i) =>
            signItem(f.ledger, f.shop.terminals[0], f.consumers[i % 4], { nonce: BigInt(i), time: now }),
          ),
        );
        const batch = await settleRecorded(f, items);
        expect([batch.accepted, batch.rejected]).to.deep.equal([MAX_BATCH, 0n]);
      });
    });

    describe("when the batch size is out of bounds", function () {
      it("reverts an empty batch with LedgerBatchSize(0, MAX_BATCH)", async function () {
        const { ledger, gateway } = await loadFixture(deployLedgerFixture);
        await expect(gateway.settleBatch([]))
          .to.be.revertedWithCustomError(ledger, "LedgerBatchSize")
          .withArgs(0n, MAX_BATCH);
      });

      it("reverts a batch of MAX_BATCH + 1 with LedgerBatchSize", async function () {
        const { ledger, gateway, consumers, shop } = await loadFixture(deployLedgerFixture);
        const item = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 1n, time: await latestTime() });
        const items = Array.from({ length: Number(MAX_BATCH) + 1 }, () => item);
        await expect(gateway.settleBatch(items))
          .to.be.revertedWithCustomError(ledger, "LedgerBatchSize")
          .withArgs(MAX_BATCH + 1n, MAX_BATCH);
      });
    });

    describe("when the caller is not the gateway", function () {
      it("rejects the outsider and the bank with LedgerUnauthorized", async function () {
        const { ledger, accounts, consumers, shop } = await loadFixture(deployLedgerFixture);
        const item = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 1n, time: await latestTime() });
        for (const caller of [accounts.outsider, accounts.bank]) {
          await expect(ledger.connect(caller).settleBatch([item]))
            .to.be.revertedWithCustomError(ledger, "LedgerUnauthorized")
            .withArgs(caller.address, ROLES.GATEWAY);
        }
      });
    });
  });

  describe("card replacement", function () {
    async function replacedCardFixture() {
      const f = await deployLedgerFixture();
      const before = await signItem(f.ledger, f.shop.terminals[0], f.consumers[0], {
        nonce: 1n,
        time: await latestTime(),
      });
      await (await f.gateway.settle(before)).wait();
      const replacement = await replaceCard(f, f.consumers[0].cardId, "consumer-0-replacement");
      return { ...f, replacement };
    }

    it("credits a settlement on the new card to the same account", async function () {
      const { ledger, gateway, consumers, shop, cafe, replacement } = await loadFixture(replacedCardFixture);
      const item = await signItem(ledger, cafe.terminals[0], replacement, { nonce: 1n, time: await latestTime() });
      await (await gateway.settle(item)).wait();
      const expected = 123n + expectedEarning(SECOND_AGREEMENT, 0n, item.settlement.amount).points;
      expect(await ledger.balanceOf(replacement.cardId)).to.equal(expected);
      expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(expected);
      const stats = await ledger.accountStats(replacement.cardId);
      expect(stats.merchantCount).to.equal(2n);
      expect((await ledger.holding(replacement.cardId, shop.id)).earned).to.equal(123n);
    });

    it("rejects a settlement on the closed old card with CardNotActive", async function () {
      const { ledger, gateway, consumers, shop } = await loadFixture(replacedCardFixture);
      const item = await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 2n, time: await latestTime() });
      await expect(gateway.settle(item))
        .to.be.revertedWithCustomError(ledger, "LedgerSettlementRejected")
        .withArgs(Rejection.CardNotActive);
    });

    it("rejects a settlement on the new card signed with the old card's key", async function () {
      const { ledger, gateway, consumers, shop, replacement } = await loadFixture(replacedCardFixture);
      const item = await signItem(
        ledger,
        shop.terminals[0],
        { cardId: replacement.cardId, key: consumers[0].key },
        { nonce: 2n, time: await latestTime() },
      );
      await expect(gateway.settle(item))
        .to.be.revertedWithCustomError(ledger, "LedgerSettlementRejected")
        .withArgs(Rejection.CardSignatureInvalid);
    });
  });

  describe("constants and digests", function () {
    it("exposes the limits the specs rely on", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      expect([
        await ledger.MAX_BATCH(),
        await ledger.MAX_AMOUNT(),
        await ledger.SIGNATURE_TTL(),
        await ledger.MAX_CLOCK_SKEW(),
      ]).to.deep.equal([MAX_BATCH, MAX_AMOUNT, SIGNATURE_TTL, MAX_CLOCK_SKEW]);
    });

    it("settlementDigest equals the TypeScript EIP-712 digest", async function () {
      const { ledger, consumers, shop } = await loadFixture(deployLedgerFixture);
      const message = settlementMessage({
        cardId: consumers[0].cardId,
        terminal: shop.terminals[0].address,
        nonce: 42n,
        time: 1_700_000_000n,
        category: 7,
      });
      expect(await ledger.settlementDigest(message)).to.equal(settlementDigest(await domainOf(ledger), message));
    });

    it("settledOrderLeaf equals the TypeScript leaf", async function () {
      const { ledger, consumers } = await loadFixture(deployLedgerFixture);
      const order = {
        cardId: consumers[0].cardId,
        merchantId: 7n,
        orderId: id("o"),
        terminal: keyFor("terminal-1").address,
        nonce: 2n ** 64n - 1n,
        amount: 12_345n,
        points: 123n,
        creditPoints: 12n,
      };
      expect(await ledger.settledOrderLeaf(order)).to.equal(settledOrderLeaf(order));
    });
  });
});
