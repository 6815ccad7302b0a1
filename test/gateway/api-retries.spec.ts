/**
 * Retries of accepted submissions against a real gateway: a terminal that lost the answer sends
 * the very same request again, maybe after the state that let it through has changed (the card
 * frozen, the points spent). It must get the stored submission back (200, duplicate), never a
 * refusal of what was accepted; a different request under the same nonce is still refused.
 */
import { expect } from "chai";
import request from "supertest";
import { orderIdOf, type Slip } from "../../src/domain/slips";
import { ledgerDomain, redemptionDigest, signDigest, type RedemptionMessage } from "../../src/domain/typed-data";
import {
  expectProblem,
  issueConsumer,
  now,
  openMerchant,
  signedSettlement,
  startGatewayFixture,
  toJson,
  waitForFinal,
  type Consumer,
  type GatewayFixture,
  type Merchant,
} from "./helpers/gateway-fixture";

const LINES = [{ description: "Notebook", quantity: 4, unitPrice: "2500" }];

describe("gateway API: retries of accepted submissions", function () {
  let f: GatewayFixture;
  let shop: Merchant;
  let orders = 0;

  const slipFor = (card: Consumer): Slip =>
    shop.terminal.slip({ orderNumber: `R-${++orders}`, cardId: card.cardId, currency: "CNY", category: 1, lines: LINES });
  const settlementOf = (card: Consumer, nonce = shop.terminal.nonces.next()) =>
    signedSettlement(f, { slip: slipFor(card), nonce, terminalKey: shop.terminalKey, cardKey: card.key });
  const post = (path: string, body: unknown) => request(f.url).post(path).send(body as object);
  const freeze = (card: Consumer) => f.operators.bank.decide("POST", `/v1/cards/${card.cardId}/status`, { action: "freeze" });

  /** A redemption of `points` from `card` at the shop, signed by both, as the request body. */
  const redemptionOf = (card: Consumer, points: bigint): Record<string, unknown> => {
    const redemption: RedemptionMessage = {
      cardId: card.cardId,
      terminal: shop.terminalKey.address,
      nonce: shop.terminal.nonces.next(),
      orderId: orderIdOf(`R-${++orders}`),
      points,
      time: BigInt(now()),
    };
    const digest = redemptionDigest(ledgerDomain(BigInt(f.gateway.deployment.chainId), f.gateway.deployment.ledger), redemption);
    const signatures = { terminal: signDigest(shop.terminalKey.signingKey, digest), card: signDigest(card.key.signingKey, digest) };
    return toJson({ redemption, signatures }) as Record<string, unknown>;
  };

  before(async function () {
    f = await startGatewayFixture();
    shop = await openMerchant(f, "retry-shop");
  });

  after(async function () {
    await f?.stop();
  });

  it("answers a settlement retried after its card was frozen with 200, duplicate=true and the same ID", async function () {
    const card = await issueConsumer(f, "retry-frozen");
    const body = settlementOf(card);
    const first = await post("/v1/settlements", body).expect(202);
    await freeze(card);
    const again = await post("/v1/settlements", body).expect(200);
    expect(again.body).to.deep.include({ id: first.body.id, duplicate: true });
  });

  it("still refuses a different settlement under a used nonce of a frozen card with 422 card.not_active", async function () {
    const card = await issueConsumer(f, "retry-other");
    const nonce = shop.terminal.nonces.next();
    await post("/v1/settlements", settlementOf(card, nonce)).expect(202);
    await freeze(card);
    expectProblem((await post("/v1/settlements", settlementOf(card, nonce)).expect(422)).body, 422, "card.not_active");
  });

  it("answers a redemption retried after it spent the whole balance with 200, duplicate=true and the same ID", async function () {
    const card = await issueConsumer(f, "retry-redeem");
    const settled = await waitForFinal(f, (await post("/v1/settlements", settlementOf(card)).expect(202)).body.id);
    const body = redemptionOf(card, BigInt(settled.points!));
    const first = await post("/v1/redemptions", body).expect(202);
    expect(await waitForFinal(f, first.body.id)).to.include({ status: "confirmed" });
    const again = await post("/v1/redemptions", body).expect(200);
    expect(again.body).to.deep.include({ id: first.body.id, duplicate: true });
  });

  it("takes a retry whose signatures are spelled in upper-case hex for the same request", async function () {
    const card = await issueConsumer(f, "retry-case");
    const body = settlementOf(card) as { signatures: { terminal: { r: string; vs: string } } };
    const first = await post("/v1/settlements", body).expect(202);
    const shouted = structuredClone(body);
    shouted.signatures.terminal.r = "0x" + shouted.signatures.terminal.r.slice(2).toUpperCase();
    const again = await post("/v1/settlements", shouted).expect(200);
    expect(again.body).to.deep.include({ id: first.body.id, duplicate: true });
  });
});
