/**
 * CreditScores: each card's score read on chain from the registry and the ledger, singly and in
 * pages over the registry's accounts, equal to the TypeScript reference on the same statistics.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { CardKind, cardIdFor, issueCard, keyFor, latestTime } from "../helpers/suite";
import { deployCreditFixture, expectedCredit, purchase } from "../helpers/credit";
import { dual } from "../helpers/dual-control";

/** The credit fixture after purchases: consumers 0 and 1 at both merchants, consumer 2 at the shop only. */
async function activeFixture() {
  const f = await deployCreditFixture();
  const [a, b, c] = f.consumers;
  await purchase(f, f.shop, a, 80_000n);
  await purchase(f, f.cafe, a, 20_000n);
  await purchase(f, f.cafe, b, 300_000n);
  await purchase(f, f.shop, b, 1_000n);
  await purchase(f, f.shop, c, 5_000n);
  return f;
}

describe("CreditScores", function () {
  describe("scoreOf", function () {
    it("scores consumer cards as the TypeScript reference does on the ledger's statistics", async function () {
      const f = await loadFixture(activeFixture);
      const now = await latestTime();
      for (const consumer of f.consumers) {
        const s = await f.creditScores.scoreOf(consumer.cardId);
        const expected = await expectedCredit(f, consumer.cardId, now);
        expect([s.cardId, s.kind, s.score, s.points]).to.deep.equal([consumer.cardId, 0n, expected.score, expected.points]);
      }
      expect((await f.creditScores.scoreOf(f.consumers[0].cardId)).score).to.be.greaterThan(0n);
      expect((await f.creditScores.scoreOf(f.consumers[3].cardId)).score).to.equal(0n);
    });

    it("scores merchant cards from their merchant's statistics, with net credit points", async function () {
      const f = await loadFixture(activeFixture);
      const now = await latestTime();
      for (const m of [f.shop, f.cafe, f.newcomer]) {
        const s = await f.creditScores.scoreOf(m.cardId);
        const expected = await expectedCredit(f, m.cardId, now);
        expect([s.kind, s.merchantId, s.score, s.points]).to.deep.equal([1n, m.id, expected.score, expected.points]);
      }
      const cafe = await f.ledger.merchantStats(f.cafe.id);
      expect((await f.creditScores.scoreOf(f.cafe.cardId)).points).to.equal(cafe.creditPoints);
      expect((await f.creditScores.scoreOf(f.newcomer.cardId)).score).to.equal(0n);
    });

    it("refuses an unknown card with CreditScoresCardUnknown", async function () {
      const f = await loadFixture(activeFixture);
      const unknown = cardIdFor("nobody");
      await expect(f.creditScores.scoreOf(unknown)).to.be.revertedWithCustomError(f.creditScores, "CreditScoresCardUnknown").withArgs(unknown);
    });
  });

  describe("scoresPage", function () {
    it("walks every account once, in order, at its current card", async function () {
      const f = await loadFixture(activeFixture);
      const total = await f.creditScores.accountCount();
      expect(total).to.equal(await f.registry.accountCount());
      const pages: bigint[][] = [];
      const seen: string[] = [];
      let from = 1n;
      while (from !== 0n) {
        const [page, next] = await f.creditScores.scoresPage(from, 2n);
        pages.push(page.map((s) => s.account));
        for (const s of page) {
          expect(s.cardId).to.equal(await f.registry.cardOfAccount(s.account));
          expect(s.toString()).to.equal((await f.creditScores.scoreOf(s.cardId)).toString());
          seen.push(s.cardId);
        }
        from = next;
      }
      expect(pages.flat()).to.deep.equal(Array.from({ length: Number(total) }, (_, i) => BigInt(i + 1)));
      expect(pages.slice(0, -1).every((p) => p.length === 2)).to.equal(true);
      expect(new Set(seen).size).to.equal(Number(total));
    });

    it("returns an empty page and no next account past the last account", async function () {
      const f = await loadFixture(activeFixture);
      const total = await f.creditScores.accountCount();
      const [last, afterLast] = await f.creditScores.scoresPage(total, 10n);
      expect([last.length, afterLast]).to.deep.equal([1, 0n]);
      const [page, next] = await f.creditScores.scoresPage(total + 1n, 10n);
      expect([page.length, next]).to.deep.equal([0, 0n]);
    });

    it("refuses an empty or oversized page and account 0", async function () {
      const f = await loadFixture(activeFixture);
      const max = await f.creditScores.MAX_PAGE();
      await expect(f.creditScores.scoresPage(1n, 0n)).to.be.revertedWithCustomError(f.creditScores, "CreditScoresPageSize").withArgs(0n, max);
      await expect(f.creditScores.scoresPage(1n, max + 1n)).to.be.revertedWithCustomError(f.creditScores, "CreditScoresPageSize").withArgs(max + 1n, max);
      await expect(f.creditScores.scoresPage(0n, 1n)).to.be.revertedWithCustomError(f.creditScores, "CreditScoresAccountZero");
    });

    it("scores a replaced card's account once, under the replacement, with the history carried over", async function () {
      const f = await loadFixture(activeFixture);
      const old = f.consumers[0];
      const before = await f.creditScores.scoreOf(old.cardId);
      const newCardId = cardIdFor("consumer-0-replacement");
      const replace = f.registry.interface.encodeFunctionData("replaceCard", [old.cardId, newCardId, keyFor("consumer-0-replacement").address]);
      await (await dual(f.registry, f.accounts.creditCenter).propose(replace)).wait();
      await (await dual(f.registry, f.accounts.bank).approve(await f.registry.proposalCount(), replace)).wait();
      const [page] = await f.creditScores.scoresPage(before.account, 1n);
      expect([page[0].cardId, page[0].score, page[0].status]).to.deep.equal([newCardId, before.score, 1n]);
      expect(await f.creditScores.accountCount()).to.equal(await f.registry.accountCount());
    });

    it("numbers a newly issued card's account after the others", async function () {
      const f = await loadFixture(activeFixture);
      const total = await f.registry.accountCount();
      const cardId = cardIdFor("late");
      await issueCard(f.registry, f.accounts.bank, f.accounts.creditCenter, cardId, CardKind.Consumer, keyFor("late").address);
      expect(await f.registry.accountCount()).to.equal(total + 1n);
      expect(await f.registry.cardOfAccount(total + 1n)).to.equal(cardId);
      const [page] = await f.creditScores.scoresPage(total + 1n, 1n);
      expect([page[0].cardId, page[0].score]).to.deep.equal([cardId, 0n]);
    });
  });
});
