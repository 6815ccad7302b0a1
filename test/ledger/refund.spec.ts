import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { id } from "ethers";
import { ROLES } from "../../src/chain/roles";
import { reversedShare } from "../../src/domain/points";
import { refundDigest } from "../../src/domain/typed-data";
import { batchDigest } from "../../src/domain/settled-order";
import { cardIdFor, keyFor, latestTime, proposeAndGetId } from "../helpers/suite";
import {
  LIMITS,
  Rejection,
  Reversal,
  deployLedgerFixture,
  domainOf,
  highS,
  locate,
  redemptionMessage,
  refundMessage,
  settleRecorded,
  signItem,
  signRedemption,
  refundAt,
  submitRedemption,
  submitRefund,
  type LocatedOrder,
} from "../helpers/ledger-ops";
import { dual, acting } from "../helpers/dual-control";

const { SIGNATURE_TTL } = LIMITS;

/**
 * Three orders in batch 1: consumer 0 at the cafe (12 345: 1 234 points, 123 credit points),
 * consumer 1 at the cafe (999: 99 points, 9 credit points) and consumer 0 at the shop
 * (12 345: 123 points, 12 credit points); batch 2 holds one more cafe order of consumer 2.
 */
async function settledOrdersFixture() {
  const f = await deployLedgerFixture();
  const { ledger, shop, cafe, consumers } = f;
  const now = await latestTime();
  const items = [
    await signItem(ledger, cafe.terminals[0], consumers[0], { nonce: 1n, time: now }),
    await signItem(ledger, cafe.terminals[0], consumers[1], { nonce: 2n, time: now, amount: 999n }),
    await signItem(ledger, shop.terminals[0], consumers[0], { nonce: 1n, time: now }),
  ];
  const batch = await settleRecorded(f, items);
  const other = await settleRecorded(f, [
    await signItem(ledger, cafe.terminals[0], consumers[2], { nonce: 3n, time: now, amount: 5_000n }),
  ]);
  return {
    ...f,
    batch,
    other,
    cafeOrder: locate(batch, items[0].settlement.orderId),
    smallOrder: locate(batch, items[1].settlement.orderId),
    shopOrder: locate(batch, items[2].settlement.orderId),
  };
}

describe("PointsLedger: refund", function () {
  it("refundDigest equals the TypeScript EIP-712 digest", async function () {
    const { ledger, cafe } = await loadFixture(settledOrdersFixture);
    const message = refundMessage({
      cardId: cardIdFor("consumer-0"),
      terminal: cafe.terminals[0].address,
      nonce: 9n,
      orderId: id("o"),
      settlementTerminal: keyFor("terminal-1").address,
      settlementNonce: 2n ** 64n - 1n,
      amount: 5n,
      time: 1_700_000_000n,
    });
    expect(await ledger.refundDigest(message)).to.equal(refundDigest(await domainOf(ledger), message));
  });

  it("the fixture's orders carry the points of the cafe's and the shop's agreements", async function () {
    const { cafeOrder, smallOrder, shopOrder, batch } = await loadFixture(settledOrdersFixture);
    expect([cafeOrder.order.points, cafeOrder.order.creditPoints]).to.deep.equal([1234n, 123n]);
    expect([smallOrder.order.points, smallOrder.order.creditPoints]).to.deep.equal([99n, 9n]);
    expect([shopOrder.order.points, shopOrder.order.creditPoints]).to.deep.equal([123n, 12n]);
    expect(batch.digest).to.equal(batchDigest(batch.leaves));
  });

  describe("when the refund is valid", function () {
    it("reverses the refunded share of points and credit points", async function () {
      const { ledger, gateway, cafe, consumers, cafeOrder } = await loadFixture(settledOrdersFixture);
      const r = await refundAt(ledger, cafe.terminals[0], {
        nonce: 100n,
        order: cafeOrder.order,
        amount: 4_115n,
      });
      await (await submitRefund(gateway, r, cafeOrder)).wait();
      const card = consumers[0].cardId;
      expect(await ledger.balanceOf(card)).to.equal(1234n + 123n - 411n);
      const stats = await ledger.accountStats(card);
      expect([stats.earned, stats.reversed, stats.redeemed]).to.deep.equal([1357n, 411n, 0n]);
      const h = await ledger.holding(card, cafe.id);
      expect([h.earned, h.reversed]).to.deep.equal([1234n, 411n]);
      const m = await ledger.merchantStats(cafe.id);
      expect([m.pointsGranted, m.pointsReversed, m.creditPoints, m.creditPointsReversed]).to.deep.equal([
        1234n + 99n + 500n,
        411n,
        123n + 9n + 50n,
        41n,
      ]);
      expect(await ledger.totals()).to.deep.equal([1234n + 99n + 123n + 500n, 411n, 0n]);
    });

    it("emits PointsReversed naming the refunding terminal and its nonce, with reason Refund, code 0 and the refunded amount", async function () {
      const { ledger, gateway, cafe, consumers, cafeOrder } = await loadFixture(settledOrdersFixture);
      const orderId = cafeOrder.order.orderId;
      const r = await refundAt(ledger, cafe.terminals[0], { nonce: 100n, order: cafeOrder.order, amount: 4_115n });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.emit(ledger, "PointsReversed")
        .withArgs(consumers[0].cardId, cafe.id, orderId, cafe.terminals[0].address, 100n, Reversal.Refund, 0n, 411n, 41n, 4_115n);
    });

    it("grows the refunded amount of the order's leaf and consumes the nonce", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const terminal = cafe.terminals[0];
      expect(await ledger.refundedAmount(cafeOrder.leaf)).to.equal(0n);
      for (const [nonce, amount, total] of [
        [100n, 1_000n, 1_000n],
        [101n, 2_345n, 3_345n],
      ]) {
        const r = await refundAt(ledger, terminal, { nonce, order: cafeOrder.order, amount });
        await (await submitRefund(gateway, r, cafeOrder)).wait();
        expect(await ledger.refundedAmount(cafeOrder.leaf)).to.equal(total);
        expect(await ledger.nonceUsed(terminal.address, nonce)).to.equal(true);
      }
    });

    it("reverses exactly the earned points and credit points over partial refunds adding up to the order", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const { order } = cafeOrder;
      const parts = [4_115n, 4_115n, 4_115n];
      let refunded = 0n;
      const reversed: bigint[] = [];
      for (const [i, amount] of parts.entries()) {
        const points = reversedShare(order.points, order.amount, refunded, refunded + amount);
        const credit = reversedShare(order.creditPoints, order.amount, refunded, refunded + amount);
        const r = await refundAt(ledger, cafe.terminals[0], {
          nonce: 100n + BigInt(i),
          order,
          amount,
        });
        await expect(submitRefund(gateway, r, cafeOrder))
          .to.emit(ledger, "PointsReversed")
          .withArgs(order.cardId, cafe.id, order.orderId, r.refund.terminal, r.refund.nonce, Reversal.Refund, 0n, points, credit, amount);
        refunded += amount;
        reversed.push(points);
      }
      expect(reversed).to.deep.equal([411n, 411n, 412n]);
      expect((await ledger.holding(order.cardId, cafe.id)).reversed).to.equal(order.points);
      expect((await ledger.merchantStats(cafe.id)).creditPointsReversed).to.equal(order.creditPoints);
    });

    it("reverses exactly the earned points when the early partial refunds round down to zero", async function () {
      const { ledger, gateway, cafe, consumers, smallOrder } = await loadFixture(settledOrdersFixture);
      const { order } = smallOrder;
      let refunded = 0n;
      const reversed: bigint[] = [];
      for (const [i, amount] of [1n, 1n, 10n, 987n].entries()) {
        const points = reversedShare(order.points, order.amount, refunded, refunded + amount);
        const credit = reversedShare(order.creditPoints, order.amount, refunded, refunded + amount);
        const r = await refundAt(ledger, cafe.terminals[0], {
          nonce: 100n + BigInt(i),
          order,
          amount,
        });
        await expect(submitRefund(gateway, r, smallOrder))
          .to.emit(ledger, "PointsReversed")
          .withArgs(order.cardId, cafe.id, order.orderId, r.refund.terminal, r.refund.nonce, Reversal.Refund, 0n, points, credit, amount);
        refunded += amount;
        reversed.push(points);
      }
      // 99 points over 999: 1 and 2 units are worth less than a point, 12 units one point.
      expect(reversed).to.deep.equal([0n, 0n, 1n, 98n]);
      expect(await ledger.balanceOf(consumers[1].cardId)).to.equal(0n);
      expect(await ledger.refundedAmount(smallOrder.leaf)).to.equal(order.amount);
    });

    it("accepts a refund from another terminal of the same merchant", async function () {
      const { ledger, gateway, shop, consumers, shopOrder } = await loadFixture(settledOrdersFixture);
      const terminal = shop.terminals[1];
      const r = await refundAt(ledger, terminal, {
        nonce: 1n,
        order: shopOrder.order,
        amount: shopOrder.order.amount,
      });
      await expect(submitRefund(gateway, r, shopOrder))
        .to.emit(ledger, "PointsReversed")
        .withArgs(
          consumers[0].cardId,
          shop.id,
          shopOrder.order.orderId,
          r.refund.terminal,
          r.refund.nonce,
          Reversal.Refund,
          0n,
          123n,
          12n,
          shopOrder.order.amount,
        );
    });

    it("refunds an order settled longer than SIGNATURE_TTL ago", async function () {
      const { ledger, gateway, shop, shopOrder } = await loadFixture(settledOrdersFixture);
      await time.increase(10n * SIGNATURE_TTL);
      const r = await refundAt(ledger, shop.terminals[0], {
        nonce: 100n,
        order: shopOrder.order,
        amount: 6_000n,
      });
      await expect(submitRefund(gateway, r, shopOrder))
        .to.emit(ledger, "PointsReversed")
        .withArgs(shopOrder.order.cardId, shop.id, shopOrder.order.orderId, r.refund.terminal, 100n, Reversal.Refund, 0n, 59n, 5n, 6_000n);
    });

    it("debits the shared account of an order whose card was since replaced", async function () {
      const { ledger, registry, gateway, accounts, shop, consumers, shopOrder } =
        await loadFixture(settledOrdersFixture);
      const newKey = keyFor("consumer-0-new");
      const newCardId = cardIdFor("consumer-0-new");
      const action = registry.interface.encodeFunctionData("replaceCard", [
        consumers[0].cardId,
        newCardId,
        newKey.address,
      ]);
      await (
        await dual(registry, accounts.creditCenter).approve(await proposeAndGetId(registry, accounts.bank, action), action)
      ).wait();
      const r = await refundAt(ledger, shop.terminals[0], {
        nonce: 100n,
        order: shopOrder.order,
        amount: shopOrder.order.amount,
      });
      await (await submitRefund(gateway, r, shopOrder)).wait();
      expect(await ledger.balanceOf(newCardId)).to.equal(1234n);
    });

    describe("when the points were already redeemed", function () {
      async function spentThenRefundedFixture() {
        const f = await settledOrdersFixture();
        const { ledger, gateway, cafe, consumers, smallOrder } = f;
        const terminal = cafe.terminals[0];
        const spend = await signRedemption(
          ledger,
          redemptionMessage({
            cardId: consumers[1].cardId,
            terminal: terminal.address,
            nonce: 100n,
            points: 90n,
            time: await latestTime(),
          }),
          terminal,
          consumers[1].key,
        );
        await (await submitRedemption(gateway, spend)).wait();
        const r = await refundAt(ledger, terminal, {
          nonce: 101n,
          order: smallOrder.order,
          amount: smallOrder.order.amount,
        });
        const refundTx = await submitRefund(gateway, r, smallOrder);
        await refundTx.wait();
        return { ...f, refundTx };
      }

      it("takes the balance below zero: the account owes the spent points", async function () {
        const { ledger, consumers, refundTx, cafe, smallOrder } = await loadFixture(spentThenRefundedFixture);
        await expect(refundTx)
          .to.emit(ledger, "PointsReversed")
          .withArgs(consumers[1].cardId, cafe.id, smallOrder.order.orderId, cafe.terminals[0].address, 101n, Reversal.Refund, 0n, 99n, 9n, 999n);
        expect(await ledger.balanceOf(consumers[1].cardId)).to.equal(-90n);
        const stats = await ledger.accountStats(consumers[1].cardId);
        expect([stats.earned, stats.reversed, stats.redeemed]).to.deep.equal([99n, 99n, 90n]);
      });

      it("refuses a redemption while the balance is negative", async function () {
        const { ledger, gateway, consumers, cafe } = await loadFixture(spentThenRefundedFixture);
        const terminal = cafe.terminals[0];
        const spend = await signRedemption(
          ledger,
          redemptionMessage({
            cardId: consumers[1].cardId,
            terminal: terminal.address,
            nonce: 200n,
            points: 1n,
            time: await latestTime(),
          }),
          terminal,
          consumers[1].key,
        );
        await expect(submitRedemption(gateway, spend))
          .to.be.revertedWithCustomError(ledger, "LedgerInsufficientPoints")
          .withArgs(consumers[1].cardId, -90n, 1n);
      });

      it("pays the debt from a later settlement before its points can be redeemed", async function () {
        const { ledger, gateway, consumers, cafe } = await loadFixture(spentThenRefundedFixture);
        const terminal = cafe.terminals[0];
        await (
          await gateway.settle(
            await signItem(ledger, terminal, consumers[1], { nonce: 200n, time: await latestTime() }),
          )
        ).wait();
        expect(await ledger.balanceOf(consumers[1].cardId)).to.equal(1234n - 90n);
        const tooMuch = await signRedemption(
          ledger,
          redemptionMessage({
            cardId: consumers[1].cardId,
            terminal: terminal.address,
            nonce: 201n,
            points: 1234n,
            time: await latestTime(),
          }),
          terminal,
          consumers[1].key,
        );
        await expect(submitRedemption(gateway, tooMuch))
          .to.be.revertedWithCustomError(ledger, "LedgerInsufficientPoints")
          .withArgs(consumers[1].cardId, 1144n, 1234n);
      });
    });
  });

  describe("when two settlements are identical (same card, merchant, order and amount)", function () {
    /** The same order of consumer 0 at the cafe, settled twice under two nonces, in two batches. */
    async function twinSettlementsFixture() {
      const f = await deployLedgerFixture();
      const { ledger, cafe, consumers } = f;
      const now = await latestTime();
      const twin = { orderId: id("order:twin"), slipHash: id("slip:twin"), amount: 12_345n, time: now };
      const first = await signItem(ledger, cafe.terminals[0], consumers[0], { ...twin, nonce: 1n });
      const second = await signItem(ledger, cafe.terminals[0], consumers[0], { ...twin, nonce: 2n });
      const firstOrder = locate(await settleRecorded(f, [first]), twin.orderId);
      const secondOrder = locate(await settleRecorded(f, [second]), twin.orderId);
      return { ...f, firstOrder, secondOrder };
    }

    it("gives each settlement its own leaf and refund record", async function () {
      const { ledger, gateway, cafe, firstOrder, secondOrder } = await loadFixture(twinSettlementsFixture);
      expect(firstOrder.leaf).to.not.equal(secondOrder.leaf);
      const r = await refundAt(ledger, cafe.terminals[0], { nonce: 100n, order: firstOrder.order, amount: 12_345n });
      await (await submitRefund(gateway, r, firstOrder)).wait();
      expect(await ledger.refundedAmount(firstOrder.leaf)).to.equal(12_345n);
      expect(await ledger.refundedAmount(secondOrder.leaf)).to.equal(0n);
    });

    it("refunds the second in full once the first was refunded in full, reversing the points of both", async function () {
      const { ledger, gateway, cafe, consumers, firstOrder, secondOrder } = await loadFixture(twinSettlementsFixture);
      const terminal = cafe.terminals[0];
      const first = await refundAt(ledger, terminal, { nonce: 100n, order: firstOrder.order, amount: 12_345n });
      await (await submitRefund(gateway, first, firstOrder)).wait();
      const second = await refundAt(ledger, terminal, { nonce: 101n, order: secondOrder.order, amount: 12_345n });
      await expect(submitRefund(gateway, second, secondOrder))
        .to.emit(ledger, "PointsReversed")
        .withArgs(consumers[0].cardId, cafe.id, secondOrder.order.orderId, terminal.address, 101n, Reversal.Refund, 0n, 1234n, 123n, 12_345n);
      expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(0n);
      expect((await ledger.holding(consumers[0].cardId, cafe.id)).reversed).to.equal(2n * 1234n);
    });
  });

  describe("when the refund exceeds the order", function () {
    it("reverts a refund above the order amount with LedgerRefundExceedsOrder", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const { order } = cafeOrder;
      const r = await refundAt(ledger, cafe.terminals[0], {
        nonce: 100n,
        order,
        amount: order.amount + 1n,
      });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundExceedsOrder")
        .withArgs(order.orderId, 0n, order.amount + 1n, order.amount);
    });

    it("reverts a refund above what is left after a partial refund, and accepts exactly what is left", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const { order } = cafeOrder;
      const terminal = cafe.terminals[0];
      const sign = async (nonce: bigint, amount: bigint) =>
        refundAt(ledger, terminal, { nonce, order, amount });
      await (await submitRefund(gateway, await sign(100n, 5_000n), cafeOrder)).wait();
      await expect(submitRefund(gateway, await sign(101n, 7_346n), cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundExceedsOrder")
        .withArgs(order.orderId, 5_000n, 7_346n, order.amount);
      const rest = {
        points: order.points - (order.points * 5_000n) / order.amount,
        credit: order.creditPoints - (order.creditPoints * 5_000n) / order.amount,
      };
      await expect(submitRefund(gateway, await sign(102n, 7_345n), cafeOrder))
        .to.emit(ledger, "PointsReversed")
        .withArgs(order.cardId, cafe.id, order.orderId, terminal.address, 102n, Reversal.Refund, 0n, rest.points, rest.credit, 7_345n);
      await expect(submitRefund(gateway, await sign(103n, 1n), cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundExceedsOrder")
        .withArgs(order.orderId, order.amount, 1n, order.amount);
    });

    it("refuses a refund of amount zero", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const { order } = cafeOrder;
      const r = await refundAt(ledger, cafe.terminals[0], { nonce: 100n, order, amount: 0n });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundExceedsOrder")
        .withArgs(order.orderId, 0n, 0n, order.amount);
    });
  });

  describe("when the proof is wrong", function () {
    async function refundOf(located: LocatedOrder, fixture: Awaited<ReturnType<typeof settledOrdersFixture>>) {
      const { ledger, cafe } = fixture;
      return refundAt(ledger, cafe.terminals[0], { nonce: 100n, order: located.order, amount: 100n });
    }

    it("reverts an index past the batch's leaves with LedgerProofInvalid", async function () {
      const f = await loadFixture(settledOrdersFixture);
      const { cafeOrder, batch } = f;
      const proof = { ...cafeOrder.proof, index: BigInt(batch.leaves.length) };
      await expect(submitRefund(f.gateway, await refundOf(cafeOrder, f), { order: cafeOrder.order, proof }))
        .to.be.revertedWithCustomError(f.ledger, "LedgerProofInvalid")
        .withArgs(batch.batchId);
    });

    it("reverts an index pointing at another order's leaf with LedgerProofInvalid", async function () {
      const f = await loadFixture(settledOrdersFixture);
      const { cafeOrder, batch } = f;
      const proof = { ...cafeOrder.proof, index: 1n };
      await expect(submitRefund(f.gateway, await refundOf(cafeOrder, f), { order: cafeOrder.order, proof }))
        .to.be.revertedWithCustomError(f.ledger, "LedgerProofInvalid")
        .withArgs(batch.batchId);
    });

    it("reverts leaves that are not the batch's with LedgerProofInvalid", async function () {
      const f = await loadFixture(settledOrdersFixture);
      const { cafeOrder, batch } = f;
      const proof = { ...cafeOrder.proof, batchLeaves: batch.leaves.slice(0, 2) };
      await expect(submitRefund(f.gateway, await refundOf(cafeOrder, f), { order: cafeOrder.order, proof }))
        .to.be.revertedWithCustomError(f.ledger, "LedgerProofInvalid")
        .withArgs(batch.batchId);
    });

    it("reverts the right leaves under another batch's ID with LedgerProofInvalid", async function () {
      const f = await loadFixture(settledOrdersFixture);
      const { cafeOrder, other } = f;
      for (const batchId of [other.batchId, 99n]) {
        const proof = { ...cafeOrder.proof, batchId };
        await expect(submitRefund(f.gateway, await refundOf(cafeOrder, f), { order: cafeOrder.order, proof }))
          .to.be.revertedWithCustomError(f.ledger, "LedgerProofInvalid")
          .withArgs(batchId);
      }
    });

    it("reverts an order whose recorded figures were altered with LedgerProofInvalid", async function () {
      const f = await loadFixture(settledOrdersFixture);
      const { cafeOrder, batch } = f;
      const inflated = { ...cafeOrder.order, points: cafeOrder.order.points * 10n };
      await expect(submitRefund(f.gateway, await refundOf(cafeOrder, f), { order: inflated, proof: cafeOrder.proof }))
        .to.be.revertedWithCustomError(f.ledger, "LedgerProofInvalid")
        .withArgs(batch.batchId);
    });
  });

  describe("when the refund does not match the order", function () {
    it("reverts a refund by a terminal of another merchant with LedgerOrderMismatch", async function () {
      const { ledger, gateway, shop, cafeOrder } = await loadFixture(settledOrdersFixture);
      const orderId = cafeOrder.order.orderId;
      const r = await refundAt(ledger, shop.terminals[0], { nonce: 100n, order: cafeOrder.order, amount: 100n });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerOrderMismatch")
        .withArgs(orderId);
    });

    it("reverts a refund naming another order ID than the proven order with LedgerOrderMismatch", async function () {
      const { ledger, gateway, cafe, cafeOrder, smallOrder } = await loadFixture(settledOrdersFixture);
      const orderId = smallOrder.order.orderId;
      const r = await refundAt(ledger, cafe.terminals[0], { nonce: 100n, order: smallOrder.order, amount: 100n });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerOrderMismatch")
        .withArgs(orderId);
    });

    it("reverts a refund of one card's order applied to another card's order with the same order ID with LedgerOrderMismatch", async function () {
      const f = await loadFixture(settledOrdersFixture);
      const { ledger, gateway, cafe, consumers, cafeOrder } = f;
      // The cafe reuses order ID `cafeOrder` for consumer 1: the gateway's unique index would
      // refuse it, the ledger does not, and must not depend on that index.
      const reused = await signItem(ledger, cafe.terminals[0], consumers[1], { nonce: 50n, time: await latestTime(), orderId: cafeOrder.order.orderId });
      const other = locate(await settleRecorded(f, [reused]), cafeOrder.order.orderId);
      const r = await refundAt(ledger, cafe.terminals[0], { nonce: 100n, order: cafeOrder.order, amount: 100n });
      await expect(submitRefund(gateway, r, other))
        .to.be.revertedWithCustomError(ledger, "LedgerOrderMismatch")
        .withArgs(cafeOrder.order.orderId);
      expect(await ledger.balanceOf(consumers[1].cardId)).to.equal(99n + 1234n);
    });

    it("reverts a refund of one settlement applied to another settlement of the same card and order with LedgerOrderMismatch", async function () {
      const f = await loadFixture(settledOrdersFixture);
      const { ledger, gateway, cafe, consumers, cafeOrder } = f;
      const again = await signItem(ledger, cafe.terminals[0], consumers[0], { nonce: 50n, time: await latestTime(), orderId: cafeOrder.order.orderId, slipHash: id("slip:again") });
      const second = locate(await settleRecorded(f, [again]), cafeOrder.order.orderId);
      const r = await refundAt(ledger, cafe.terminals[0], { nonce: 100n, order: cafeOrder.order, amount: 100n });
      await expect(submitRefund(gateway, r, second))
        .to.be.revertedWithCustomError(ledger, "LedgerOrderMismatch")
        .withArgs(cafeOrder.order.orderId);
      expect(await ledger.refundedAmount(second.leaf)).to.equal(0n);
    });
  });

  describe("when the refund's signature or terminal is not acceptable", function () {
    it("reverts a refund signed by another key with LedgerRefundRejected(TerminalSignatureInvalid)", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const r = await refundAt(
        ledger,
        cafe.terminals[0],
        { nonce: 100n, order: cafeOrder.order, amount: 100n },
        keyFor("impostor"),
      );
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundRejected")
        .withArgs(Rejection.TerminalSignatureInvalid);
    });

    it("reverts a refund with a malleated (high-s) signature with LedgerRefundRejected(TerminalSignatureInvalid)", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const r = await refundAt(ledger, cafe.terminals[0], {
        nonce: 100n,
        order: cafeOrder.order,
        amount: 100n,
      });
      const sig = highS({ r: r.terminalR, vs: r.terminalVS });
      await expect(submitRefund(gateway, { ...r, terminalR: sig.r, terminalVS: sig.vs }, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundRejected")
        .withArgs(Rejection.TerminalSignatureInvalid);
    });

    it("reverts a refund from a disabled terminal with LedgerRefundRejected(TerminalDisabled)", async function () {
      const { ledger, registry, accounts, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      await (await acting(registry, accounts.bank).setTerminalEnabled(cafe.terminals[0].address, false)).wait();
      const r = await refundAt(ledger, cafe.terminals[0], {
        nonce: 100n,
        order: cafeOrder.order,
        amount: 100n,
      });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundRejected")
        .withArgs(Rejection.TerminalDisabled);
    });

    it("reverts a refund at a suspended merchant with LedgerRefundRejected(MerchantInactive)", async function () {
      const { ledger, registry, accounts, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      await (await acting(registry, accounts.bank).setMerchantActive(cafe.id, false)).wait();
      const r = await refundAt(ledger, cafe.terminals[0], { nonce: 100n, order: cafeOrder.order, amount: 100n });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundRejected")
        .withArgs(Rejection.MerchantInactive);
    });

    it("reverts a refund at a merchant whose card is frozen with LedgerRefundRejected(MerchantCardNotActive)", async function () {
      const { ledger, registry, accounts, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      await (await acting(registry, accounts.bank).freezeCard(cafe.cardId)).wait();
      const r = await refundAt(ledger, cafe.terminals[0], { nonce: 100n, order: cafeOrder.order, amount: 100n });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundRejected")
        .withArgs(Rejection.MerchantCardNotActive);
    });

    it("reverts a refund from an unregistered terminal with LedgerRefundRejected(TerminalUnknown)", async function () {
      const { ledger, gateway, cafeOrder } = await loadFixture(settledOrdersFixture);
      const stranger = keyFor("terminal-unregistered");
      const r = await refundAt(ledger, stranger, { nonce: 100n, order: cafeOrder.order, amount: 100n });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundRejected")
        .withArgs(Rejection.TerminalUnknown);
    });

    it("reverts a replayed refund with LedgerRefundRejected(NonceUsed)", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const r = await refundAt(ledger, cafe.terminals[0], {
        nonce: 100n,
        order: cafeOrder.order,
        amount: 100n,
      });
      await (await submitRefund(gateway, r, cafeOrder)).wait();
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundRejected")
        .withArgs(Rejection.NonceUsed);
    });

    it("reverts a refund reusing a settlement's nonce with LedgerRefundRejected(NonceUsed)", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const r = await refundAt(ledger, cafe.terminals[0], {
        nonce: 1n,
        order: cafeOrder.order,
        amount: 100n,
      });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundRejected")
        .withArgs(Rejection.NonceUsed);
    });

    it("reverts a refund older than SIGNATURE_TTL with LedgerRefundRejected(Expired)", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const r = await refundAt(ledger, cafe.terminals[0], {
        nonce: 100n,
        order: cafeOrder.order,
        amount: 100n,
      });
      await time.increase(SIGNATURE_TTL + 1n);
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundRejected")
        .withArgs(Rejection.Expired);
    });

    it("reverts a refund dated too far in the future with LedgerRefundRejected(TimeInFuture)", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const r = await refundAt(ledger, cafe.terminals[0], {
        nonce: 100n,
        order: cafeOrder.order,
        amount: 100n,
        time: (await latestTime()) + 3_600n,
      });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundRejected")
        .withArgs(Rejection.TimeInFuture);
    });

    it("leaves the nonce unused when the refund reverts", async function () {
      const { ledger, gateway, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const terminal = cafe.terminals[0];
      const r = await refundAt(ledger, terminal, { nonce: 100n, order: cafeOrder.order, amount: 0n });
      await expect(submitRefund(gateway, r, cafeOrder))
        .to.be.revertedWithCustomError(ledger, "LedgerRefundExceedsOrder")
        .withArgs(cafeOrder.order.orderId, 0n, 0n, cafeOrder.order.amount);
      expect(await ledger.nonceUsed(terminal.address, 100n)).to.equal(false);
    });
  });

  describe("when the caller is not the gateway", function () {
    it("rejects the outsider and the bank with LedgerUnauthorized", async function () {
      const { ledger, accounts, cafe, cafeOrder } = await loadFixture(settledOrdersFixture);
      const r = await refundAt(ledger, cafe.terminals[0], {
        nonce: 100n,
        order: cafeOrder.order,
        amount: 100n,
      });
      for (const caller of [accounts.outsider, accounts.bank]) {
        await expect(submitRefund(ledger.connect(caller), r, cafeOrder))
          .to.be.revertedWithCustomError(ledger, "LedgerUnauthorized")
          .withArgs(caller.address, ROLES.GATEWAY);
      }
    });
  });
});
