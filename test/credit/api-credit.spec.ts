/**
 * The credit-center API and CLI against a real gateway (anvil + PGlite): reading a card's score,
 * eligibility and grant; policy, grant, decrease, revocation and unfreeze proposals approved or
 * rejected by the other institution, each step drafted by the gateway and signed by its operator;
 * the single-institution emergency freeze and its confirmation; the paged export endpoint; and
 * `npm run credit -- export` in JSON and CSV.
 */
import { expect } from "chai";
import { Writable } from "node:stream";
import type { Institution } from "../../src/sdk/operator-client";
import { consumerPoints, consumerScore } from "../../src/credit/score";
import { eligibleLimit } from "../../src/credit/policy";
import { CSV_COLUMNS, exportCredit } from "../../src/credit/export";
import type { CreditLine } from "../../src/api/credit/service";
import {
  decide as decideIn,
  decided as decidedIn,
  expectProblem,
  operatorRequest,
  type Method,
  issueConsumer,
  now,
  openMerchant,
  startGatewayFixture,
  waitForFinal,
  type Consumer,
  type GatewayFixture,
  type Merchant,
} from "../gateway/helpers/gateway-fixture";

const CONSUMER_POLICY = [
  { minScore: 100, minPoints: "100", limit: "50000" },
  { minScore: 600, minPoints: "100000", limit: "900000" },
];
const MERCHANT_POLICY = [{ minScore: 50, minPoints: "1", limit: "300000" }];
const GROCERIES = [{ description: "Rice 5kg", quantity: 2, unitPrice: "4590" }];
const YEAR = 365 * 86_400;


describe("gateway API: credit center", function () {
  let f: GatewayFixture;
  let store: Merchant;
  let orders = 0;

  const as = (institution: Institution, method: Method, url: string, body?: object) => operatorRequest(f, institution, method, url, body);
  const decide = (institution: Institution, method: Method, url: string, body?: object) => decideIn(f, institution, method, url, body);
  const decided = (institution: Institution, method: Method, url: string, body?: object) => decidedIn(f, institution, method, url, body);
  const approval = (proposalId: string | undefined) => `/v1/proposals/credit/${proposalId}/approval`;

  const earn = async (card: Consumer) => {
    const slip = store.terminal.slip({ orderNumber: `C-${++orders}`, cardId: card.cardId, currency: "CNY", category: 0, lines: GROCERIES });
    const status = await waitForFinal(f, (await store.terminal.settle(slip, card.signer)).id);
    expect(status.status, String(status.reason)).to.equal("confirmed");
  };

  /** Propose as `proposer`, approve as `approver` through the shared proposal routes, each signing their step. */
  const jointly = async (proposer: Institution, approver: Institution, url: string, body: object, method: Method = "post") => {
    const { draft, result } = await decided(proposer, method, url, body);
    expect(draft).to.deep.include({ kind: "propose", target: "credit" });
    const approved = await decided(approver, "post", approval(result.proposalId));
    expect(approved.result.executed).to.equal(true);
    const proposal = (await as(approver, "get", `/v1/proposals/credit/${result.proposalId}`).expect(200)).body as { state: string };
    expect(proposal).to.deep.include({ target: "credit", id: result.proposalId, state: "executed" });
    return result;
  };

  const creditOf = async (cardId: string) => (await as("credit_center", "get", `/v1/credit/cards/${cardId}`).expect(200)).body as CreditLine;

  /** A consumer who earned points once: eligible for the first tier. */
  const eligibleConsumer = async (label: string) => {
    const card = await issueConsumer(f, label);
    await earn(card);
    const line = await creditOf(card.cardId);
    expect(line.eligibleLimit).to.equal(CONSUMER_POLICY[0].limit);
    return card;
  };

  const grant = async (cardId: string, limit: string) =>
    jointly("credit_center", "bank", `/v1/credit/cards/${cardId}/proposals`, { action: "grant", limit, expiresAt: now() + YEAR });

  before(async function () {
    f = await startGatewayFixture();
    store = await openMerchant(f, "credit-store");
    await jointly("credit_center", "bank", "/v1/credit/policy/consumer", { tiers: CONSUMER_POLICY }, "put");
    await jointly("bank", "credit_center", "/v1/credit/policy/merchant", { tiers: MERCHANT_POLICY }, "put");
  });

  after(async function () {
    await f?.stop();
  });

  describe("GET /v1/credit/policy", function () {
    it("shows the tiers both roles approved, with the policy and score versions", async function () {
      const res = await as("bank", "get", "/v1/credit/policy").expect(200);
      expect(res.body).to.deep.equal({ version: 2, scoreVersion: 1, consumer: CONSUMER_POLICY, merchant: MERCHANT_POLICY });
    });

    it("shows a proposed policy's tiers as tiers, in its draft and its proposal", async function () {
      const tiers = [...CONSUMER_POLICY, { minScore: 900, minPoints: "200000", limit: "1000000" }];
      const { draft, result } = await decided("bank", "put", "/v1/credit/policy/consumer", { tiers });
      const named = tiers.map((t) => ({ minScore: String(t.minScore), minPoints: t.minPoints, limit: t.limit }));
      expect(JSON.parse(draft.summary.args.tiers)).to.deep.equal(named);
      expect(result).to.deep.include({ target: "credit" });
      const proposal = (await as("credit_center", "get", `/v1/proposals/credit/${result.proposalId}`).expect(200)).body as { call: { function: string; args: Record<string, unknown> } };
      expect(proposal.call).to.deep.equal({ function: "setPolicy", args: { kind: "0", tiers: named } });
      await decided("bank", "post", `/v1/proposals/credit/${result.proposalId}/cancellation`);
    });

    it("refuses a policy whose limits do not increase with 400 credit.policy_invalid", async function () {
      const tiers = [CONSUMER_POLICY[1], CONSUMER_POLICY[0]];
      expectProblem((await as("bank", "put", "/v1/credit/policy/consumer", { tiers }).expect(400)).body, 400, "credit.policy_invalid");
    });
  });

  describe("GET /v1/credit/cards/:cardId", function () {
    it("reads a consumer's score, points and eligible limit as the chain and the TypeScript reference compute them", async function () {
      const card = await issueConsumer(f, "reader");
      const fresh = await creditOf(card.cardId);
      expect(fresh).to.deep.include({ cardId: card.cardId, kind: "consumer", status: "active", score: 0, points: "0", eligibleLimit: "0", grant: null, availableLimit: "0" });
      await earn(card);
      const line = await creditOf(card.cardId);
      const chain = await f.chain.creditScores!.scoreOf(card.cardId);
      const stats = await f.chain.ledger.accountStats(card.cardId);
      const block = await f.chain.provider.getBlock("latest");
      const score = consumerScore(stats, BigInt(block!.timestamp));
      expect(line).to.deep.include({ score: Number(chain.score), scoreVersion: 1, points: consumerPoints(stats).toString() });
      expect(BigInt(line.score)).to.equal(score);
      const tiers = CONSUMER_POLICY.map((t) => ({ minScore: t.minScore, minPoints: BigInt(t.minPoints), limit: BigInt(t.limit) }));
      expect(line.eligibleLimit).to.equal(eligibleLimit(tiers, score, consumerPoints(stats)).toString());
    });

    it("reads a merchant card from its merchant's credit points", async function () {
      const line = await creditOf(store.cardId);
      const stats = await f.chain.ledger.merchantStats(store.merchantId);
      expect(line).to.deep.include({ kind: "merchant", merchantId: store.merchantId, points: (stats.creditPoints - stats.creditPointsReversed).toString() });
    });

    it("answers an unknown card with 404 card.not_found", async function () {
      expectProblem((await as("bank", "get", `/v1/credit/cards/0x${"77".repeat(32)}`).expect(404)).body, 404, "card.not_found");
    });
  });

  describe("proposals under dual control", function () {
    it("grants a limit the credit center proposes once the bank approves it", async function () {
      const card = await eligibleConsumer("granted");
      const expiresAt = now() + YEAR;
      const proposed = (await decided("credit_center", "post", `/v1/credit/cards/${card.cardId}/proposals`, { action: "grant", limit: "40000", expiresAt })).result;
      expect((await creditOf(card.cardId)).grant).to.equal(null);
      const pending = (await as("bank", "get", `/v1/proposals/credit/${proposed.proposalId}`).expect(200)).body as { state: string; call: { function: string; args: string[] } };
      expect(pending).to.deep.include({ state: "pending", call: { function: "grantCredit", args: { cardId: card.cardId, limit: "40000", expiresAt: String(expiresAt) } } });
      await decided("bank", "post", approval(proposed.proposalId));
      expect(await creditOf(card.cardId)).to.deep.include({ grant: { limit: "40000", expiresAt, policyVersion: 2, frozen: false }, availableLimit: "40000" });
    });

    it("refuses the proposer's institution approving its own proposal with 422 proposal.approver_not_counterpart", async function () {
      const card = await eligibleConsumer("self-approval");
      const proposed = (await decided("credit_center", "post", `/v1/credit/cards/${card.cardId}/proposals`, { action: "grant", limit: "1", expiresAt: now() + YEAR })).result;
      expectProblem((await decide("credit_center", "post", approval(proposed.proposalId))).res.body, 422, "proposal.approver_not_counterpart");
    });

    it("refuses a limit above the card's eligible limit with 422 contract.CreditLimitAboveEligible", async function () {
      const card = await eligibleConsumer("too-much");
      const { res } = await decide("bank", "post", `/v1/credit/cards/${card.cardId}/proposals`, { action: "grant", limit: "50001", expiresAt: now() + YEAR });
      expectProblem(res.body, 422, "contract.CreditLimitAboveEligible");
      expect(res.body.detail).to.equal(`CreditLimitAboveEligible(${card.cardId}, 50001, 50000)`);
    });

    it("lets the other institution reject a proposal, which then cannot be approved", async function () {
      const card = await eligibleConsumer("rejected");
      const proposed = (await decided("bank", "post", `/v1/credit/cards/${card.cardId}/proposals`, { action: "grant", limit: "10", expiresAt: now() + YEAR })).result;
      const rejected = await decided("credit_center", "post", `/v1/proposals/credit/${proposed.proposalId}/cancellation`);
      expect(rejected.draft.kind).to.equal("reject");
      expect((await as("bank", "get", `/v1/proposals/credit/${proposed.proposalId}`).expect(200)).body).to.deep.include({ state: "cancelled" });
      expectProblem((await as("credit_center", "post", approval(proposed.proposalId)).expect(409)).body, 409, "proposal.not_pending");
      expect((await creditOf(card.cardId)).grant).to.equal(null);
    });

    it("decreases and revokes a grant only when both roles agree", async function () {
      const card = await eligibleConsumer("decreased");
      await grant(card.cardId, "30000");
      await jointly("bank", "credit_center", `/v1/credit/cards/${card.cardId}/proposals`, { action: "decrease", limit: "20000" });
      expect((await creditOf(card.cardId)).availableLimit).to.equal("20000");
      await jointly("credit_center", "bank", `/v1/credit/cards/${card.cardId}/proposals`, { action: "revoke" });
      expect(await creditOf(card.cardId)).to.deep.include({ grant: null, availableLimit: "0" });
    });

    it("refuses a decrease to a higher limit when it is drafted: 422 contract.CreditNotADecrease", async function () {
      const card = await eligibleConsumer("bad-decrease");
      await grant(card.cardId, "30000");
      const { res, draft } = await decide("bank", "post", `/v1/credit/cards/${card.cardId}/proposals`, { action: "decrease", limit: "40000" });
      expect(draft).to.equal(undefined);
      expectProblem(res.body, 422, "contract.CreditNotADecrease");
      expect(res.body.detail).to.equal(`CreditNotADecrease(${card.cardId}, 30000, 40000)`);
    });

    it("refuses a decrease, revocation or unfreeze of a card without a grant when it is drafted: 422 contract.CreditNoGrant", async function () {
      const card = await eligibleConsumer("no-grant");
      for (const body of [{ action: "decrease", limit: "10" }, { action: "revoke" }, { action: "unfreeze" }]) {
        const { res } = await decide("bank", "post", `/v1/credit/cards/${card.cardId}/proposals`, body);
        expectProblem(res.body, 422, "contract.CreditNoGrant");
      }
    });

    it("names the action's own error when an approved action fails (a decrease overtaken by a lower one)", async function () {
      const card = await eligibleConsumer("overtaken-decrease");
      await grant(card.cardId, "30000");
      const first = (await decided("bank", "post", `/v1/credit/cards/${card.cardId}/proposals`, { action: "decrease", limit: "20000" })).result;
      await jointly("bank", "credit_center", `/v1/credit/cards/${card.cardId}/proposals`, { action: "decrease", limit: "10000" });
      const { res } = await decide("credit_center", "post", approval(first.proposalId));
      expectProblem(res.body, 422, "proposal.action_failed");
      expect(res.body.detail).to.match(/: CreditNotADecrease\(0x[0-9a-f]{64}, 10000, 20000\)$/);
    });

    it("refuses a proposal without a session with 401 session.required and an invalid action with 400", async function () {
      const card = await eligibleConsumer("no-session");
      expectProblem((await operatorRequest(f, undefined, "post", `/v1/credit/cards/${card.cardId}/proposals`, { action: "revoke" }).expect(401)).body, 401, "session.required");
      expectProblem((await as("bank", "post", `/v1/credit/cards/${card.cardId}/proposals`, { action: "grant", limit: "-1", expiresAt: 1 }).expect(400)).body, 400, "request.invalid");
      expectProblem((await as("bank", "post", `/v1/credit/cards/${card.cardId}/proposals`, { action: "mint" }).expect(400)).body, 400, "request.invalid");
    });
  });

  describe("POST /v1/credit/cards/:cardId/freeze", function () {
    it("freezes a grant at once by one role; lifting the freeze needs the other role", async function () {
      const card = await eligibleConsumer("frozen");
      await grant(card.cardId, "25000");
      const act = await decided("bank", "post", `/v1/credit/cards/${card.cardId}/freeze`);
      expect(act.draft).to.deep.include({ kind: "act", target: "credit" });
      const frozen = await creditOf(card.cardId);
      expect(frozen).to.deep.include({ availableLimit: "0" });
      expect(frozen.grant).to.deep.include({ frozen: true, limit: "25000" });
      expectProblem((await decide("credit_center", "post", `/v1/credit/cards/${card.cardId}/freeze`)).res.body, 422, "contract.CreditGrantFrozen");
      await jointly("bank", "credit_center", `/v1/credit/cards/${card.cardId}/proposals`, { action: "unfreeze" });
      expect((await creditOf(card.cardId)).availableLimit).to.equal("25000");
    });

    it("confirms a freeze by the other institution only", async function () {
      const card = await eligibleConsumer("confirmed");
      await grant(card.cardId, "25000");
      await decided("credit_center", "post", `/v1/credit/cards/${card.cardId}/freeze`);
      const own = await decide("credit_center", "post", `/v1/credit/cards/${card.cardId}/freeze/confirmation`);
      expectProblem(own.res.body, 422, "operator_step.wrong_institution");
      const confirmation = await decided("bank", "post", `/v1/credit/cards/${card.cardId}/freeze/confirmation`);
      expect(confirmation.draft).to.deep.include({ kind: "confirm", target: "credit", summary: { function: "confirmFreeze", args: { cardId: card.cardId } } });
      expect((await creditOf(card.cardId)).grant).to.deep.include({ frozen: true });
      expect((await f.chain.creditGrants!.freezeOf(card.cardId)).confirmed).to.equal(true);
    });
  });

  describe("GET /v1/credit/scores", function () {
    it("pages through every account with the same lines as the single reads", async function () {
      const total = Number(await f.chain.registry.accountCount());
      const records: CreditLine[] = [];
      let from: number | null = 1;
      while (from !== null) {
        const page = (await as("bank", "get", `/v1/credit/scores?from=${from}&limit=3`).expect(200)).body as { total: string; next: number | null; records: CreditLine[] };
        expect(page.total).to.equal(String(total));
        expect(page.records.length).to.be.at.most(3);
        records.push(...page.records);
        from = page.next;
      }
      expect(records.map((r) => Number(r.account))).to.deep.equal(Array.from({ length: total }, (_, i) => i + 1));
      for (const r of records.slice(-3)) expect(r).to.deep.equal(await creditOf(r.cardId));
    });

    it("refuses a page larger than 200 with 400 request.invalid", async function () {
      expectProblem((await as("bank", "get", "/v1/credit/scores?limit=201").expect(400)).body, 400, "request.invalid");
    });
  });

  // The command line itself (passkey sign-in, the gateway found from DATA_DIR) is tested in
  // test/gateway/operator-command-lines.spec.ts.
  describe("the credit export (src/credit/export.ts)", function () {
    const collect = () => {
      const chunks: string[] = [];
      const out = new Writable({
        write(chunk, _enc, done) {
          chunks.push(String(chunk));
          done();
        },
      });
      return { out, text: () => chunks.join("") };
    };
    const client = { call: async <T>(method: string, url: string) => (await as("credit_center", method.toLowerCase() as Method, url).expect(200)).body as T };

    it("exports every account as a JSON array with card ID, kind, score, eligible limit and grant, reporting progress", async function () {
      const total = Number(await f.chain.registry.accountCount());
      const { out, text } = collect();
      const progress: [number, number][] = [];
      const count = await exportCredit({ client, format: "json", out, pageSize: 4, onProgress: (d, t) => progress.push([d, t]) });
      const records = JSON.parse(text()) as CreditLine[];
      expect(count).to.equal(total);
      expect(records).to.have.length(total);
      expect(progress.at(-1)).to.deep.equal([total, total]);
      expect(progress).to.have.length(Math.ceil(total / 4));
      const granted = records.find((r) => r.grant !== null)!;
      expect(granted).to.have.all.keys("cardId", "account", "kind", "status", "merchantId", "score", "scoreVersion", "points", "eligibleLimit", "grant", "availableLimit");
      expect(granted).to.deep.equal(await creditOf(granted.cardId));
    });

    it("exports CSV with a header and one row per account", async function () {
      const { out, text } = collect();
      const count = await exportCredit({ client, format: "csv", out, pageSize: 200 });
      const lines = text().trimEnd().split("\n");
      expect(lines[0]).to.equal(CSV_COLUMNS.join(","));
      expect(lines).to.have.length(count + 1);
      const row = lines.find((l) => l.startsWith(store.cardId))!.split(",");
      expect(row.slice(0, 5)).to.deep.equal([store.cardId, (await creditOf(store.cardId)).account, "merchant", "active", String(store.merchantId)]);
    });
  });
});
