import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { latestTime, proposeAndGetId } from "../helpers/suite";
import { deployLedgerFixture, locate, refundAt, settleRecorded, signItem, submitRefund, voidAction, type LocatedOrder } from "../helpers/ledger-ops";
import { dual } from "../helpers/dual-control";

const REASON_FRAUD = 7;

/** Consumer 0 earned points on two cafe orders, A and B, of the same amount; consumer 1 on order C; one batch. */
async function twoOrdersFixture() {
  const f = await deployLedgerFixture();
  const now = await latestTime();
  const itemA = await signItem(f.ledger, f.cafe.terminals[0], f.consumers[0], { nonce: 1n, time: now });
  const itemB = await signItem(f.ledger, f.cafe.terminals[0], f.consumers[0], { nonce: 2n, time: now });
  const itemC = await signItem(f.ledger, f.cafe.terminals[0], f.consumers[1], { nonce: 3n, time: now });
  const batch = await settleRecorded(f, [itemA, itemB, itemC]);
  const orderA = locate(batch, itemA.settlement.orderId);
  const orderB = locate(batch, itemB.settlement.orderId);
  const orderC = locate(batch, itemC.settlement.orderId);
  return { ...f, orderA, orderB, orderC };
}

type Fixture = Awaited<ReturnType<typeof twoOrdersFixture>>;

/** Voids `points` and `credit` of consumer 0's cafe holding, naming `order`, through dual control. */
async function voidNaming(f: Fixture, order: LocatedOrder, points: bigint, credit: bigint): Promise<void> {
  const action = voidAction(f.ledger, {
    cardId: f.consumers[0].cardId,
    merchantId: f.cafe.id,
    points,
    creditPoints: credit,
    reasonCode: REASON_FRAUD,
    order,
  });
  const proposalId = await proposeAndGetId(f.ledger, f.accounts.bank, action);
  await (await dual(f.ledger, f.accounts.creditCenter).approve(proposalId, action)).wait();
}

/** Refunds `amount` of `order` at the cafe; returns the points and credit points it reversed. */
async function refund(f: Fixture, order: LocatedOrder, nonce: bigint, amount: bigint): Promise<{ points: bigint; credit: bigint }> {
  const r = await refundAt(f.ledger, f.cafe.terminals[0], { nonce, order: order.order, amount });
  const receipt = (await (await submitRefund(f.gateway, r, order)).wait())!;
  const event = receipt.logs.map((l) => f.ledger.interface.parseLog(l)).find((e) => e?.name === "PointsReversed")!;
  return { points: event.args.points, credit: event.args.creditPoints };
}

describe("PointsLedger: a refund of an order a bank correction voided", function () {
  it("reverses nothing more when the correction voided all of the order's points, and the other order's points stay", async function () {
    const f = await loadFixture(twoOrdersFixture);
    const { orderA, orderB } = f;
    await voidNaming(f, orderA, orderA.order.points, orderA.order.creditPoints);
    expect(await refund(f, orderA, 100n, orderA.order.amount)).to.deep.equal({ points: 0n, credit: 0n });
    expect(await f.ledger.balanceOf(f.consumers[0].cardId)).to.equal(orderB.order.points);
  });

  it("reverses only what a partial correction left of the order, over several partial refunds", async function () {
    const f = await loadFixture(twoOrdersFixture);
    const { orderA, orderB } = f;
    const voided = orderA.order.points / 3n;
    await voidNaming(f, orderA, voided, 0n);
    const half = orderA.order.amount / 2n;
    const first = await refund(f, orderA, 100n, half);
    const second = await refund(f, orderA, 101n, orderA.order.amount - half);
    expect(voided + first.points + second.points).to.equal(orderA.order.points);
    expect(first.credit + second.credit).to.equal(orderA.order.creditPoints);
    expect(await f.ledger.balanceOf(f.consumers[0].cardId)).to.equal(orderB.order.points);
  });

  it("refuses a correction on this card naming another card's order, which leaves that order's refund whole", async function () {
    const f = await loadFixture(twoOrdersFixture);
    const { orderC } = f;
    await expect(voidNaming(f, orderC, orderC.order.points, 0n))
      .to.be.revertedWithCustomError(f.ledger, "DualControlActionFailed")
      .withArgs(anyValue, f.ledger.interface.encodeErrorResult("LedgerOrderMismatch", [orderC.order.orderId]));
    expect((await refund(f, orderC, 100n, orderC.order.amount)).points).to.equal(orderC.order.points);
    expect(await f.ledger.balanceOf(f.consumers[1].cardId)).to.equal(0n);
  });

  it("still reverses the full share of an order the correction did not name", async function () {
    const f = await loadFixture(twoOrdersFixture);
    const { orderA, orderB } = f;
    await voidNaming(f, orderA, orderA.order.points, 0n);
    expect((await refund(f, orderB, 100n, orderB.order.amount)).points).to.equal(orderB.order.points);
    expect(await f.ledger.balanceOf(f.consumers[0].cardId)).to.equal(0n);
  });
});
