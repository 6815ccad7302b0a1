/**
 * Refunds the gateway cannot prove, against a real gateway: the order's settlement was recorded
 * by a transaction whose receipt was lost (the state recordDropped leaves), or was rejected after
 * the refund was accepted. Such a refund is rejected with its reason, and the refunds and
 * redemptions queued behind it still reach the ledger.
 */
import { expect } from "chai";
import type { Slip } from "../../src/domain/slips";
import {
  issueConsumer,
  openMerchant,
  rowIdOf,
  startGatewayFixture,
  waitForFinal,
  type Consumer,
  type GatewayFixture,
  type Merchant,
} from "./helpers/gateway-fixture";

const LINES = [{ description: "Lamp", quantity: 1, unitPrice: "8800" }];

describe("submitter: refunds without a proof", function () {
  let f: GatewayFixture;
  let shop: Merchant;
  let orders = 0;

  const slipFor = (card: Consumer, orderNumber: string): Slip =>
    shop.terminal.slip({ orderNumber, cardId: card.cardId, currency: "CNY", category: 1, lines: LINES });
  const settled = async (card: Consumer, orderNumber: string) =>
    waitForFinal(f, (await shop.terminal.settle(slipFor(card, orderNumber), card.signer)).id);

  before(async function () {
    f = await startGatewayFixture();
    shop = await openMerchant(f, "refund-proof-shop");
  });

  after(async function () {
    await f?.stop();
  });

  it("rejects a refund of an order whose receipt was lost with refund.order_unprovable, and a redemption behind it confirms", async function () {
    const card = await issueConsumer(f, "receipt-lost");
    const order = `RP-${++orders}`;
    const settlement = await settled(card, order);
    await f.gateway.db.query(
      "update submissions set points = null, credit_points = null, leaf = null, reason = 'ledger.receipt_lost', tx_hash = $2 where id = $1",
      [rowIdOf(settlement.id), "0x" + "de".repeat(32)],
    );
    const refund = await shop.terminal.refund(settlement, 100n);
    const redemption = await shop.terminal.redeem(card.cardId, 1n, `RP-${++orders}`, card.signer);
    expect(await waitForFinal(f, refund.id)).to.include({ status: "rejected", reason: "refund.order_unprovable" });
    expect(await waitForFinal(f, redemption.id)).to.include({ status: "confirmed" });
  });

  it("rejects a refund whose order's settlement was rejected after the refund was accepted with refund.order_not_settled", async function () {
    const card = await issueConsumer(f, "settlement-rejected");
    const order = `RP-${++orders}`;
    const settlement = await settled(card, order);
    // The settlement back on its way (not yet due), so the refund is accepted and waits for it...
    await f.gateway.db.query("update submissions set status = 'queued', next_attempt_at = now() + interval '1 hour' where id = $1", [rowIdOf(settlement.id)]);
    const refund = await shop.terminal.refund(settlement, 100n);
    expect((await shop.terminal.status(refund.id)).status).to.equal("queued");
    // ...then the ledger rejects it.
    await f.gateway.db.query("update submissions set status = 'rejected', reason = 'terminal.disabled' where id = $1", [rowIdOf(settlement.id)]);
    expect(await waitForFinal(f, refund.id)).to.include({ status: "rejected", reason: "refund.order_not_settled" });
  });
});
