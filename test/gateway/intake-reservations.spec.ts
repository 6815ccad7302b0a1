/**
 * Intake reservations against a real gateway (local node, contracts, store, submitter): a
 * redemption or a refund is accepted only when it will succeed given what the gateway accepted
 * before, so no terminal is told "accepted" for work the ledger will then reject. Once on the
 * embedded store, once with two intakes (each its own connection pool) over one PostgreSQL.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import type { Client } from "pg";
import request from "supertest";
import type { Wallet } from "ethers";
import { SubmissionService } from "../../src/api/submissions/service";
import { LedgerClient } from "../../src/chain/ledger-client";
import { orderIdOf } from "../../src/domain/slips";
import { ledgerDomain, redemptionDigest, signDigest, type RedemptionMessage } from "../../src/domain/typed-data";
import { DomainError } from "../../src/domain/domain-error";
import { statusOf } from "../../src/http/problem";
import { openPostgres } from "../../src/store/db";
import type { Slip } from "../../src/domain/slips";
import {
  firstOperators,
  issueConsumer,
  now,
  openMerchant,
  readCard,
  startGatewayFixture,
  startTempGateway,
  toJson,
  waitForFinal,
  type Consumer,
  type GatewayFixture,
  type Merchant,
} from "./helpers/gateway-fixture";
import { connectAdmin, createDatabase } from "./helpers/postgres-server";

/** 104.30 CNY of groceries (category 1, 2x): 1043 points under the default agreement. */
const GROCERIES = [
  { description: "Rice 5kg", quantity: 2, unitPrice: "4590" },
  { description: "Green tea", quantity: 1, unitPrice: "1250" },
];
const GROCERIES_TOTAL = 10_430n;
const CONCURRENT = 32;

/** What one POST answered: accepted (its submission ID) or refused (its problem code). */
type Answer = { accepted: string } | { refused: string; status: number };

/** The reservation specs, over the fixture `setUp` starts (and `tearDown` stops). */
function reservationSpecs(setUp: () => Promise<GatewayFixture>, tearDown: () => Promise<void>, secondIntake?: () => SubmissionService) {
  let f: GatewayFixture;
  let shop: Merchant;
  let orders = 0;
  const nextOrder = () => `R-${++orders}`;

  before(async function () {
    f = await setUp();
    shop = await openMerchant(f, `reserving-shop-${randomBytes(3).toString("hex")}`);
  });

  after(async function () {
    await tearDown();
  });

  const slipFor = (card: Consumer): Slip =>
    shop.terminal.slip({ orderNumber: nextOrder(), cardId: card.cardId, currency: "CNY", category: 1, lines: GROCERIES });

  /** A card holding the points of `settlements` confirmed grocery settlements; its balance and the settlements' statuses. */
  const cardWithPoints = async (label: string, settlements = 1) => {
    const card = await issueConsumer(f, `${label}-${randomBytes(3).toString("hex")}`);
    const settled = [];
    for (let i = 0; i < settlements; i++) {
      const status = await waitForFinal(f, (await shop.terminal.settle(slipFor(card), card.signer)).id);
      expect(status.status).to.equal("confirmed");
      settled.push(status);
    }
    return { card, settled, balance: BigInt((await readCard(f, card.cardId)).points.balance) };
  };

  /** The body of POST /v1/redemptions: `points` of `card`, signed by the shop's terminal and the card. */
  const signedRedemption = (card: Consumer, points: bigint, nonce = shop.terminal.nonces.next(), terminalKey: Wallet = shop.terminalKey) => {
    const redemption: RedemptionMessage = { cardId: card.cardId, terminal: terminalKey.address, nonce, orderId: orderIdOf(nextOrder()), points, time: BigInt(now()) };
    const digest = redemptionDigest(ledgerDomain(BigInt(f.gateway.deployment.chainId), f.gateway.deployment.ledger), redemption);
    return { redemption, signatures: { terminal: signDigest(terminalKey.signingKey, digest), card: signDigest(card.key.signingKey, digest) } };
  };

  const answerOf = (res: request.Response): Answer =>
    res.status === 202 ? { accepted: (res.body as { id: string }).id } : { refused: (res.body as { code: string }).code, status: res.status };
  const postRedemption = async (body: ReturnType<typeof signedRedemption>) => answerOf(await request(f.url).post("/v1/redemptions").send(toJson(body) as object));
  const postRefund = async (settlement: Awaited<ReturnType<typeof cardWithPoints>>["settled"][number], amount: bigint) =>
    shop.terminal.refund(settlement, amount).then(
      (a): Answer => ({ accepted: a.id }),
      (err: { status: number; code: string }): Answer => ({ refused: err.code, status: err.status }),
    );
  /** A redemption through the second intake (another gateway's, over the same database), when there is one. */
  const intakeRedemption = async (body: ReturnType<typeof signedRedemption>, n: number): Promise<Answer> => {
    if (!secondIntake || n % 2 === 0) return postRedemption(body);
    try {
      const a = await secondIntake().submitRedemption(body);
      return { accepted: a.submission.id };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return { refused: err.code, status: statusOf(err.code) };
    }
  };

  const acceptedOf = (answers: Answer[]) => answers.flatMap((a) => ("accepted" in a ? [a.accepted] : []));
  const refusedOf = (answers: Answer[]) => answers.flatMap((a) => ("refused" in a ? [a] : []));

  describe("redemptions", function () {
    it(`accepts exactly floor(balance / points) of ${CONCURRENT} concurrent redemptions, refuses the rest with 422 points.insufficient, and the ledger confirms every accepted one`, async function () {
      const { card, balance } = await cardWithPoints("concurrent");
      const points = balance / 4n + 1n; // three fit, a fourth does not
      const fit = balance / points;
      expect(fit).to.equal(3n);

      const bodies = Array.from({ length: CONCURRENT }, () => signedRedemption(card, points));
      const answers = await Promise.all(bodies.map((b, n) => intakeRedemption(b, n)));

      expect(refusedOf(answers)).to.have.length(CONCURRENT - Number(fit));
      for (const r of refusedOf(answers)) expect(r).to.deep.equal({ refused: "points.insufficient", status: 422 });
      const accepted = acceptedOf(answers);
      expect(accepted).to.have.length(Number(fit));
      // Submission IDs of the second intake are row IDs; the status endpoint takes public ones.
      const finals = await Promise.all(accepted.map((id) => (id.includes("-") ? waitForFinal(f, id) : undefined)));
      for (const s of finals) if (s) expect(s).to.deep.include({ status: "confirmed", points: points.toString() });
      await waitForBalance(f, card, balance - fit * points);
      expect((await readCard(f, card.cardId)).points).to.deep.include({ redeemed: (fit * points).toString() });
    });

    it("accepts the full balance once, however many terminals send it at once", async function () {
      const { card, balance } = await cardWithPoints("full-balance");
      const answers = await Promise.all(Array.from({ length: CONCURRENT }, (_, n) => intakeRedemption(signedRedemption(card, balance), n)));
      expect(acceptedOf(answers)).to.have.length(1);
      expect(refusedOf(answers).map((r) => r.refused)).to.deep.equal(Array<string>(CONCURRENT - 1).fill("points.insufficient"));
      await waitForBalance(f, card, 0n);
    });

    it("refuses the second of two redemptions of the full balance, and accepts it retried once confirmations raise the balance", async function () {
      const { card, balance } = await cardWithPoints("retry");
      const bodies = [signedRedemption(card, balance), signedRedemption(card, balance)];
      const answers = await Promise.all(bodies.map((b) => postRedemption(b)));
      expect(acceptedOf(answers)).to.have.length(1);
      expect(refusedOf(answers)).to.deep.equal([{ refused: "points.insufficient", status: 422 }]);
      const first = await waitForFinal(f, acceptedOf(answers)[0]);
      expect(first).to.deep.include({ status: "confirmed", points: balance.toString() });

      // Another settlement of the same order size brings the balance back; the refused
      // redemption was never stored, so the terminal retries the very same signed request.
      const again = await waitForFinal(f, (await shop.terminal.settle(slipFor(card), card.signer)).id);
      expect(again.points).to.equal(balance.toString());
      const refusedBody = bodies["refused" in answers[0] ? 0 : 1];
      const retried = await postRedemption(refusedBody);
      expect(retried).to.have.property("accepted");
      expect(await waitForFinal(f, (retried as { accepted: string }).accepted)).to.deep.include({ status: "confirmed", points: balance.toString() });
      expect((await readCard(f, card.cardId)).points).to.deep.include({ balance: "0", redeemed: (2n * balance).toString() });
    });

    it("reads each redemption's balance with one eth_call at a block it names, asking the node's head once for concurrent ones", async function () {
      const { card, balance } = await cardWithPoints("one-rpc");
      // An intake of its own over the gateway's store, on a provider whose JSON-RPC payloads are counted.
      const chain = LedgerClient.connect(f.gateway.rpcEndpoint, f.gateway.deployment, 0);
      const sent: { method: string; params: unknown[] }[] = [];
      void chain.provider.on("debug", (e: { action: string; payload?: unknown }) => {
        if (e.action === "sendRpcPayload") sent.push(...([e.payload].flat() as { method: string; params: unknown[] }[]));
      });
      try {
        const intake = new SubmissionService(f.gateway.db, chain);
        const accepted = await Promise.all([1n, 2n, 3n].map(() => intake.submitRedemption(signedRedemption(card, 1n))));
        expect(accepted.map((a) => a.duplicate)).to.deep.equal([false, false, false]);

        const selector = chain.ledger.interface.getFunction("balanceOf")!.selector;
        const balanceReads = sent.filter((p) => p.method === "eth_call" && (p.params[0] as { data: string }).data.startsWith(selector));
        expect(balanceReads, "one balanceOf per redemption").to.have.length(3);
        expect(sent.filter((p) => p.method === "eth_blockNumber"), "one eth_blockNumber for the three").to.have.length(1);
        const blockTags = new Set(balanceReads.map((p) => p.params[1]));
        expect(blockTags.size, "all read at one block").to.equal(1);
        const [blockTag] = [...blockTags] as string[];
        expect(blockTag).to.match(/^0x[0-9a-f]+$/, "a block number, not a tag such as latest");
        expect(Number(blockTag)).to.be.at.most(await f.chain.provider.getBlockNumber());
      } finally {
        chain.provider.destroy();
      }
      await waitForBalance(f, card, balance - 3n);
    });

    it("counts what an accepted refund may reverse against the card's balance", async function () {
      const { card, settled, balance } = await cardWithPoints("refund-then-redeem");
      expect(await postRefund(settled[0], GROCERIES_TOTAL)).to.have.property("accepted");
      expect(await postRedemption(signedRedemption(card, 1n))).to.deep.equal({ refused: "points.insufficient", status: 422 });
      await waitForBalance(f, card, balance - BigInt(settled[0].points!));
    });
  });

  describe("refunds", function () {
    it("accepts one of two concurrent refunds that together exceed the order, refusing the other with 422 refund.exceeds_order", async function () {
      const { card, settled } = await cardWithPoints("concurrent-refunds");
      const answers = await Promise.all([postRefund(settled[0], 6_000n), postRefund(settled[0], 6_000n)]);
      expect(acceptedOf(answers)).to.have.length(1);
      expect(refusedOf(answers)).to.deep.equal([{ refused: "refund.exceeds_order", status: 422 }]);

      expect(await postRefund(settled[0], GROCERIES_TOTAL - 6_000n + 1n)).to.deep.equal({ refused: "refund.exceeds_order", status: 422 });
      const rest = await postRefund(settled[0], GROCERIES_TOTAL - 6_000n);
      expect(rest).to.have.property("accepted");
      const finals = await Promise.all([...acceptedOf(answers), (rest as { accepted: string }).accepted].map((id) => waitForFinal(f, id)));
      expect(finals.map((s) => s.status)).to.deep.equal(["confirmed", "confirmed"]);
      expect((await readCard(f, card.cardId)).points).to.deep.include({ balance: "0", reversed: settled[0].points });
      expect(await postRefund(settled[0], 1n)).to.deep.equal({ refused: "refund.exceeds_order", status: 422 });
    });

    it("refuses a refund beyond the order's amount at intake with 422 refund.exceeds_order", async function () {
      const { card, settled, balance } = await cardWithPoints("over-refund");
      expect(await postRefund(settled[0], GROCERIES_TOTAL + 1n)).to.deep.equal({ refused: "refund.exceeds_order", status: 422 });
      expect((await readCard(f, card.cardId)).points).to.deep.include({ balance: balance.toString(), reversed: "0" });
    });
  });
}

/** Waits until the card's on-chain balance is `expected` (every accepted submission of it recorded). */
async function waitForBalance(f: GatewayFixture, card: Consumer, expected: bigint, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const balance = await f.chain.ledger.balanceOf(card.cardId);
    if (balance === expected) return;
    if (Date.now() > deadline) throw new Error(`card balance ${balance}, expected ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("intake reservations", function () {
  this.timeout(180_000);

  describe("on the embedded store", function () {
    let f: GatewayFixture;
    reservationSpecs(
      async () => (f = await startGatewayFixture()),
      async () => f?.stop(),
    );
  });

  describe("with two intakes over one PostgreSQL", function () {
    let admin: Client | undefined;
    const databases: string[] = [];
    let f: GatewayFixture | undefined;
    let second: { intake: SubmissionService; close(): Promise<void> } | undefined;

    before(async function () {
      admin = await connectAdmin(this);
    });

    reservationSpecs(
      async () => {
        const url = await createDatabase(admin!, databases);
        const started = await startTempGateway({ DATABASE_URL: url, IDENTITY_KEY: `0x${randomBytes(32).toString("hex")}` }, { print: () => undefined });
        const operators = await firstOperators(started.gateway.url, started.dataDir);
        f = { url: started.gateway.url, ...started, operators };
        // Another gateway's intake: its own pool of connections and its own chain client.
        const db = openPostgres(url);
        const chain = LedgerClient.connect(started.gateway.rpcEndpoint, started.gateway.deployment, 0);
        second = {
          intake: new SubmissionService(db, chain),
          close: async () => {
            chain.provider.destroy();
            await db.close();
          },
        };
        return f;
      },
      async () => {
        await second?.close();
        await f?.stop();
      },
      () => second!.intake,
    );

    after(async function () {
      for (const name of databases) await admin?.query(`drop database if exists ${name} with (force)`);
      await admin?.end();
    });
  });
});
