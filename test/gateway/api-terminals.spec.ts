/**
 * The terminal API against a real gateway (local node, contracts, store, submitter): order
 * slips, settlements with their intake checks, and what reaches the ledger (points, refunds,
 * redemptions), read back through the status and card endpoints.
 */
import { preferredWaitMs } from "../../src/api/submissions/router";
import { expect } from "chai";
import request from "supertest";
import { creditPoints, reversedShare, settlementPoints } from "../../src/domain/points";
import { Signature, type TypedDataDomain, type TypedDataField, type Wallet } from "ethers";
import { extractSettlement, orderIdOf, slipHash, type Slip } from "../../src/domain/slips";
import { SIGNATURE_TTL } from "../../src/domain/rejections";
import { GatewayError, type SlipInput } from "../../src/sdk/terminal-client";
import {
  addTerminal,
  domainAgreement,
  expectProblem,
  issueConsumer,
  keyFor,
  now,
  openMerchant,
  readCard,
  signedSettlement,
  signedSlip,
  startGatewayFixture,
  toJson,
  waitForFinal,
  type Consumer,
  type GatewayFixture,
  type Merchant,
  type SettlementInput,
} from "./helpers/gateway-fixture";

const CREDIT_RATE_BPS = 1_000;
/** 2 x 45.90 + 12.50 = 104.30 CNY of groceries (category 1, 2x). */
const GROCERIES = [
  { description: "Rice 5kg", quantity: 2, unitPrice: "4590" },
  { description: "Green tea", quantity: 1, unitPrice: "1250" },
];
const GROCERIES_TOTAL = 10_430n;
/** A well-formed compact signature, for requests refused before any signature is checked. */
const ANY_SIGNATURE = { r: "0x" + "11".repeat(32), vs: "0x" + "22".repeat(32) };

describe("gateway API: terminals", function () {
  let f: GatewayFixture;
  let shop: Merchant;
  let orders = 0;
  const nextOrder = () => `T-${++orders}`;

  /** A slip of the shop's terminal for `card`, groceries by default. */
  const slipFor = (card: Consumer, fields: Partial<SlipInput> = {}): Slip =>
    shop.terminal.slip({ orderNumber: nextOrder(), cardId: card.cardId, currency: "CNY", category: 1, lines: GROCERIES, ...fields });

  const postSettlement = (body: Record<string, unknown>) => request(f.url).post("/v1/settlements").send(body);
  /** POST /v1/slips with `slip` signed by `key` (the shop's terminal by default). */
  const postSlip = (slip: Slip, key = shop.terminalKey) => request(f.url).post("/v1/slips").send(signedSlip(f, slip, key));
  /** POST /v1/slips with a slip the gateway refuses before it reads the signature (any will do). */
  const postMalformedSlip = (slip: unknown) => request(f.url).post("/v1/slips").send({ slip, signature: ANY_SIGNATURE });

  /** Sign `slip` with the shop's terminal and `card`, applying `overrides` before signing. */
  const settlementOf = (slip: Slip, card: Consumer, options: Partial<Omit<SettlementInput, "slip">> = {}) =>
    signedSettlement(f, { slip, nonce: shop.terminal.nonces.next(), terminalKey: shop.terminalKey, cardKey: card.key, ...options });

  /** The GatewayError an SDK call was refused with. */
  const refusal = async (call: Promise<unknown>): Promise<GatewayError> => {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(GatewayError);
    return err as GatewayError;
  };

  before(async function () {
    f = await startGatewayFixture();
    shop = await openMerchant(f, "shop");
    await f.operators.bank.decide("PUT", "/v1/credit-point-rule", { rateBps: CREDIT_RATE_BPS });
  });

  after(async function () {
    await f?.stop();
  });

  describe("POST /v1/slips", function () {
    it("stores a slip and answers 201 with its ID, canonical hash, order ID and settlement record", async function () {
      const card = await issueConsumer(f, "slip-1");
      const slip = slipFor(card);
      const res = await postSlip(slip).expect(201);
      expect(res.body.id).to.match(/^[0-9a-f]{32}$/);
      expect(res.body).to.deep.include({ slipHash: slipHash(slip), orderId: orderIdOf(slip.orderNumber), merchantId: shop.merchantId });
      expect(res.body.settlement).to.deep.equal({
        cardId: card.cardId,
        terminal: shop.terminalKey.address,
        orderId: orderIdOf(slip.orderNumber),
        slipHash: slipHash(slip),
        amount: GROCERIES_TOTAL.toString(),
        currency: "0x434e59",
        category: 1,
        time: String(slip.time),
      });
    });

    it("reads a stored slip back by its ID", async function () {
      const card = await issueConsumer(f, "slip-2");
      const slip = slipFor(card);
      const created = await postSlip(slip).expect(201);
      const res = await request(f.url).get(`/v1/slips/${created.body.id}`).expect(200);
      expect(res.body).to.deep.equal(created.body);
      expect(res.body.slip).to.deep.equal({ ...slip, cardId: card.cardId.toLowerCase() });
    });

    it("answers 404 slip.not_found for an unknown slip ID", async function () {
      const res = await request(f.url).get(`/v1/slips/${"0".repeat(32)}`).expect(404);
      expectProblem(res.body, 404, "slip.not_found");
    });

    it("refuses a slip of an unregistered terminal with 422 terminal.unknown", async function () {
      const card = await issueConsumer(f, "slip-3");
      const stranger = keyFor("stranger");
      const res = await postSlip({ ...slipFor(card), terminal: stranger.address }, stranger).expect(422);
      expectProblem(res.body, 422, "terminal.unknown");
    });

    it("refuses a slip signed by another key than its terminal's with 422 signature.terminal_invalid, leaving its order number free", async function () {
      const card = await issueConsumer(f, "slip-squat");
      const squatted = slipFor(card, { lines: [{ description: "Nothing", quantity: 1, unitPrice: "1" }] });
      const res = await postSlip(squatted, keyFor("squatter")).expect(422);
      expectProblem(res.body, 422, "signature.terminal_invalid");
      await postSlip({ ...slipFor(card), orderNumber: squatted.orderNumber }).expect(201);
    });

    it("refuses a slip without its terminal's signature with 400 request.invalid", async function () {
      const card = await issueConsumer(f, "slip-unsigned");
      const res = await request(f.url).post("/v1/slips").send({ slip: slipFor(card) }).expect(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(["signature"]);
    });

    describe("when the slip is malformed", function () {
      let card: Consumer;
      before(async function () {
        card = await issueConsumer(f, "malformed");
      });

      it("refuses a total that is not the sum of the lines with 422 slip.total_mismatch", async function () {
        const res = await postMalformedSlip({ ...slipFor(card), total: "10431" }).expect(422);
        expectProblem(res.body, 422, "slip.total_mismatch");
        expect(res.body.detail).to.equal("lines add up to 10430, total says 10431");
      });

      it("refuses a currency that is not ISO 4217 with 422 slip.unknown_currency", async function () {
        const res = await postMalformedSlip(slipFor(card, { currency: "XYZ" })).expect(422);
        expectProblem(res.body, 422, "slip.unknown_currency");
      });

      it("refuses a negative unit price with 422 slip.negative_amount", async function () {
        const slip = slipFor(card, { lines: [{ description: "Coupon", quantity: 1, unitPrice: "-500" }] });
        const res = await postMalformedSlip(slip).expect(422);
        expectProblem(res.body, 422, "slip.negative_amount");
      });

      it("refuses a unit price above the ledger's maximum amount with 422 slip.amount_out_of_range", async function () {
        const slip = slipFor(card, { lines: [{ description: "Gold bar", quantity: 1, unitPrice: "1000000000000001" }] });
        const res = await postMalformedSlip(slip).expect(422);
        expectProblem(res.body, 422, "slip.amount_out_of_range");
      });

      it("refuses a slip without lines with 400 request.invalid naming the field", async function () {
        const res = await postMalformedSlip({ ...slipFor(card), lines: [] }).expect(400);
        expectProblem(res.body, 400, "request.invalid");
        expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(["slip.lines"]);
      });

      it("refuses a line description with a lone surrogate (no UTF-8 form to hash) with 400 request.invalid", async function () {
        const slip = slipFor(card, { lines: [{ description: "Tea", quantity: 1, unitPrice: "10430" }] });
        const body = JSON.stringify({ slip, signature: ANY_SIGNATURE }).replace('"Tea"', '"Tea \\ud800"');
        const res = await request(f.url).post("/v1/slips").set("content-type", "application/json").send(body).expect(400);
        expectProblem(res.body, 400, "request.invalid");
        expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(["slip.lines.0.description"]);
      });

      it("refuses a body over 600 kb with 413 request.too_large", async function () {
        const line = { description: "x".repeat(200), quantity: 1, unitPrice: "1" };
        const slip = slipFor(card, { lines: Array.from({ length: 3_000 }, () => line) });
        expect(JSON.stringify(slip).length).to.be.greaterThan(600 * 1024);
        const res = await postMalformedSlip(slip).expect(413);
        expectProblem(res.body, 413, "request.too_large");
      });

      it("refuses malformed JSON with 400 request.malformed_json", async function () {
        const res = await request(f.url).post("/v1/slips").set("content-type", "application/json").send('{"orderNumber": "A-1",').expect(400);
        expectProblem(res.body, 400, "request.malformed_json");
      });
    });
  });

  describe("POST /v1/settlements", function () {
    describe("when the settlement is valid", function () {
      it("accepts it with 202, a Location header and the status URL", async function () {
        const card = await issueConsumer(f, "accept");
        const res = await postSettlement(settlementOf(slipFor(card), card)).expect(202);
        expect(res.body.id).to.match(/^\d+-[0-9a-f]{32}$/);
        expect(res.body).to.deep.equal({ id: res.body.id, status: "queued", duplicate: false, statusUrl: `/v1/submissions/${res.body.id}` });
        expect(res.headers.location).to.equal(`/v1/submissions/${res.body.id}`);
      });

      it("answers the same submission again with 200, duplicate=true and the same ID", async function () {
        const card = await issueConsumer(f, "duplicate");
        const body = settlementOf(slipFor(card), card);
        const first = await postSettlement(body).expect(202);
        const again = await postSettlement(body).expect(200);
        expect(again.body).to.deep.include({ id: first.body.id, duplicate: true, statusUrl: first.body.statusUrl });
        expect(again.headers.location).to.equal(first.headers.location);
      });

      it("accepts a settlement of a slip stored before (POST /v1/slips, through the SDK), without the slip inline", async function () {
        const card = await issueConsumer(f, "stored-slip");
        const slip = slipFor(card);
        expect(await shop.terminal.storeSlip(slip)).to.deep.include({ slipHash: slipHash(slip), merchantId: shop.merchantId });
        const res = await postSettlement(settlementOf(slip, card, { inlineSlip: false })).expect(202);
        const status = await waitForFinal(f, res.body.id);
        expect(status).to.deep.include({ status: "confirmed", reason: null });
      });
    });

    describe("when the settlement conflicts with an earlier one", function () {
      it("refuses the same nonce with different content with 409 submission.nonce_reused", async function () {
        const card = await issueConsumer(f, "nonce-reuse");
        const nonce = shop.terminal.nonces.next();
        const sign = (slip: Slip) => signedSettlement(f, { slip, nonce, terminalKey: shop.terminalKey, cardKey: card.key });
        const first = await postSettlement(sign(slipFor(card))).expect(202);
        const res = await postSettlement(sign(slipFor(card))).expect(409);
        expectProblem(res.body, 409, "submission.nonce_reused");
        expect(res.body.detail).to.contain(`(${first.body.id})`);
      });

      it("refuses a second settlement of the same order with 409 settlement.order_duplicate", async function () {
        const card = await issueConsumer(f, "order-duplicate");
        const slip = slipFor(card);
        await postSettlement(settlementOf(slip, card)).expect(202);
        const res = await postSettlement(settlementOf(slip, card)).expect(409);
        expectProblem(res.body, 409, "settlement.order_duplicate");
      });
    });

    describe("when the settlement is refused at intake", function () {
      let card: Consumer;
      before(async function () {
        card = await issueConsumer(f, "refused");
      });

      it("refuses a signature by another key than the terminal's with 422 signature.terminal_invalid", async function () {
        const body = settlementOf(slipFor(card), card, { terminalKey: keyFor("impostor") });
        expectProblem((await postSettlement(body).expect(422)).body, 422, "signature.terminal_invalid");
      });

      it("refuses a signature by another key than the card's with 422 signature.card_invalid", async function () {
        const body = settlementOf(slipFor(card), card, { cardKey: keyFor("skimmed-card") });
        expectProblem((await postSettlement(body).expect(422)).body, 422, "signature.card_invalid");
      });

      it("refuses a terminal key that is not registered with 422 terminal.unknown", async function () {
        const stranger = keyFor("unregistered-terminal");
        const slip = { ...slipFor(card), terminal: stranger.address };
        const body = signedSettlement(f, { slip, nonce: 1n, terminalKey: stranger, cardKey: card.key });
        expectProblem((await postSettlement(body).expect(422)).body, 422, "terminal.unknown");
      });

      it("refuses a disabled terminal with 422 terminal.disabled", async function () {
        const { terminalKey, terminal } = await addTerminal(f, shop.merchantId, "shop:disabled");
        await f.operators.bank.decide("PUT", `/v1/terminals/${terminalKey.address}/enabled`, { enabled: false });
        const slip = terminal.slip({ orderNumber: nextOrder(), cardId: card.cardId, currency: "CNY", category: 1, lines: GROCERIES });
        const body = signedSettlement(f, { slip, nonce: 1n, terminalKey, cardKey: card.key });
        expectProblem((await postSettlement(body).expect(422)).body, 422, "terminal.disabled");
      });

      it("refuses a frozen card with 422 card.not_active", async function () {
        const frozen = await issueConsumer(f, "frozen");
        await f.operators.bank.decide("POST", `/v1/cards/${frozen.cardId}/status`, { action: "freeze" });
        const res = await postSettlement(settlementOf(slipFor(frozen), frozen)).expect(422);
        expectProblem(res.body, 422, "card.not_active");
      });

      it("refuses a settlement at a merchant whose card is frozen with 422 merchant.card_not_active", async function () {
        const frozen = await openMerchant(f, "frozen-merchant");
        await f.operators.bank.decide("POST", `/v1/cards/${frozen.cardId}/status`, { action: "freeze" });
        const slip = frozen.terminal.slip({ orderNumber: nextOrder(), cardId: card.cardId, currency: "CNY", category: 1, lines: GROCERIES });
        const body = signedSettlement(f, { slip, nonce: 1n, terminalKey: frozen.terminalKey, cardKey: card.key });
        expectProblem((await postSettlement(body).expect(422)).body, 422, "merchant.card_not_active");
      });

      it("refuses a settlement signed longer ago than the signature lifetime with 422 settlement.expired", async function () {
        const slip = slipFor(card, { time: now() - Number(SIGNATURE_TTL) - 60 });
        expectProblem((await postSettlement(settlementOf(slip, card)).expect(422)).body, 422, "settlement.expired");
      });

      it("refuses a settlement dated beyond the allowed clock skew with 422 settlement.time_in_future", async function () {
        const slip = slipFor(card, { time: now() + 600 });
        expectProblem((await postSettlement(settlementOf(slip, card)).expect(422)).body, 422, "settlement.time_in_future");
      });

      it("refuses a currency other than the agreement's with 422 settlement.currency_mismatch", async function () {
        const slip = slipFor(card, { currency: "USD" });
        expectProblem((await postSettlement(settlementOf(slip, card)).expect(422)).body, 422, "settlement.currency_mismatch");
      });

      it("refuses a settlement that differs from its inline slip with 422 settlement.slip_mismatch", async function () {
        const slip = slipFor(card);
        const body = settlementOf(slip, card, { overrides: { amount: GROCERIES_TOTAL + 1n } });
        const res = await postSettlement(body).expect(422);
        expectProblem(res.body, 422, "settlement.slip_mismatch");
        expect(res.body.detail).to.equal("the settlement's amount differs from the slip's");
      });

      it("refuses a settlement without an inline slip whose slip was never stored with 422 slip.unknown", async function () {
        const body = settlementOf(slipFor(card), card, { inlineSlip: false });
        expectProblem((await postSettlement(body).expect(422)).body, 422, "slip.unknown");
      });

      it("refuses a settlement whose amount differs from its stored slip with 422 settlement.slip_mismatch", async function () {
        const slip = slipFor(card);
        await postSlip(slip).expect(201);
        const body = settlementOf(slip, card, { inlineSlip: false, overrides: { amount: GROCERIES_TOTAL * 2n } });
        expectProblem((await postSettlement(body).expect(422)).body, 422, "settlement.slip_mismatch");
      });

      it("refuses a settlement whose category differs from its stored slip with 422 settlement.slip_mismatch", async function () {
        const slip = slipFor(card, { category: 0 });
        await postSlip(slip).expect(201);
        const body = settlementOf(slip, card, { inlineSlip: false, overrides: { category: 1 } });
        expectProblem((await postSettlement(body).expect(422)).body, 422, "settlement.slip_mismatch");
      });
    });
  });

  describe("recording on the ledger", function () {
    const agreement = () => domainAgreement(shop.agreement);

    it("confirms a settlement with its transaction, block and the agreement's points, and credits the card", async function () {
      const card = await issueConsumer(f, "earn");
      const accepted = await shop.terminal.settle(slipFor(card), card.signer);
      const status = await waitForFinal(f, accepted.id);
      const points = settlementPoints(GROCERIES_TOTAL, agreement(), 1);
      expect(points).to.equal(1_043n);
      expect(status).to.deep.include({
        kind: "settlement",
        status: "confirmed",
        reason: null,
        points: points.toString(),
        creditPoints: creditPoints(points, BigInt(CREDIT_RATE_BPS)).toString(),
      });
      expect(status.txHash).to.match(/^0x[0-9a-f]{64}$/);
      const receipt = await f.chain.provider.getTransactionReceipt(status.txHash!);
      expect(receipt?.status).to.equal(1);
      expect(receipt?.blockNumber).to.equal(status.blockNumber);
      expect(await f.chain.ledger.balanceOf(card.cardId)).to.equal(points);
      expect((await readCard(f, card.cardId)).points).to.deep.equal({
        balance: points.toString(),
        earned: points.toString(),
        reversed: "0",
        redeemed: "0",
      });
    });

    it("answers with the final status in one request when asked to wait (Prefer: wait)", async function () {
      const card = await issueConsumer(f, "wait");
      const res = await postSettlement(await settlementOf(slipFor(card), card)).set("Prefer", "wait=10").expect(202);
      expect(res.headers["preference-applied"]).to.equal("wait=10");
      expect(res.body.status).to.equal("confirmed");
      expect(res.body.outcome).to.deep.include({ id: res.body.id, status: "confirmed", points: settlementPoints(GROCERIES_TOTAL, agreement(), 1).toString() });
      expect(res.body.outcome.txHash).to.match(/^0x[0-9a-f]{64}$/);
      const again = await request(f.url).get(res.body.statusUrl).expect(200);
      expect(again.body).to.deep.equal(res.body.outcome);
    });

    it("answers when the wait is over with the status so far and no outcome, the settlement still stored", async function () {
      const card = await issueConsumer(f, "wait-over");
      const res = await postSettlement(await settlementOf(slipFor(card), card)).set("Prefer", "respond-async, wait=0").expect(202);
      expect(res.headers["preference-applied"]).to.equal("wait=0");
      expect(res.body.status).to.be.oneOf(["queued", "submitted"]); // stored, not yet on the ledger
      expect(res.body).to.not.have.property("outcome");
      expect((await waitForFinal(f, res.body.id)).status).to.equal("confirmed");
    });

    it("caps the wait at 30 s and ignores a Prefer header without a wait", async function () {
      expect(preferredWaitMs("wait=3600")).to.equal(30_000);
      expect(preferredWaitMs('handling=lenient; wait="5"')).to.equal(5_000);
      expect(preferredWaitMs("respond-async")).to.equal(undefined);
      expect(preferredWaitMs("nowait=5")).to.equal(undefined);
      expect(preferredWaitMs(undefined)).to.equal(undefined);
    });

    it("settles and waits through the SDK in one call", async function () {
      const card = await issueConsumer(f, "sdk-wait");
      let accepted = 0;
      const status = await shop.terminal.settleAndWait(slipFor(card), card.signer, 30_000, () => accepted++);
      expect(accepted).to.equal(1);
      expect(status.status).to.equal("confirmed");
      expect(status.points).to.equal(settlementPoints(GROCERIES_TOTAL, agreement(), 1).toString());
    });

    it("settles a settlement signed with ethers' signTypedData and the domain and types GET /v1/info publishes", async function () {
      const { eip712 } = (await request(f.url).get("/v1/info").expect(200)).body as {
        eip712: { domain: TypedDataDomain; types: Record<string, TypedDataField[]> };
      };
      expect(eip712.domain).to.deep.equal({ name: "Credence", version: "1", chainId: f.gateway.deployment.chainId, verifyingContract: f.gateway.deployment.ledger });
      expect(Object.keys(eip712.types)).to.have.members(["Settlement", "Refund", "Redemption", "OrderSlip"]);
      const card = await issueConsumer(f, "published-domain");
      const slip = slipFor(card);
      const settlement = { ...extractSettlement(slip), nonce: shop.terminal.nonces.next() };
      const types = { Settlement: eip712.types.Settlement };
      const compact = async (key: Wallet) => {
        const sig = Signature.from(await key.signTypedData(eip712.domain, types, settlement));
        return { r: sig.r, vs: sig.yParityAndS };
      };
      const body = toJson({ settlement, signatures: { terminal: await compact(shop.terminalKey), card: await compact(card.key) }, slip });
      const res = await postSettlement(body as Record<string, unknown>).expect(202);
      expect(await waitForFinal(f, res.body.id)).to.deep.include({ kind: "settlement", status: "confirmed", points: settlementPoints(GROCERIES_TOTAL, agreement(), 1).toString() });
      expect(await f.chain.ledger.balanceOf(card.cardId)).to.equal(settlementPoints(GROCERIES_TOTAL, agreement(), 1));
    });

    it("reverses the refunded share of the points when part of an order is refunded", async function () {
      const card = await issueConsumer(f, "refund");
      const slip = slipFor(card);
      const settled = await waitForFinal(f, (await shop.terminal.settle(slip, card.signer)).id);
      const points = BigInt(settled.points!);
      const refunded = 2_500n;
      const refund = await shop.terminal.refund(settled, refunded);
      const status = await waitForFinal(f, refund.id);
      const reversed = reversedShare(points, GROCERIES_TOTAL, 0n, refunded);
      expect(reversed).to.equal(250n);
      const credit = BigInt(settled.creditPoints!);
      const creditReversed = reversedShare(credit, GROCERIES_TOTAL, 0n, refunded);
      expect(creditReversed).to.be.greaterThan(0n);
      expect(status).to.deep.include({ kind: "refund", status: "confirmed", reason: null, points: reversed.toString(), creditPoints: creditReversed.toString() });
      expect((await readCard(f, card.cardId)).points).to.deep.include({
        balance: (points - reversed).toString(),
        earned: points.toString(),
        reversed: reversed.toString(),
      });
    });

    it("refuses a refund beyond the order's amount at intake with 422 refund.exceeds_order, reversing nothing", async function () {
      const card = await issueConsumer(f, "over-refund");
      const slip = slipFor(card);
      const settled = await waitForFinal(f, (await shop.terminal.settle(slip, card.signer)).id);
      const err = await refusal(shop.terminal.refund(settled, GROCERIES_TOTAL + 1n));
      expect(err).to.include({ status: 422, code: "refund.exceeds_order" });
      expect((await readCard(f, card.cardId)).points).to.deep.include({ balance: settled.points, reversed: "0" });
    });

    it("refuses a refund of a settlement this merchant never made with 422 refund.order_unknown", async function () {
      const card = await issueConsumer(f, "never-settled");
      const never = { cardId: card.cardId, terminal: shop.terminalKey.address, nonce: 999_999_999n, orderId: orderIdOf("NEVER-SETTLED") };
      const err = await refusal(shop.terminal.refund(never, 100n));
      expect(err).to.include({ status: 422, code: "refund.order_unknown" });
    });

    it("refuses a refund naming a settlement with another card than the settlement's with 422 refund.order_mismatch", async function () {
      const card = await issueConsumer(f, "refund-of-another-card");
      const other = await issueConsumer(f, "not-the-refunded-card");
      const settled = await waitForFinal(f, (await shop.terminal.settle(slipFor(card), card.signer)).id);
      const err = await refusal(shop.terminal.refund({ ...settled, cardId: other.cardId }, 100n));
      expect(err).to.include({ status: 422, code: "refund.order_mismatch" });
    });

    it("spends points on a redemption, then refuses to redeem more than the balance with 422 points.insufficient", async function () {
      const card = await issueConsumer(f, "redeem");
      const settled = await waitForFinal(f, (await shop.terminal.settle(slipFor(card), card.signer)).id);
      const earned = BigInt(settled.points!);
      const redemption = await shop.terminal.redeem(card.cardId, 300n, nextOrder(), card.signer);
      expect(await waitForFinal(f, redemption.id)).to.deep.include({ kind: "redemption", status: "confirmed", reason: null, points: "300", creditPoints: null });
      const balance = earned - 300n;
      expect((await readCard(f, card.cardId)).points).to.deep.include({ balance: balance.toString(), redeemed: "300" });

      const over = await refusal(shop.terminal.redeem(card.cardId, balance + 1n, nextOrder(), card.signer));
      expect(over).to.include({ status: 422, code: "points.insufficient" });
      expect(over.message).to.contain(`the card holds ${balance} points`);
      expect((await readCard(f, card.cardId)).points.balance).to.equal(balance.toString());
    });

    it("answers 404 submission.not_found for a submission's row ID without its tag: status URLs cannot be walked in sequence", async function () {
      const card = await issueConsumer(f, "status-walk");
      const { id } = await shop.terminal.settle(slipFor(card), card.signer);
      expect((await request(f.url).get(`/v1/submissions/${id}`).expect(200)).body.id).to.equal(id);
      const res = await request(f.url).get(`/v1/submissions/${id.split("-")[0]}`).expect(404);
      expectProblem(res.body, 404, "submission.not_found");
    });

    it("answers 404 submission.not_found for an unknown submission", async function () {
      const res = await request(f.url).get("/v1/submissions/999999999").expect(404);
      expectProblem(res.body, 404, "submission.not_found");
    });
  });
});
