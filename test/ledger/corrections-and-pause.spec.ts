import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ROLES } from "../../src/chain/roles";
import { CREDENTIALS, DEFAULT_AGREEMENT, cardIdFor, latestTime, proposeAndGetId } from "../helpers/suite";
import { CredentialStatus } from "../../src/domain/operator-steps";
import {
  Reversal,
  deployLedgerFixture,
  earnedEventArgs,
  locate,
  redemptionMessage,
  settleRecorded,
  signItem,
  signRedemption,
  refundAt,
  submitRedemption,
  submitRefund,
  voidAction,
  NO_ORDER,
} from "../helpers/ledger-ops";
import { dual, acting, expectActRevert } from "../helpers/dual-control";
import { shouldBeActOf } from "../helpers/act-behavior";

const REASON_FRAUD = 7;
/** A correction comes from no terminal: PointsReversed names the zero address and nonce 0. */
const ZERO_ADDRESS = "0x" + "00".repeat(20);
/** IDualControl.ProposalState.Pending. */
const PROPOSAL_PENDING = 1n;

/**
 * Consumer 0 earned 1 234 points (123 credit points for the cafe) on one cafe order, and
 * 123 points at the shop; consumer 1 earned nothing.
 */
async function earnedFixture() {
  const f = await deployLedgerFixture();
  const now = await latestTime();
  const cafeItem = await signItem(f.ledger, f.cafe.terminals[0], f.consumers[0], { nonce: 1n, time: now });
  const batch = await settleRecorded(f, [
    cafeItem,
    await signItem(f.ledger, f.shop.terminals[0], f.consumers[0], { nonce: 1n, time: now }),
  ]);
  return { ...f, batch, cafeOrder: locate(batch, cafeItem.settlement.orderId) };
}

type Fixture = Awaited<ReturnType<typeof earnedFixture>>;

/** The earned fixture and a second cafe order of consumer 0: the holding holds more than either order. */
async function twoCafeOrdersFixture() {
  const f = await earnedFixture();
  const item = await signItem(f.ledger, f.cafe.terminals[0], f.consumers[0], { nonce: 2n, time: await latestTime() });
  await settleRecorded(f, [item]);
  return f;
}

function cafeVoid(f: Fixture, points: bigint, creditPoints: bigint, cardId = f.consumers[0].cardId): string {
  return voidAction(f.ledger, {
    cardId,
    merchantId: f.cafe.id,
    points,
    creditPoints,
    reasonCode: REASON_FRAUD,
    order: f.cafeOrder,
  });
}

/** The earned fixture with the ledger paused by the bank. */
async function pausedFixture() {
  const f = await earnedFixture();
  await (await acting(f.ledger, f.accounts.bank).pause()).wait();
  return f;
}

describe("PointsLedger: corrections and pause", function () {
  describe("voidPoints", function () {
    describe("when the bank proposes and the credit center approves", function () {
      it("reverses the points and credit points with reason Correction and the bank's code", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, accounts, consumers, cafe, cafeOrder } = f;
        const action = cafeVoid(f, 200n, 20n);
        const proposalId = await proposeAndGetId(ledger, accounts.bank, action);
        await expect(dual(ledger, accounts.creditCenter).approve(proposalId, action))
          .to.emit(ledger, "PointsReversed")
          .withArgs(
            consumers[0].cardId,
            cafe.id,
            cafeOrder.order.orderId,
            ZERO_ADDRESS,
            0n,
            Reversal.Correction,
            REASON_FRAUD,
            200n,
            20n,
            0n,
          )
          .and.to.emit(ledger, "ProposalExecuted")
          .withArgs(proposalId, CREDENTIALS.creditCenter);
      });

      it("debits the account, the holding, the merchant and the totals", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, accounts, consumers, cafe } = f;
        const action = cafeVoid(f, 200n, 20n);
        await (
          await dual(ledger, accounts.creditCenter).approve(await proposeAndGetId(ledger, accounts.bank, action), action)
        ).wait();
        expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(1357n - 200n);
        expect((await ledger.accountStats(consumers[0].cardId)).reversed).to.equal(200n);
        expect((await ledger.holding(consumers[0].cardId, cafe.id)).reversed).to.equal(200n);
        const m = await ledger.merchantStats(cafe.id);
        expect([m.pointsReversed, m.creditPointsReversed]).to.deep.equal([200n, 20n]);
        expect(await ledger.totals()).to.deep.equal([1357n, 200n, 0n]);
      });

      it("voids all the points the holding earned", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, accounts, consumers, cafe } = f;
        const action = cafeVoid(f, 1234n, 123n);
        await (
          await dual(ledger, accounts.creditCenter).approve(await proposeAndGetId(ledger, accounts.bank, action), action)
        ).wait();
        const h = await ledger.holding(consumers[0].cardId, cafe.id);
        expect(h.reversed).to.equal(h.earned);
      });

      it("voids credit points alone naming the merchant's own card", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, accounts, cafe, cafeOrder } = f;
        const action = cafeVoid(f, 0n, 5n, cafe.cardId);
        await expect(
          dual(ledger, accounts.creditCenter).approve(await proposeAndGetId(ledger, accounts.bank, action), action),
        )
          .to.emit(ledger, "PointsReversed")
          .withArgs(
            cafe.cardId,
            cafe.id,
            cafeOrder.order.orderId,
            ZERO_ADDRESS,
            0n,
            Reversal.Correction,
            REASON_FRAUD,
            0n,
            5n,
            0n,
          );
        const m = await ledger.merchantStats(cafe.id);
        expect([m.pointsReversed, m.creditPointsReversed]).to.deep.equal([0n, 5n]);
      });

      it("voids the credit points of a consumer's points alongside them, up to as many", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, accounts, cafe } = f;
        const action = cafeVoid(f, 100n, 100n);
        await (
          await dual(ledger, accounts.creditCenter).approve(await proposeAndGetId(ledger, accounts.bank, action), action)
        ).wait();
        const m = await ledger.merchantStats(cafe.id);
        expect([m.pointsReversed, m.creditPointsReversed]).to.deep.equal([100n, 100n]);
      });

      it("takes the balance below zero when the voided points were already spent", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, gateway, accounts, consumers, shop } = f;
        const terminal = shop.terminals[0];
        const spend = await signRedemption(
          ledger,
          redemptionMessage({
            cardId: consumers[0].cardId,
            terminal: terminal.address,
            nonce: 100n,
            points: 1300n,
            time: await latestTime(),
          }),
          terminal,
          consumers[0].key,
        );
        await (await submitRedemption(gateway, spend)).wait();
        const action = cafeVoid(f, 1234n, 0n);
        await (
          await dual(ledger, accounts.creditCenter).approve(await proposeAndGetId(ledger, accounts.bank, action), action)
        ).wait();
        expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(1357n - 1300n - 1234n);
      });
    });

    describe("when the credit center proposes and the bank approves", function () {
      it("reverses the points", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, accounts, consumers, cafe, cafeOrder } = f;
        const action = cafeVoid(f, 34n, 3n);
        const proposalId = await proposeAndGetId(ledger, accounts.creditCenter, action);
        await expect(dual(ledger, accounts.bank).approve(proposalId, action))
          .to.emit(ledger, "PointsReversed")
          .withArgs(
            consumers[0].cardId,
            cafe.id,
            cafeOrder.order.orderId,
            ZERO_ADDRESS,
            0n,
            Reversal.Correction,
            REASON_FRAUD,
            34n,
            3n,
            0n,
          );
        expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(1357n - 34n);
      });
    });

    describe("when the correction is invalid", function () {
      async function approvalOf(f: Fixture, action: string) {
        const proposalId = await proposeAndGetId(f.ledger, f.accounts.bank, action);
        return { proposalId, tx: dual(f.ledger, f.accounts.creditCenter).approve(proposalId, action) };
      }
      const correctionInvalid = (f: Fixture) => f.ledger.interface.encodeErrorResult("LedgerCorrectionInvalid", []);

      it("fails the approval with DualControlActionFailed for more points than the holding earned", async function () {
        const f = await loadFixture(earnedFixture);
        const { proposalId, tx } = await approvalOf(f, cafeVoid(f, 1235n, 0n));
        await expect(tx)
          .to.be.revertedWithCustomError(f.ledger, "DualControlActionFailed")
          .withArgs(proposalId, correctionInvalid(f));
      });

      it("fails the approval for more points than are left after an earlier correction", async function () {
        const f = await loadFixture(earnedFixture);
        const first = cafeVoid(f, 1000n, 0n);
        await (
          await dual(f.ledger, f.accounts.creditCenter).approve(await proposeAndGetId(f.ledger, f.accounts.bank, first), first)
        ).wait();
        const { proposalId, tx } = await approvalOf(f, cafeVoid(f, 235n, 0n));
        await expect(tx)
          .to.be.revertedWithCustomError(f.ledger, "DualControlActionFailed")
          .withArgs(proposalId, correctionInvalid(f));
      });

      it("fails the approval for more credit points than the merchant earned", async function () {
        const f = await loadFixture(earnedFixture);
        const { proposalId, tx } = await approvalOf(f, cafeVoid(f, 0n, 124n));
        await expect(tx)
          .to.be.revertedWithCustomError(f.ledger, "DualControlActionFailed")
          .withArgs(proposalId, correctionInvalid(f));
      });

      it("fails the approval for zero points and zero credit points", async function () {
        const f = await loadFixture(earnedFixture);
        const { proposalId, tx } = await approvalOf(f, cafeVoid(f, 0n, 0n));
        await expect(tx)
          .to.be.revertedWithCustomError(f.ledger, "DualControlActionFailed")
          .withArgs(proposalId, correctionInvalid(f));
      });

      it("fails the approval for a card the holding does not belong to", async function () {
        const f = await loadFixture(earnedFixture);
        const { proposalId, tx } = await approvalOf(f, cafeVoid(f, 1n, 0n, f.consumers[1].cardId));
        await expect(tx)
          .to.be.revertedWithCustomError(f.ledger, "DualControlActionFailed")
          .withArgs(proposalId, correctionInvalid(f));
      });

      describe("when the correction does not name whose points it voids", function () {
        /** Approves the cafe's void of `points` and `creditPoints` naming `cardId`; expects it to fail, unattributed. */
        async function expectUnattributed(f: Fixture, cardId: string, points: bigint, creditPoints: bigint) {
          const { proposalId, tx } = await approvalOf(f, cafeVoid(f, points, creditPoints, cardId));
          const reason = f.ledger.interface.encodeErrorResult("LedgerCorrectionUnattributed", [cardId, f.cafe.id, points, creditPoints]);
          await expect(tx).to.be.revertedWithCustomError(f.ledger, "DualControlActionFailed").withArgs(proposalId, reason);
        }

        it("fails the approval for a merchant's credit points voided naming an unrelated card", async function () {
          const f = await loadFixture(earnedFixture);
          await expectUnattributed(f, f.consumers[1].cardId, 0n, 50n);
          expect((await f.ledger.merchantStats(f.cafe.id)).creditPointsReversed).to.equal(0n);
        });

        it("fails the approval for credit points alone named to a consumer's card that holds points there", async function () {
          const f = await loadFixture(earnedFixture);
          await expectUnattributed(f, f.consumers[0].cardId, 0n, 5n);
        });

        it("fails the approval for more credit points than the consumer's points it voids", async function () {
          const f = await loadFixture(earnedFixture);
          await expectUnattributed(f, f.consumers[0].cardId, 10n, 11n);
        });
      });

      it("fails the approval for an unknown card with the registry's CardUnknown", async function () {
        const f = await loadFixture(earnedFixture);
        const nobody = cardIdFor("nobody");
        const { proposalId, tx } = await approvalOf(f, cafeVoid(f, 1n, 0n, nobody));
        const reason = f.registry.interface.encodeErrorResult("CardUnknown", [nobody]);
        await expect(tx)
          .to.be.revertedWithCustomError(f.ledger, "DualControlActionFailed")
          .withArgs(proposalId, reason);
      });

      it("leaves the proposal pending after a failed approval", async function () {
        const f = await loadFixture(earnedFixture);
        const { proposalId, tx } = await approvalOf(f, cafeVoid(f, 0n, 0n));
        await expect(tx)
          .to.be.revertedWithCustomError(f.ledger, "DualControlActionFailed")
          .withArgs(proposalId, correctionInvalid(f));
        expect((await f.ledger.proposal(proposalId)).state).to.equal(PROPOSAL_PENDING);
      });
    });

    describe("when the correction names an order", function () {
      /** Approves `action` through dual control and waits for it. */
      async function approved(f: Fixture, action: string) {
        await (await dual(f.ledger, f.accounts.creditCenter).approve(await proposeAndGetId(f.ledger, f.accounts.bank, action), action)).wait();
      }
      /** The approval of `action`, expected to fail with the ledger's `error` and `args`. */
      async function expectRefused(f: Fixture, action: string, error: string, args: unknown[]) {
        const proposalId = await proposeAndGetId(f.ledger, f.accounts.bank, action);
        await expect(dual(f.ledger, f.accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(f.ledger, "DualControlActionFailed")
          .withArgs(proposalId, f.ledger.interface.encodeErrorResult(error, args));
      }

      it("refuses a second correction of the order past what the first left un-reversed", async function () {
        const f = await loadFixture(twoCafeOrdersFixture);
        await approved(f, cafeVoid(f, 300n, 20n));
        await expectRefused(f, cafeVoid(f, 1000n, 0n), "LedgerCorrectionExceedsOrder", [f.cafeOrder.order.orderId, 934n, 103n]);
        expect((await f.ledger.holding(f.consumers[0].cardId, f.cafe.id)).reversed).to.equal(300n);
      });

      it("voids the rest of the order in a second correction, and nothing after that", async function () {
        const f = await loadFixture(twoCafeOrdersFixture);
        await approved(f, cafeVoid(f, 300n, 20n));
        await approved(f, cafeVoid(f, 934n, 103n));
        await expectRefused(f, cafeVoid(f, 1n, 0n), "LedgerCorrectionExceedsOrder", [f.cafeOrder.order.orderId, 0n, 0n]);
      });

      it("refuses more than a partial refund of the order left, the refund and corrections sharing one bound", async function () {
        const f = await loadFixture(twoCafeOrdersFixture);
        const { order } = f.cafeOrder;
        await (await submitRefund(f.gateway, await refundAt(f.ledger, f.cafe.terminals[0], { nonce: 50n, order, amount: order.amount / 2n }), f.cafeOrder)).wait();
        const pointsLeft = order.points - (order.points * (order.amount / 2n)) / order.amount;
        const creditLeft = order.creditPoints - (order.creditPoints * (order.amount / 2n)) / order.amount;
        await expectRefused(f, cafeVoid(f, pointsLeft + 1n, 0n), "LedgerCorrectionExceedsOrder", [order.orderId, pointsLeft, creditLeft]);
        await approved(f, cafeVoid(f, pointsLeft, creditLeft));
        expect((await f.ledger.holding(f.consumers[0].cardId, f.cafe.id)).reversed).to.equal(order.points);
      });

      it("refuses any correction of an order refunded in full", async function () {
        const f = await loadFixture(twoCafeOrdersFixture);
        const { order } = f.cafeOrder;
        await (await submitRefund(f.gateway, await refundAt(f.ledger, f.cafe.terminals[0], { nonce: 50n, order, amount: order.amount }), f.cafeOrder)).wait();
        await expectRefused(f, cafeVoid(f, 1n, 0n), "LedgerCorrectionExceedsOrder", [order.orderId, 0n, 0n]);
      });

      it("refuses an order of another merchant with LedgerOrderMismatch", async function () {
        const f = await loadFixture(twoCafeOrdersFixture);
        const shopOrder = locate(f.batch, f.batch.orders.find((o) => o.merchantId === f.shop.id)!.orderId);
        const action = voidAction(f.ledger, { cardId: f.consumers[0].cardId, merchantId: f.cafe.id, points: 1n, creditPoints: 0n, reasonCode: REASON_FRAUD, order: shopOrder });
        await expectRefused(f, action, "LedgerOrderMismatch", [shopOrder.order.orderId]);
      });

      it("refuses an order whose proof does not match a recorded batch with LedgerProofInvalid", async function () {
        const f = await loadFixture(twoCafeOrdersFixture);
        const forged = { order: { ...f.cafeOrder.order, points: 5000n }, proof: f.cafeOrder.proof };
        const action = voidAction(f.ledger, { cardId: f.consumers[0].cardId, merchantId: f.cafe.id, points: 1n, creditPoints: 0n, reasonCode: REASON_FRAUD, order: forged });
        await expectRefused(f, action, "LedgerProofInvalid", [f.cafeOrder.proof.batchId]);
      });

      it("bounds a correction naming no order by the holding alone", async function () {
        const f = await loadFixture(twoCafeOrdersFixture);
        await approved(f, cafeVoid(f, 1234n, 0n));
        const unnamed = voidAction(f.ledger, { cardId: f.consumers[0].cardId, merchantId: f.cafe.id, points: 1000n, creditPoints: 0n, reasonCode: REASON_FRAUD });
        await approved(f, unnamed);
        expect((await f.ledger.holding(f.consumers[0].cardId, f.cafe.id)).reversed).to.equal(2234n);
      });
    });

    describe("when dual control is bypassed", function () {
      it("rejects a direct call by the bank with DualControlOnlySelf", async function () {
        const { ledger, accounts, consumers, cafe } = await loadFixture(earnedFixture);
        await expect(
          ledger.connect(accounts.bank).voidPoints(consumers[0].cardId, cafe.id, 1n, 0n, REASON_FRAUD, NO_ORDER.order, NO_ORDER.proof),
        )
          .to.be.revertedWithCustomError(ledger, "DualControlOnlySelf")
          .withArgs(accounts.bank.address);
      });

      it("does not let the proposer approve its own proposal", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, accounts } = f;
        const action = cafeVoid(f, 1n, 0n);
        const proposalId = await proposeAndGetId(ledger, accounts.bank, action);
        await expect(dual(ledger, accounts.bank).approve(proposalId, action))
          .to.be.revertedWithCustomError(ledger, "DualControlApproverNotCounterpart")
          .withArgs(proposalId, CREDENTIALS.bank);
      });

      it("does not let another holder of the proposer's role approve", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, accounts } = f;
        const action = cafeVoid(f, 1n, 0n);
        const proposalId = await proposeAndGetId(ledger, accounts.bank, action);
        await expect(dual(ledger, accounts.bank2).approve(proposalId, action))
          .to.be.revertedWithCustomError(ledger, "DualControlApproverNotCounterpart")
          .withArgs(proposalId, CREDENTIALS.bank2);
      });

      it("does not let the gateway or an outsider propose (they hold no credential)", async function () {
        const f = await loadFixture(earnedFixture);
        const action = cafeVoid(f, 1n, 0n);
        for (const caller of [f.accounts.gateway, f.accounts.outsider]) {
          await expect(dual(f.ledger, caller).propose(action))
            .to.be.revertedWithCustomError(f.operators, "OperatorCredentialsCredentialNotActive")
            .withArgs(0n, CredentialStatus.None);
        }
      });

      it("refuses to propose any ledger function but voidPoints", async function () {
        const { ledger, accounts } = await loadFixture(earnedFixture);
        const action = ledger.interface.encodeFunctionData("pause");
        await expect(dual(ledger, accounts.bank).propose(action))
          .to.be.revertedWithCustomError(ledger, "DualControlActionNotAllowed")
          .withArgs(ledger.interface.getFunction("pause").selector);
      });

      it("runs only the exact action proposed", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, accounts } = f;
        const proposalId = await proposeAndGetId(ledger, accounts.bank, cafeVoid(f, 1n, 0n));
        await expect(dual(ledger, accounts.creditCenter).approve(proposalId, cafeVoid(f, 1000n, 0n)))
          .to.be.revertedWithCustomError(ledger, "DualControlActionMismatch")
          .withArgs(proposalId);
      });
    });

    describe("when a correction and a refund hit the same order", function () {
      it("never reverses more than the holding and the merchant earned", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, gateway, accounts, consumers, cafe, cafeOrder } = f;
        const action = cafeVoid(f, 1234n, 123n);
        await (
          await dual(ledger, accounts.creditCenter).approve(await proposeAndGetId(ledger, accounts.bank, action), action)
        ).wait();
        const terminal = cafe.terminals[0];
        const r = await refundAt(ledger, terminal, {
          nonce: 100n,
          order: cafeOrder.order,
          amount: cafeOrder.order.amount,
        });
        // Either outcome keeps the books right: the refund is refused, or it reverses nothing more.
        await submitRefund(gateway, r, cafeOrder).then(
          (tx) => tx.wait(),
          () => undefined,
        );
        const h = await ledger.holding(consumers[0].cardId, cafe.id);
        expect(h.reversed).to.be.at.most(h.earned);
        const m = await ledger.merchantStats(cafe.id);
        expect(m.pointsReversed).to.be.at.most(m.pointsGranted);
        expect(m.creditPointsReversed).to.be.at.most(m.creditPoints);
        expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(123n);
      });
    });
  });

  describe("pause", function () {
    describe("when the bank pauses", function () {
      it("emits Paused and reports paused", async function () {
        const { ledger, accounts } = await loadFixture(earnedFixture);
        await expect(acting(ledger, accounts.bank).pause()).to.emit(ledger, "Paused").withArgs(CREDENTIALS.bank);
        expect(await ledger.paused()).to.equal(true);
      });

      it("refuses settle, settleBatch, refund and redeem with EnforcedPause", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, gateway, accounts, consumers, shop, cafe, cafeOrder } = f;
        const now = await latestTime();
        const item = await signItem(ledger, shop.terminals[0], consumers[1], { nonce: 50n, time: now });
        const r = await refundAt(ledger, cafe.terminals[0], {
          nonce: 100n,
          order: cafeOrder.order,
          amount: 1n,
          time: now,
        });
        const spend = await signRedemption(
          ledger,
          redemptionMessage({
            cardId: consumers[0].cardId,
            terminal: shop.terminals[0].address,
            nonce: 100n,
            points: 1n,
            time: now,
          }),
          shop.terminals[0],
          consumers[0].key,
        );
        await (await acting(ledger, accounts.bank).pause()).wait();
        await expect(gateway.settle(item)).to.be.revertedWithCustomError(ledger, "EnforcedPause");
        await expect(gateway.settleBatch([item])).to.be.revertedWithCustomError(ledger, "EnforcedPause");
        await expect(submitRefund(gateway, r, cafeOrder)).to.be.revertedWithCustomError(ledger, "EnforcedPause");
        await expect(submitRedemption(gateway, spend)).to.be.revertedWithCustomError(ledger, "EnforcedPause");
      });

      it("still lets dual control void points", async function () {
        const f = await loadFixture(earnedFixture);
        const { ledger, accounts, consumers, cafe, cafeOrder } = f;
        await (await acting(ledger, accounts.bank).pause()).wait();
        const action = cafeVoid(f, 1n, 0n);
        const proposalId = await proposeAndGetId(ledger, accounts.bank, action);
        await expect(dual(ledger, accounts.creditCenter).approve(proposalId, action))
          .to.emit(ledger, "PointsReversed")
          .withArgs(
            consumers[0].cardId,
            cafe.id,
            cafeOrder.order.orderId,
            ZERO_ADDRESS,
            0n,
            Reversal.Correction,
            REASON_FRAUD,
            1n,
            0n,
            0n,
          );
      });

      it("refuses to pause twice with EnforcedPause", async function () {
        const { ledger, accounts } = await loadFixture(earnedFixture);
        await (await acting(ledger, accounts.bank).pause()).wait();
        await expectActRevert(acting(ledger, accounts.bank2).pause(), ledger, "EnforcedPause");
      });
    });

    describe("when the bank unpauses", function () {
      it("emits Unpaused and accepts settlements again", async function () {
        const { ledger, gateway, accounts, consumers, shop, creditRateBps } = await loadFixture(earnedFixture);
        await (await acting(ledger, accounts.bank).pause()).wait();
        await expect(acting(ledger, accounts.bank2).unpause())
          .to.emit(ledger, "Unpaused")
          .withArgs(CREDENTIALS.bank2);
        const item = await signItem(ledger, shop.terminals[0], consumers[1], { nonce: 50n, time: await latestTime() });
        await expect(gateway.settle(item))
          .to.emit(ledger, "PointsEarned")
          .withArgs(...earnedEventArgs(item, shop.id, DEFAULT_AGREEMENT, creditRateBps));
      });

      it("refuses to unpause a running ledger with ExpectedPause", async function () {
        const { ledger, accounts } = await loadFixture(earnedFixture);
        await expectActRevert(acting(ledger, accounts.bank).unpause(), ledger, "ExpectedPause");
      });
    });

    describe("pause", function () {
      shouldBeActOf({ fixture: earnedFixture, contract: (f) => f.ledger, institution: ROLES.BANK, fn: "pause", args: () => [] });
    });

    describe("unpause", function () {
      shouldBeActOf({ fixture: pausedFixture, contract: (f) => f.ledger, institution: ROLES.BANK, fn: "unpause", args: () => [] });
    });
  });

  describe("non-transferability", function () {
    it("has no ERC-20 or ERC-721 transfer, approval or allowance function in its ABI", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      const signatures: string[] = [];
      ledger.interface.forEachFunction((fn) => signatures.push(fn.format("sighash")));
      for (const forbidden of [
        "transfer(address,uint256)",
        "transferFrom(address,address,uint256)",
        "approve(address,uint256)",
        "allowance(address,address)",
        "safeTransferFrom(address,address,uint256)",
        "safeTransferFrom(address,address,uint256,bytes)",
        "setApprovalForAll(address,bool)",
      ]) {
        expect(signatures).to.not.include(forbidden);
      }
      expect(signatures.filter((s) => /transfer|allowance/i.test(s))).to.deep.equal([]);
      // Dual control approves a proposal with `approveProposal`, never taken for ERC-20's approve.
      expect(signatures.filter((s) => s.startsWith("approve("))).to.deep.equal([]);
    });

    it("moves points only by settlement, refund, redemption and correction", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      const writers: string[] = [];
      ledger.interface.forEachFunction((fn) => {
        if (!fn.constant) writers.push(fn.name);
      });
      expect(writers.sort()).to.deep.equal(
        [
          "act",
          "approveProposal",
          "pause",
          "propose",
          // The registry's record of a card: it carries an account's figures to its replacement
          // card, within the account, and moves no points between accounts.
          "recordCard",
          // Copies of the registry's terminals, merchants' terms, credit rule and revoked
          // gateways: terms a settlement is priced under, no points.
          "recordCreditPointRule",
          "recordGatewayRevoked",
          "recordMerchantTerms",
          "recordTerminal",
          "redeem",
          "refund",
          "reject",
          // Keeps the batch chain's latest value for good: a hash the ledger computed, no points.
          "sealChain",
          "settle",
          "settleBatch",
          "unpause",
          "voidPoints",
          "withdraw",
        ].sort(),
      );
    });
  });
});
